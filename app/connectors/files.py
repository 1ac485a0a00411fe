"""File sources: CSV, JSON / JSON-lines, Parquet, Avro, Excel and text.

A connection's `path` is one file or a folder; each matching file in the folder is a
table (each sheet, for Excel). A test opens the path, finds the files and parses the
head of the first one, so a wrong format fails the test rather than the first run.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from app.connectors.base import Connector, Failed, Probe, TableInfo, first_line
from app.connectors.embedded import existing_path

EXTENSIONS = {
    "csv": (".csv", ".tsv"), "json": (".json", ".jsonl", ".ndjson"),
    "parquet": (".parquet", ".pq"), "avro": (".avro",), "excel": (".xlsx", ".xlsm"),
    "text": (".txt", ".log", ".text"),
}
EXACT_BELOW_BYTES = 256 * 1024 * 1024  # count every row of files up to this size
SAMPLE_BYTES = 4 * 1024 * 1024


def _mtime(path: Path) -> datetime:
    return datetime.fromtimestamp(path.stat().st_mtime, UTC)


def count_lines(path: Path) -> tuple[int, bool]:
    """Non-empty lines: exact for files up to EXACT_BELOW_BYTES, else sampled."""
    size = path.stat().st_size
    with path.open("rb") as fh:
        if size <= EXACT_BELOW_BYTES:
            count, last = 0, b"\n"
            while chunk := fh.read(1 << 20):
                count += chunk.count(b"\n")
                last = chunk[-1:]
            return count + (last != b"\n"), True
        sample = fh.read(SAMPLE_BYTES)
    per_line = max(1, len(sample) // max(1, sample.count(b"\n")))
    return size // per_line, False


class FileConnector(Connector):
    extensions: tuple[str, ...] = ()
    noun = "files"

    def files(self, probe: Probe) -> list[Path]:
        probe.stage("connect")
        path = existing_path(self.params)
        if path.is_file():
            return [path]
        return sorted(p for p in path.iterdir()
                      if p.is_file() and p.name.lower().endswith(self.extensions))

    def head(self, path: Path) -> None:
        """Parse the start of `path`; raise on a file that is not of this format."""
        raise NotImplementedError

    def rows(self, path: Path) -> tuple[int | None, bool]:
        raise NotImplementedError

    def check(self, probe: Probe) -> tuple[str, str]:
        files = self.files(probe)
        probe.stage("catalogue")
        if not files:
            # An empty folder is a fine destination; as a source it simply has no tables.
            return self.version(), (f"Empty folder: no {self.ctype.label} files "
                                    f"({', '.join(self.extensions)}) yet.")
        try:
            self.head(files[0])
        except Failed:
            raise
        except Exception as exc:
            raise Failed(f"{files[0].name} is not valid {self.ctype.label}: "
                         f"{first_line(exc)}") from exc
        names = ", ".join(f.name for f in files[:3]) + (", …" if len(files) > 3 else "")
        plural = "file" if len(files) == 1 else "files"
        return self.version(), f"Found {len(files)} {self.ctype.label} {plural}: {names}."

    def version(self) -> str:
        import pyarrow

        return f"pyarrow {pyarrow.__version__}"

    def tables(self, probe: Probe) -> list[TableInfo]:
        files = self.files(probe)
        probe.stage("catalogue")
        out = []
        for f in files:
            probe.stage("catalogue")
            rows, exact = self.rows(f)
            out.append(TableInfo(f.stem, None, rows, exact, _mtime(f), "file"))
        return out


class CsvConnector(FileConnector):
    extensions = EXTENSIONS["csv"]

    def _options(self):
        from pyarrow import csv

        delimiter = self.params.get("delimiter") or ","
        delimiter = "\t" if delimiter in ("\\t", "tab") else delimiter
        read = csv.ReadOptions(encoding=self.params.get("encoding") or "utf-8",
                               autogenerate_column_names=not self.params.get("header", True),
                               block_size=1 << 20)
        return read, csv.ParseOptions(delimiter=delimiter)

    def head(self, path: Path) -> None:
        from pyarrow import csv

        read, parse = self._options()
        reader = csv.open_csv(path, read_options=read, parse_options=parse)
        reader.read_next_batch()

    def rows(self, path: Path) -> tuple[int | None, bool]:
        from pyarrow import csv

        if path.stat().st_size > EXACT_BELOW_BYTES:
            lines, _ = count_lines(path)
            return max(0, lines - bool(self.params.get("header", True))), False
        read, parse = self._options()
        total = 0
        for batch in csv.open_csv(path, read_options=read, parse_options=parse):
            total += batch.num_rows
        return total, True


class JsonConnector(FileConnector):
    extensions = EXTENSIONS["json"]

    def _layout(self, path: Path) -> str:
        layout = self.params.get("layout", "auto")
        if layout != "auto":
            return layout
        with path.open("rb") as fh:
            start = fh.read(4096).lstrip()
        return "array" if start.startswith(b"[") else "lines"

    def head(self, path: Path) -> None:
        if self._layout(path) == "lines":
            with path.open("rb") as fh:
                for line in fh:
                    if line.strip():
                        if not isinstance(json.loads(line), dict):
                            raise Failed(f"{path.name}: each line must be a JSON object.")
                        return
            return
        with path.open("rb") as fh:
            data = json.load(fh)
        if not isinstance(data, list):
            raise Failed(f"{path.name}: a JSON file must hold an array of objects.")

    def rows(self, path: Path) -> tuple[int | None, bool]:
        if self._layout(path) == "lines":
            return count_lines(path)
        if path.stat().st_size > EXACT_BELOW_BYTES:
            return None, False
        with path.open("rb") as fh:
            return len(json.load(fh)), True


class ParquetConnector(FileConnector):
    extensions = EXTENSIONS["parquet"]

    def head(self, path: Path) -> None:
        import pyarrow.parquet as pq

        pq.ParquetFile(path).schema_arrow  # noqa: B018 - reading the footer is the check

    def rows(self, path: Path) -> tuple[int | None, bool]:
        import pyarrow.parquet as pq

        return pq.ParquetFile(path).metadata.num_rows, True


class AvroConnector(FileConnector):
    extensions = EXTENSIONS["avro"]

    def version(self) -> str:
        import fastavro

        return f"fastavro {fastavro.__version__}"

    def head(self, path: Path) -> None:
        import fastavro

        with path.open("rb") as fh:
            fastavro.reader(fh).writer_schema  # noqa: B018 - parsing the header is the check

    def rows(self, path: Path) -> tuple[int | None, bool]:
        import fastavro

        with path.open("rb") as fh:
            return sum(block.num_records for block in fastavro.block_reader(fh)), True


class ExcelConnector(FileConnector):
    extensions = EXTENSIONS["excel"]

    def version(self) -> str:
        import openpyxl

        return f"openpyxl {openpyxl.__version__}"

    def head(self, path: Path) -> None:
        import openpyxl

        openpyxl.load_workbook(path, read_only=True).close()

    def tables(self, probe: Probe) -> list[TableInfo]:
        import openpyxl

        files = self.files(probe)
        single = len(files) == 1 and Path(str(self.params["path"])).is_file()
        out = []
        for f in files:
            probe.stage("catalogue")
            book = openpyxl.load_workbook(f, read_only=True)
            try:
                for sheet in book.worksheets:
                    # max_row counts formatted empty rows too, so it is an estimate.
                    rows = max(0, (sheet.max_row or 0) - 1)
                    name = sheet.title if single else f"{f.stem}.{sheet.title}"
                    out.append(TableInfo(name, None, rows, False, _mtime(f), "sheet"))
            finally:
                book.close()
        return out


class TextConnector(FileConnector):
    extensions = EXTENSIONS["text"]

    def head(self, path: Path) -> None:
        with path.open(encoding=self.params.get("encoding") or "utf-8") as fh:
            fh.read(65536)

    def rows(self, path: Path) -> tuple[int | None, bool]:
        return count_lines(path)
