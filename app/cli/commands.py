"""The CLI's commands: thin wrappers that call app.services and print the outcome."""

from __future__ import annotations

import argparse
import contextlib
import getpass
import json
import math
import os
import signal
import sys
from collections.abc import Iterator
from typing import Any

from app.connectors import registry
from app.connectors.base import ListingError
from app.logs import record_crashes
from app.secrets import SecretError
from app.services import preferences
from app.services.connections import ConnectionService, Draft
from app.services.context import GCP_PROJECT, SECRET_BACKEND, AppContext, open_app
from app.services.errors import ServiceError, ValidationError
from app.store.health import StoreError
from app.timefmt import ago

DOTS = {"ok": "●", "failed": "✗", "error": "!", "unknown": "○"}


class UserError(Exception):
    """A failure to report on stderr with exit code 1."""


def _print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


def _vault_password() -> str | None:
    if os.environ.get("SLUICE_VAULT_PASSWORD"):
        return os.environ["SLUICE_VAULT_PASSWORD"]
    if sys.stdin.isatty():
        return getpass.getpass("Sluice vault master password: ")
    return None


def dispatch(args: argparse.Namespace) -> int:
    record_crashes()  # and sets up the log file
    try:
        # No store needed (or it is broken); the runner of job specs has none.
        if args.func in (types, store_backups, store_restore) or \
                getattr(args, "storeless", False):
            return args.func(None, args) or 0
        ctx = open_app(vault_password=_vault_password)
    except StoreError as exc:
        print(f"sluice: {exc}", file=sys.stderr)
        return 1
    try:
        if (args.command, getattr(args, "action", None)) in (
                ("connection", "add"), ("connection", "edit"), ("secrets", "status")):
            warning = ctx.secrets.warning()
            if warning:
                print(f"sluice: warning: {warning}", file=sys.stderr)
        return args.func(ctx, args) or 0
    except (ServiceError, SecretError, ListingError, UserError, StoreError) as exc:
        print(f"sluice: {exc}", file=sys.stderr)
        return 1
    finally:
        ctx.close()


# --- the store ----------------------------------------------------------------------

def store_backups(ctx: None, args: argparse.Namespace) -> int:
    from app import paths
    from app.store.health import backups

    found = backups(paths.store_path())
    if args.json:
        _print_json([{"path": str(p), "bytes": p.stat().st_size} for p in found])
        return 0
    if not found:
        print("No backups yet (one is made when a healthy store is opened, at most hourly).")
    for backup in found:
        print(f"{backup}  ({backup.stat().st_size:,} bytes)")
    return 0


def store_restore(ctx: None, args: argparse.Namespace) -> int:
    from pathlib import Path

    from app.services.context import restore_store

    print(restore_store(Path(args.source) if args.source else None))
    return 0


# --- types --------------------------------------------------------------------------

def types(ctx: AppContext, args: argparse.Namespace) -> int:
    if args.json:
        _print_json([t.to_json() for t in registry.TYPES])
        return 0
    for category, title in registry.CATEGORIES.items():
        print(f"{title}:")
        for t in registry.by_category(category):
            note = "" if t.driver.installed() else f"   ({t.driver.hint})"
            print(f"  {t.key:<11} {t.label}{note}")
    return 0


# --- connections ---------------------------------------------------------------------

def _field_values(ctype: registry.ConnectionType, args: argparse.Namespace,
                  base: dict | None = None) -> dict:
    values: dict = dict(base or {})
    for key in ("host", "port", "database", "user"):
        if getattr(args, key) is not None:
            values[key] = getattr(args, key)
    for item in args.option:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValidationError({"option": f"--option takes KEY=VALUE, not {item!r}."})
        if key in ctype.secret_fields:
            raise ValidationError({key: f"Give {key} on standard input (--password-stdin), "
                                        "never on the command line."})
        values[key] = value
    if args.password_stdin:
        line = sys.stdin.readline()
        values["password"] = line[:-1] if line.endswith("\n") else line
    return values


def _tested(svc: ConnectionService, draft: Draft, args: argparse.Namespace,
            existing_id: str | None = None):
    proof = svc.test(draft, existing_id=existing_id, timeout=args.timeout)
    if not proof.result.ok:
        raise UserError(f"test {proof.result.status}: {proof.result.message} Nothing was saved.")
    return proof


def connection_add(ctx: AppContext, args: argparse.Namespace) -> int:
    svc = ConnectionService(ctx)
    draft = Draft(args.type, args.name, _field_values(registry.get_type(args.type), args))
    svc.precheck(draft)  # bad input is refused before anything is contacted
    proof = _tested(svc, draft, args)
    view = svc.create(draft, proof)
    print(f"Saved connection {view.name!r}: {proof.result.message} "
          f"({proof.result.latency_ms} ms)")
    return 0


def connection_edit(ctx: AppContext, args: argparse.Namespace) -> int:
    svc = ConnectionService(ctx)
    current = svc.get(args.name)
    ctype = registry.get_type(current.type_key)
    draft = Draft(current.type_key, args.rename or current.name,
                  _field_values(ctype, args, base=current.params))
    svc.precheck(draft, existing_id=current.id)
    proof = _tested(svc, draft, args, existing_id=current.id)
    view = svc.update(current.id, draft, proof)
    jobs = len(view.used_by)
    print(f"Saved connection {view.name!r}: {proof.result.message} "
          f"Used by {jobs} job{'s' if jobs != 1 else ''}.")
    return 0


def connection_list(ctx: AppContext, args: argparse.Namespace) -> int:
    views = ConnectionService(ctx).list()
    if args.json:
        _print_json([v.to_json() for v in views])
        return 0
    if not views:
        print("No connections yet: `python main.py connection add --type postgresql ...`")
        return 0
    for v in views:
        target = v.params.get("database") or v.params.get("path") or v.params.get("dataset") or ""
        print(f"{DOTS[v.last_test_status]} {v.name:<32} {v.type_label:<12} {str(target):<24} "
              f"tested {ago(v.last_test_at):<9} used by {len(v.used_by)} jobs")
    return 0


def connection_test(ctx: AppContext, args: argparse.Namespace) -> int:
    svc = ConnectionService(ctx)
    if args.all:
        pairs = svc.test_all(timeout=args.timeout)
    else:
        view = svc.get(args.name)
        pairs = [(view, svc.test_saved(view.id, timeout=args.timeout))]
    if args.json:
        _print_json([{"id": v.id, "name": v.name, "type": v.type_key, "result": r.to_json()}
                     for v, r in pairs])
    else:
        for v, r in pairs:
            took = f" ({r.latency_ms} ms)" if r.latency_ms is not None else ""
            print(f"{DOTS[r.status]} {r.status:<6} {v.name}: {r.message}{took}")
    return 0 if all(r.ok for _, r in pairs) else 1


def connection_tables(ctx: AppContext, args: argparse.Namespace) -> int:
    tables = ConnectionService(ctx).tables(args.name)
    if args.json:
        _print_json([t.to_json() for t in tables])
        return 0
    for t in tables:
        rows = "?" if t.rows is None else f"{t.rows:,}" + ("" if t.rows_exact else " (est.)")
        name = f"{t.schema}.{t.name}" if t.schema else t.name
        print(f"{name:<48} {t.kind:<10} {rows:>18}   updated {ago(t.last_updated)}")
    return 0


def connection_delete(ctx: AppContext, args: argparse.Namespace) -> int:
    svc = ConnectionService(ctx)
    view = svc.get(args.name)
    svc.delete(view.id)
    print(f"Deleted connection {view.name!r}.")
    return 0


# --- jobs ------------------------------------------------------------------------------

def job_pause(ctx: AppContext, args: argparse.Namespace) -> int:
    from app.services.jobs import JobService

    job = JobService(ctx).set_enabled(args.name, False)
    print(f"Paused job {job.name!r}: it runs only when asked until `job resume`.")
    return 0


def job_resume(ctx: AppContext, args: argparse.Namespace) -> int:
    from app.services.jobs import JobService

    job = JobService(ctx).set_enabled(args.name, True)
    print(f"Resumed job {job.name!r}: {job.schedule.describe()}.")
    return 0


def scheduler(ctx: AppContext, args: argparse.Namespace) -> int:
    """The background scheduler (no action), or pause / resume every schedule."""
    from app.scheduling import scheduler as scheduling

    if args.action == "pause":
        scheduling.set_paused(ctx.store, True)
        print("Schedules paused on this computer (`scheduler resume` resumes them).")
        return 0
    if args.action == "resume":
        scheduling.set_paused(ctx.store, False)
        print("Schedules resumed.")
        return 0
    from app.logs import log_to_stdout
    from app.scheduling.background import serve

    log_to_stdout()
    return serve(ctx, grace=args.grace, poll=args.poll)


def job_add(ctx: AppContext, args: argparse.Namespace) -> int:
    from app.services.jobs import JobDraft, JobService, TableSpec

    if args.schema and not args.all_tables:
        raise UserError("--schema goes with --all-tables (or give --table 'SCHEMA.*').")
    if not (args.table or args.all_tables or args.query):
        raise UserError("Name what to copy: --table, --all-tables or --query NAME=SQL.")
    names = args.table or ([f"{args.schema}.*" if args.schema else "*"]
                           if args.all_tables else [])
    queries = []
    for item in args.query:
        name, sep, text = item.partition("=")
        if not sep or not name.strip() or not text.strip():
            raise UserError(f"--query {item[:40]!r}: expected NAME=SQL.")
        queries.append(TableSpec(table=name.strip(), query=text.strip(),
                                 dest_schema=args.dest_schema))
    service = JobService(ctx)
    # Resolved against the live source first, so that TABLE= options can name the tables
    # a pattern stands for.
    tables = service.expand(args.source, [TableSpec(table=t, dest_schema=args.dest_schema)
                                          for t in names] + queries)
    if args.dest_table:
        if len(tables) > 1:
            raise UserError("--dest-table goes with a single table.")
        tables[0].dest_table = args.dest_table
    per_table(tables, args)
    _columns(tables, args.exclude_column, leave_out=True)
    draft = JobDraft(args.name, args.source, tables, args.destination, _schedule(args),
                     _stall(args.stall_timeout))
    _unattended(draft, args)
    job = service.create(draft)
    names = ", ".join(f"{t.source_name} ({t.mode})" for t in job.tables)
    print(f"Created job {job.name!r}: {names} from {job.source_name} to "
          f"{job.destination_name}. {job.schedule.describe()}.")
    return 0


def job_edit(ctx: AppContext, args: argparse.Namespace) -> int:
    from app.services.jobs import JobService, TableSpec

    service = JobService(ctx)
    job = service.get(args.name)
    draft = job.draft()
    if args.rename:
        draft.name = args.rename
    if args.destination:
        draft.destination = args.destination
    for name in args.remove_table:
        spec = _table_named(draft.tables, name, "--remove-table")
        draft.tables.remove(spec)
    if not draft.tables:
        raise UserError("A job copies at least one table; delete the job instead.")
    if args.add_table:
        draft.tables += service.expand(draft.source, [TableSpec(table=t)
                                                      for t in args.add_table])
    if args.dest_schema:
        for spec in draft.tables:
            spec.dest_schema = args.dest_schema
    per_table(draft.tables, args)
    _columns(draft.tables, args.exclude_column, leave_out=True)
    _columns(draft.tables, args.include_column, leave_out=False)
    draft.schedule = _schedule(args, job.schedule)
    if args.stall_timeout is not None:
        draft.stall_seconds = _stall(args.stall_timeout)
    _unattended(draft, args)
    changes = service.changes(job.id, draft)
    for line in changes or ["Nothing changes."]:
        print(line)
    if not args.dry_run and changes:
        service.update(job.id, draft)
    return 0


def per_table(tables: list, args: argparse.Namespace) -> None:
    """Apply --mode, --cursor, --primary-key, --lookback and --detect-deletes.

    Each is VALUE, for every table, or TABLE=VALUE (TABLE as the job names it, `orders`
    or `sales.orders`), for one; repeatable. The bare values go first, so a TABLE= value
    wins whatever the order. An empty VALUE clears a setting (`--cursor orders=`)."""
    from app.vocabulary import DELETES, MODES

    def choice(option: str, allowed: tuple[str, ...], off: str | None = None):
        def check(value: str):
            if value == off:
                return None
            if value not in allowed:
                words = " or ".join([*allowed, *([off] if off else [])])
                raise UserError(f"{option} {value!r}: use {words}.")
            return value
        return check

    def text(value: str) -> str | None:
        return value.strip() or None

    def columns(value: str) -> list[str]:
        return [k.strip() for k in value.split(",") if k.strip()]

    for option, attribute, convert in (
            ("--mode", "mode", choice("--mode", MODES)),
            ("--cursor", "cursor", text),
            ("--primary-key", "primary_key", columns),
            ("--lookback", "lookback", text),
            ("--detect-deletes", "detect_deletes", choice("--detect-deletes", DELETES, "off"))):
        values = getattr(args, attribute)
        for raw in sorted(values, key=lambda v: "=" in v):
            name, named, value = raw.partition("=")
            targets = [_table_named(tables, name, option)] if named else tables
            for spec in targets:
                setattr(spec, attribute, convert(value if named else raw))


def _table_named(tables: list, name: str, option: str):
    """The job's table `name` names: `orders` or `sales.orders`; UserError if none or
    several."""
    found = [t for t in tables if name in (t.table, t.source_name)]
    if len(found) == 1:
        return found[0]
    listed = ", ".join(t.source_name for t in tables)
    if found:
        raise UserError(f"{option} {name}: several tables of the job are named so ({listed}); "
                        "say schema.table.")
    raise UserError(f"{option} {name}: the job has no table {name!r} (its tables: {listed}).")


def _stall(text: str | None) -> int | None:
    """--stall-timeout 30m / 2h / 0 in seconds (None when not given)."""
    return _duration(text, "--stall-timeout")


def _duration(text: str | None, option: str) -> int | None:
    """30m / 2h / 1d / 0 in seconds (None when not given)."""
    from app.etl.incremental import parse_lookback

    if text is None:
        return None
    try:
        seconds = parse_lookback(text)
    except ValueError:
        seconds = None
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        raise UserError(f"{option} {text!r} is not a duration such as 30m, 2h or 0.")
    return int(seconds)


def _unattended(draft, args: argparse.Namespace) -> None:
    """--retries, --grace, --webhook ('' removes it), --notify-success / --no-..."""
    from dataclasses import replace

    changed = {}
    if args.retries is not None:
        changed["retries"] = args.retries
    if args.grace is not None:
        changed["missed_grace_seconds"] = _duration(args.grace, "--grace")
    if args.notify_success is not None:
        changed["notify_success"] = args.notify_success
    draft.unattended = replace(draft.unattended, **changed)
    if args.webhook is not None:
        draft.webhook = args.webhook.strip()


def _columns(tables: list, names: list[str], leave_out: bool) -> None:
    """Apply --exclude-column / --include-column TABLE.COLUMN (the last dot splits)."""
    for name in names:
        table, _, column = name.rpartition(".")
        if not table or not column:
            raise UserError(f"{name!r}: give the column as TABLE.COLUMN.")
        spec = _table_named(tables, table, "--exclude-column" if leave_out
                            else "--include-column")
        if leave_out and column not in spec.exclude_columns:
            spec.exclude_columns.append(column)
        elif not leave_out and column in spec.exclude_columns:
            spec.exclude_columns.remove(column)


def _schedule(args: argparse.Namespace, current=None):
    """The schedule the options ask for; an edit keeps what they do not change."""
    from app.scheduling.schedule import Schedule, local_timezone

    zone = args.timezone or (current.timezone if current else local_timezone())
    if args.every:
        return Schedule("interval", args.every, zone)
    if args.daily:
        return Schedule("daily", args.daily, zone)
    if args.cron:
        return Schedule("cron", args.cron, zone)
    if current is not None and not args.manual:  # kept (with a new zone, if one is given)
        return Schedule(current.kind, current.expr, zone)
    return Schedule("manual", None, zone)


def job_list(ctx: AppContext, args: argparse.Namespace) -> int:
    from app.services.jobs import JobService

    jobs = JobService(ctx).list()
    if args.json:
        _print_json([j.to_json() for j in jobs])
    elif not jobs:
        print("No jobs yet: `python main.py job add --name N --source CONN --table T`")
    for j in jobs if not args.json else []:
        tables = ", ".join(t.source_name for t in j.tables)
        print(f"{j.name:<28} {j.source_name} -> {j.destination_name}: {tables}")
    return 0


def job_show(ctx: AppContext, args: argparse.Namespace) -> int:
    from app.services.jobs import JobService

    job = JobService(ctx).get(args.name)
    if args.json:
        _print_json(job.to_json())
        return 0
    print(f"{job.name}: {job.source_name} ({job.source_type}) -> {job.destination_name}")
    next_run = job.next_run()
    print(f"  {job.schedule.describe()}" + (f", next run {next_run.isoformat()}"
                                           if next_run else ""))
    for t, dest in zip(job.tables, JobService(ctx).landings(job), strict=True):
        extra = "".join(f" {k}={v}" for k, v in (
            ("cursor", t.cursor), ("key", ",".join(t.primary_key)), ("lookback", t.lookback),
            ("deletes", t.detect_deletes), ("leaves out", ",".join(t.exclude_columns))) if v)
        print(f"  {t.source_name} -> {dest} [{t.mode}]{extra}")
    return 0


def job_run(ctx: AppContext, args: argparse.Namespace) -> int:
    from app.etl.pipeline import RunHandle, throttled
    from app.services.jobs import JobService

    def progress(h: RunHandle) -> None:
        if h.note:
            print(f"{h.note}…", file=sys.stderr, flush=True)
        else:
            print(f"{h.table}: {h.rows_written:,} rows, {h.bytes / 1e6:,.0f} MB read "
                  f"({h.rate:,.0f} rows/s)", file=sys.stderr, flush=True)

    # A line a second on stderr; stdout stays for results.
    handle = RunHandle(on_progress=throttled(progress, 1.0))
    with cancelled_by_signals(handle) as stopped:
        run = JobService(ctx).run(args.name, trigger="cli", handle=handle)
    if args.json:
        _print_json(run.to_json())
    else:
        seconds = run.seconds or 0.0
        rate = run.rows_written / seconds if seconds else 0.0
        print(f"{run.status}: {run.rows_written:,} rows in {seconds:.1f} s "
              f"({rate:,.0f} rows/s)")
    if run.status != "succeeded":
        print(f"sluice: run {run.status}: {run.error}", file=sys.stderr)
        return 128 + stopped[0] if stopped else 1  # 130 for Ctrl+C, 143 for SIGTERM
    return 0


@contextlib.contextmanager
def cancelled_by_signals(handle) -> Iterator[list[int]]:
    """While the block runs, Ctrl+C or SIGTERM cancels the run cleanly (the destination
    stays as it was, the run is recorded as cancelled); a second one stops at once. Yields
    the signals received."""
    stopped: list[int] = []

    def stop(signum: int, _frame) -> None:
        stopped.append(signum)
        signal.signal(signum, signal.SIG_DFL if signum == signal.SIGTERM else
                      signal.default_int_handler)
        print(f"Cancelling ({signal.Signals(signum).name}); again to stop at once…",
              file=sys.stderr, flush=True)
        handle.cancel.set()

    before = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stopped
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)


def job_runs(ctx: AppContext, args: argparse.Namespace) -> int:
    from app.services.jobs import JobService

    if args.limit < 1:
        raise UserError("--limit must be 1 or more.")
    runs = JobService(ctx).runs(args.name, limit=None if args.all else args.limit)
    if args.json:
        _print_json([r.to_json() for r in runs])
        return 0
    for r in runs:
        took = f"{r.seconds:.1f} s" if r.seconds is not None else "-"
        print(f"{r.started_at:%Y-%m-%d %H:%M:%S}  {r.status:<11} {r.trigger:<8} "
              f"{r.rows_written:>12,} rows  {took:>8}  {r.error or ''}")
    return 0


def job_delete(ctx: AppContext, args: argparse.Namespace) -> int:
    from app.services.jobs import JobService

    service = JobService(ctx)
    job = service.get(args.name)
    dropped = service.delete(job.id, drop_tables=args.drop_tables)
    if args.drop_tables:
        print(f"Deleted job {job.name!r}; dropped {', '.join(dropped) or 'no tables'}.")
    else:
        print(f"Deleted job {job.name!r} (its destination tables are kept).")
    return 0


# --- secrets ---------------------------------------------------------------------------

def secrets_status(ctx: AppContext, args: argparse.Namespace) -> int:
    from app.secrets.keyring_backend import keyring_status

    backend = ctx.store.get_setting(SECRET_BACKEND, "keyring")
    status = keyring_status()
    try:
        ctx.secrets.check_writable()
        usable, message = True, ctx.secrets.warning() or "ready"
    except SecretError as exc:
        usable, message = False, str(exc)
    if args.json:
        _print_json({"backend": backend, "usable": usable, "message": message,
                     "gcp_project": ctx.store.get_setting(GCP_PROJECT),
                     "keyring": {"name": status.name, "usable": status.usable,
                                 "secure": status.secure, "explicit": status.explicit}})
    else:
        print(f"Secret backend: {backend} ({'usable' if usable else 'NOT usable'})")
        print(f"  {message}")
        print(f"OS keyring: {status.name} (secure: {'yes' if status.secure else 'no'})")
    return 0 if usable else 1


def secrets_use(ctx: AppContext, args: argparse.Namespace) -> int:
    prefs = preferences.load(ctx)
    prefs.secret_backend = args.backend
    prefs.gcp_project = args.project or prefs.gcp_project
    prefs.gcp_endpoint = args.endpoint or prefs.gcp_endpoint
    preferences.save(ctx, prefs)
    print(f"New secrets go to: {args.backend}. Existing connections keep their secrets where "
          "they are.")
    try:
        ctx.secrets.check_writable()
    except SecretError as exc:
        print(f"sluice: warning: {exc}", file=sys.stderr)
    return 0
