"""File → Import job…: a job spec (exported by another Sluice, or for the cloud) becomes a
job here, with the connections it needs (app.cloud.transfer.import_spec). The passwords it
cannot read through their references are asked for first; a name that is taken is asked
again; the connections are tested on a worker."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog, QInputDialog, QLineEdit, QWidget

from ui import dialogs
from ui.workers import Bridge


class JobImporter(QObject):
    """Signals: imported(str, list): the job's name and what the import did."""

    imported = Signal(str, list)

    def __init__(self, ctx, parent: QWidget) -> None:
        super().__init__(parent)
        self.ctx, self.window = ctx, parent
        self.bridge = Bridge(self, max_threads=1)

    def start(self, path: str | None = None) -> None:
        if path is None:
            path, _ = QFileDialog.getOpenFileName(self.window, "Import a job spec", "",
                                                  "Job spec (*.json);;All files (*)")
        if not path:
            return
        self.bridge.submit(self, self._read, path, on_done=self._ask,
                           on_error=self._failed)

    def _read(self, path: str):
        """On a worker: the spec, and which passwords cannot be read here."""
        from app.cloud.spec import loads
        from app.cloud.transfer import lacking

        spec = loads(Path(path).read_bytes(), Path(path).name)
        return spec, lacking(self.ctx, spec)

    def _ask(self, read) -> None:
        from app.services.errors import ValidationError
        from app.services.jobs import JobService

        spec, lacking = read
        name = spec.name
        try:
            JobService(self.ctx).check_name(name)
            taken = False
        except ValidationError:
            taken = True
        if taken:
            name, ok = QInputDialog.getText(
                self.window, "Import job", f"A job named “{spec.name}” already exists. "
                "Import it as:", QLineEdit.EchoMode.Normal, f"{spec.name} (imported)")
            if not ok or not name.strip():
                return
        passwords = {}
        for end in lacking:
            given, ok = QInputDialog.getText(
                self.window, "Import job", f"The password of the connection “{end.name}” "
                f"({end.secret} cannot be read here):", QLineEdit.EchoMode.Password)
            if not ok:
                return
            passwords[end.name] = given
        self.window.statusBar().showMessage(f"Importing {spec.name}: testing its "
                                            "connections…")
        self.bridge.submit(self, self._import, spec, name.strip(), passwords,
                           on_done=lambda done: self.imported.emit(done.job.name, done.notes),
                           on_error=self._failed)

    def _import(self, spec, name: str, passwords: dict):
        from app.cloud.transfer import import_spec

        return import_spec(self.ctx, spec, rename=name if name != spec.name else None,
                           ask=lambda end: passwords.get(end.name))

    def _failed(self, exc: BaseException) -> None:
        self.window.statusBar().clearMessage()
        dialogs.message(self.window, "Import job", str(exc))
