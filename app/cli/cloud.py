"""The CLI's cloud commands: run a job spec headless, export and import jobs, deploy them
to Cloud Run (thin wrappers over app.cloud)."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

from app.cli.commands import UserError, _print_json, cancelled_by_signals
from app.services.context import AppContext


def run(ctx: None, args: argparse.Namespace) -> int:
    """`run --spec PATH|gs://…`: no metadata store; JSON log lines on stdout (on stderr
    with --json, where the run's record goes to stdout); exit 0 only on success."""
    from app.cloud.runner import json_lines, run_spec, task_from_environment
    from app.cloud.spec import SpecError, loads
    from app.cloud.storage import SpecUnreadable, read_spec_text
    from app.etl.pipeline import RunHandle

    lines = sys.stderr if args.json else sys.stdout
    try:
        task = task_from_environment(dict(os.environ))
        spec = loads(read_spec_text(args.spec), args.spec)
    except (SpecError, SpecUnreadable, ValueError) as exc:
        json_lines(lines, "", (0, 1))("ERROR", str(exc), spec=args.spec)
        return 1
    handle = RunHandle()
    with cancelled_by_signals(handle) as stopped:
        view = run_spec(spec, json_lines(lines, spec.name, task), task, handle)
    if args.json:
        _print_json(view.to_json())
    if view.status != "succeeded":
        return 128 + stopped[0] if stopped else 1
    return 0


def job_export(ctx: AppContext, args: argparse.Namespace) -> int:
    from app.cloud.transfer import export_spec

    overrides = _overrides(args.host)
    if args.spec:
        spec = export_spec(ctx, args.name, args.secrets, args.project, overrides)
        _write(Path(args.spec), spec.dumps())
        refs = [e.secret for _, e in spec.endpoints if e.secret] + \
            ([spec.webhook] if spec.webhook else [])
        print(f"Exported job {spec.name!r} to {args.spec}"
              + (f"; its secrets are referenced as {', '.join(refs)}." if refs else "."))
        return 0
    from app.cloud.bundle import BundleOptions, write_bundle

    options = BundleOptions(project=args.project, region=args.region, image=args.image,
                            tasks=args.tasks, overrides=overrides)
    written = write_bundle(ctx, args.name, Path(args.bundle), options)
    print(f"Wrote the bundle of job {args.name!r} to {args.bundle}: "
          f"{', '.join(p.name for p in written)}. See its README.md to deploy it.")
    return 0


def _overrides(items: list[str]) -> dict[str, dict]:
    """--host CONNECTION=HOST, repeatable: the address the cloud reaches a connection by."""
    out: dict[str, dict] = {}
    for item in items:
        name, sep, host = item.partition("=")
        if not sep or not name.strip() or not host.strip():
            raise UserError(f"--host {item!r}: expected CONNECTION=HOST.")
        out[name.strip()] = {"host": host.strip()}
    return out


def _write(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".part")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        raise UserError(f"Cannot write {path}: {exc.strerror or exc}") from exc


def job_import(ctx: AppContext, args: argparse.Namespace) -> int:
    from app.cloud.spec import SpecError, loads
    from app.cloud.storage import SpecUnreadable, read_spec_text
    from app.cloud.transfer import import_spec

    try:
        spec = loads(read_spec_text(args.path), args.path)
    except (SpecError, SpecUnreadable) as exc:
        raise UserError(str(exc)) from exc

    def ask(end) -> str | None:
        if not sys.stdin.isatty():
            return None
        return getpass.getpass(f"Password of the connection {end.name!r} "
                               f"({end.secret} cannot be read here): ")

    done = import_spec(ctx, spec, rename=args.rename, ask=ask)
    for note in done.notes:
        print(note)
    print(f"Imported job {done.job.name!r}: {done.job.source_name} -> "
          f"{done.job.destination_name}, {len(done.job.tables)} "
          f"table{'s' if len(done.job.tables) != 1 else ''}.")
    return 0
