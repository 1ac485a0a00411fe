"""ETL jobs: create (atomically, checked against the live source), run, history, delete."""

from __future__ import annotations

import contextlib
import logging
import threading
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from app.connectors import registry
from app.connectors.base import ListingError, scrub
from app.etl import naming
from app.etl.describe import TableShape
from app.etl.errors import RunError
from app.etl.pipeline import RunHandle, throttled
from app.etl.spec import TableSpec
from app.etl.watchdog import in_words
from app.scheduling.schedule import Schedule, ScheduleError
from app.secrets import SecretError
from app.services import job_rules, notify, retry
from app.services.connections import ConnectionService
from app.services.context import AppContext
from app.services.copying import Side, attempts, copy_tables
from app.services.errors import NotFound, ServiceError, ValidationError
from app.services.lookup import by_name_or_id
from app.services.runs import (  # JobBusy: part of this service's interface
    JobBusy,  # noqa: F401
    RunBook,
    append_log,
    job_lock,
    reap,
)
from app.services.views import (
    LOCAL,
    WAREHOUSE,
    WAREHOUSE_CHOICE,
    ConnectionView,
    JobDraft,
    JobView,
    RunView,
    Unattended,
    job_view,
    run_view,
)
from app.store.models import Connection, Job, Run, fold_name, new_id, utcnow
from app.vocabulary import STALL_SECONDS, Trigger

log = logging.getLogger("sluice.jobs")
PROGRESS_EVERY_SECONDS = 2.0  # how often a run's rows so far are written to its record
# The front ends build and read jobs with these (ui/ reaches the engine only through here).
__all__ = ["LOCAL", "READABLE", "STALL_SECONDS", "WAREHOUSE", "JobBusy", "JobDraft",
           "JobService", "JobView", "RunHandle", "RunView", "TableShape", "TableSpec",
           "Unattended", "job_lock", "throttled"]
READABLE = registry.READABLE


class JobService:
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.backoff_seconds = retry.BACKOFF_SECONDS  # before a run's first retry
        self.connections = ConnectionService(ctx)

    # --- reading ---------------------------------------------------------------------

    def _view(self, session: Any, row: Job) -> JobView:
        dest = session.get(Connection, row.destination_connection_id) \
            if row.destination_connection_id else None
        return job_view(row, session.get(Connection, row.source_connection_id), dest)

    def _row(self, session: Any, name_or_id: str) -> Job:
        return by_name_or_id(session, Job, name_or_id, "job")

    def list(self) -> list[JobView]:
        reap(self.ctx.store)
        with self.ctx.store.session() as s:
            rows = s.scalars(select(Job).order_by(func.lower(Job.name))).all()
            return [self._view(s, r) for r in rows]

    def get(self, name_or_id: str) -> JobView:
        with self.ctx.store.session() as s:
            return self._view(s, self._row(s, name_or_id))

    def runs(self, name_or_id: str, limit: int | None = 50) -> list[RunView]:
        """The job's runs, newest first (`limit` None: all of them)."""
        reap(self.ctx.store)
        with self.ctx.store.session() as s:
            job = self._row(s, name_or_id)
            rows = s.scalars(select(Run).where(Run.job_id == job.id)
                             .order_by(Run.started_at.desc()).limit(limit)).all()
            return [run_view(r) for r in rows]

    def last_runs(self) -> dict[str, RunView]:
        """Every job's newest run, by job id, in one query (the window's list)."""
        reap(self.ctx.store)
        with self.ctx.store.session() as s:
            newest = select(Run.job_id, func.max(Run.started_at).label("at")) \
                .group_by(Run.job_id).subquery()
            rows = s.scalars(select(Run).join(newest, (Run.job_id == newest.c.job_id) &
                                              (Run.started_at == newest.c.at))).all()
            return {r.job_id: run_view(r) for r in rows}

    # --- creating ------------------------------------------------------------------

    def _check_tables(self, source_id: str, source_type: str,
                      tables: list[TableSpec]) -> list[TableSpec]:
        """Each table must exist in the source now; schema-qualified names are resolved and
        patterns (`sales.*`) expanded (see `expand`)."""
        if registry.engine(source_type).key_patterns:  # a pattern is the table
            return [TableSpec(**{**spec.to_json(), "schema": None}) for spec in tables]
        queries = [spec for spec in tables if spec.query]
        if queries and not registry.engine(source_type).queries:
            takes = ", ".join(t.label for t in registry.TYPES if t.engine.queries)
            raise ValidationError({"tables": f"A query as a table is not supported for "
                                             f"{registry.get_type(source_type).label} "
                                             f"sources yet ({takes} take them)."})
        tables = [spec for spec in tables if not spec.query]
        if not tables:
            return [TableSpec(**{**q.to_json(), "schema": None}) for q in queries]
        try:
            listed = self.connections.tables(source_id)
        except ListingError as exc:
            raise ValidationError({"tables": f"Cannot list the source's tables: {exc}"}) \
                from exc
        keep_schema = registry.engine(source_type).source_schemas
        checked = []
        for spec in tables:
            for found in _matching(spec, listed):
                checked.append(TableSpec(**{**spec.to_json(), "table": found.name,
                                            "schema": found.schema if keep_schema else None}))
        return checked + [TableSpec(**{**q.to_json(), "schema": None}) for q in queries]

    def expand(self, source: str, tables: list[TableSpec]) -> list[TableSpec]:
        """The tables with names resolved against the live source, and each pattern
        (`sales.*`, `*`: shell-style, on `schema.table` or the bare name) replaced by the
        tables it matches (not views), in the source's order, with the pattern's settings.
        Raises ValidationError for a table that is not there or a pattern matching none."""
        view = self.connections.get(source)
        return self._check_tables(view.id, view.type_key, tables)

    def allowed_modes(self, destination: str) -> tuple[str, ...]:
        """The sync modes a destination (a connection, or "local") takes."""
        return job_rules.allowed_modes(_kind(self._destination(destination))[0])

    def problems(self, draft: JobDraft, shapes: dict[str, TableShape] | None = None
                 ) -> list[tuple[str, str]]:
        """What must change before `draft` can be saved, as (field, message) in the user's
        words, as far as it can be told without the live source (app.services.job_rules);
        `shapes` (the tables' columns, by source table name) lets column names be checked
        too."""
        dest = self._destination(draft.destination)
        return job_rules.job_problems(draft.tables, *_kind(dest), draft.schedule,
                                      draft.stall_seconds, shapes) + \
            job_rules.unattended_problems(draft.unattended, draft.webhook)

    def _destination(self, destination: str | None) -> ConnectionView | None:
        return None if destination in (None, "", LOCAL) else \
            self.connections.get(destination)

    def check_name(self, name: str, exclude_id: str | None = None) -> str:
        """The cleaned name, or ValidationError when it is malformed or taken."""
        problem = registry.validate_name(name)
        if problem:
            raise ValidationError({"name": problem})
        with self.ctx.store.session() as s:
            self._check_name_free(s, name, exclude_id)
        return name.strip()

    def suggest_name(self, source_name: str, exclude_id: str | None = None) -> str:
        """A free, valid name for a job reading `source_name`: "Sales ETL", "Sales ETL 2"."""
        base = f"{source_name[:registry.NAME_MAX - 8].strip()} ETL"  # room for " 999"
        with self.ctx.store.session() as s:
            taken = set(s.scalars(select(Job.name_key).where(Job.id != (exclude_id or "")))
                        .all())
        name, n = base, 2
        while fold_name(name) in taken:
            name, n = f"{base} {n}", n + 1
        return name

    @staticmethod
    def _check_name_free(session: Any, name: str, exclude_id: str | None = None) -> None:
        found = session.scalar(select(Job.id).where(Job.name_key == fold_name(name)))
        if found and found != exclude_id:
            raise ValidationError({"name": f"A job named {name.strip()!r} already exists."})

    def _checked(self, draft: JobDraft, exclude_id: str | None = None,
                 kept: frozenset[tuple[str | None, str]] = frozenset()
                 ) -> tuple[str, ConnectionView, ConnectionView | None, list[TableSpec]]:
        """Everything a job must satisfy, the live source included; raises ValidationError."""
        name = self.check_name(draft.name, exclude_id)
        source = self.connections.get(draft.source)
        if not registry.engine(source.type_key).readable:
            raise ValidationError({"source": f"Reading from {source.type_label} is not "
                                             "supported yet."})
        dest = self._destination(draft.destination)
        if dest is not None and not registry.engine(dest.type_key).writable:
            raise ValidationError({"destination": f"Sluice cannot write to {dest.type_label} "
                                                  "connections yet."})
        # The quick rules first (a merge's key may yet come from the source); then the
        # live source: the tables, and the columns each names; then where they land.
        _refuse([p for p in job_rules.job_problems(
            draft.tables, *_kind(dest), draft.schedule, draft.stall_seconds, placed=False)
            if p[0] != "primary_key"])
        tables = self._check_tables(source.id, source.type_key, draft.tables)
        try:
            shapes = self.describe(source.id, [(t.schema, t.table) for t in tables],
                                   queries={t.table: t.query for t in tables if t.query})
        except ServiceError as exc:
            raise ValidationError({"tables": str(exc)}) from exc
        for spec in tables:
            if spec.mode == "merge" and not spec.primary_key:
                spec.primary_key = list(shapes[spec.source_name].primary_key)
        tables = place(source, dest, tables, kept)
        _refuse(job_rules.job_problems(tables, *_kind(dest), draft.schedule,
                                       draft.stall_seconds, shapes=shapes))
        if dest is not None and dest.id == source.id:
            _check_not_onto_itself(source.type_key, tables)
        _refuse(job_rules.unattended_problems(draft.unattended, draft.webhook))
        return name, source, dest, tables

    def create(self, draft: JobDraft) -> JobView:
        """Create a job in one transaction, after checking it against the live source."""
        name, source, dest, tables = self._checked(draft)
        with self.ctx.store.session() as s:
            self._check_name_free(s, name)  # again, in the inserting transaction
            row = Job(id=new_id(), name=name, name_key=fold_name(name),
                      source_connection_id=source.id,
                      destination_connection_id=dest.id if dest else None,
                      tables=[t.to_json() for t in tables])
            _set_schedule(row, draft.schedule)
            row.stall_seconds = draft.stall_seconds
            self._set_unattended(row, draft)
            s.add(row)
            s.get(Connection, source.id).last_used_at = utcnow()
        log.info("created job %r", name)
        return self.get(row.id)

    def update(self, name_or_id: str, draft: JobDraft) -> JobView:
        """Change a job (checked like a new one); incremental cursors survive a rename."""
        old = self.get(name_or_id)
        name, source, dest, tables = self._checked(
            draft, exclude_id=old.id, kept=frozenset((t.schema, t.table) for t in old.tables))
        if name != old.name:
            kept = {t.source_name: t.state_key_for(old.name) for t in old.tables}
            for spec in tables:
                spec.state_key = spec.state_key or kept.get(spec.source_name)
        with self.ctx.store.session() as s:
            self._check_name_free(s, name, old.id)
            row = s.get(Job, old.id)
            if row is None:
                raise NotFound(f"Job {old.name!r} was deleted meanwhile.")
            row.name, row.name_key = name, fold_name(name)
            row.source_connection_id = source.id
            row.destination_connection_id = dest.id if dest else None
            row.tables = [t.to_json() for t in tables]
            _set_schedule(row, draft.schedule)
            row.stall_seconds = draft.stall_seconds
            self._set_unattended(row, draft)
            row.updated_at = utcnow()
        log.info("updated job %r", name)
        return self.get(old.id)

    def _set_unattended(self, row: Job, draft: JobDraft) -> None:
        """Retries, missed-run grace, notify on success; the webhook URL goes to the secret
        backend (a failure there fails the whole save: the transaction is rolled back)."""
        row.retries = draft.unattended.retries
        row.missed_grace_seconds = draft.unattended.missed_grace_seconds
        row.notify_success = draft.unattended.notify_success
        if draft.webhook is None:
            return  # kept as it is
        try:
            if draft.webhook:
                ref = row.webhook_ref or self.ctx.secrets.ref_for(row.id, "hook")
                self.ctx.secrets.set(ref, {"url": draft.webhook.strip()})
                row.webhook_ref = ref
            elif row.webhook_ref:
                self.ctx.secrets.delete(row.webhook_ref)
                row.webhook_ref = None
        except SecretError as exc:
            raise ValidationError({"webhook": f"The webhook URL cannot be kept: {exc}"}) \
                from exc

    def webhook(self, name_or_id: str) -> str | None:
        """The job's webhook URL (from the secret backend), or None."""
        with self.ctx.store.session() as s:
            ref = self._row(s, name_or_id).webhook_ref
        return self.ctx.secrets.get(ref).get("url") if ref else None

    def set_enabled(self, name_or_id: str, enabled: bool) -> JobView:
        """Pause (False) or resume (True) a job's schedule; the scheduler notices."""
        with self.ctx.store.session() as s:
            row = self._row(s, name_or_id)
            row.enabled = enabled
            row.updated_at = utcnow()
            job_id = row.id
        log.info("job %s %s", job_id, "resumed" if enabled else "paused")
        return self.get(job_id)

    def set_cloud(self, name_or_id: str, cloud: dict | None) -> JobView:
        """Record where the job is deployed in Google Cloud (None: nowhere)."""
        with self.ctx.store.session() as s:
            row = self._row(s, name_or_id)
            row.cloud = cloud
            job_id = row.id
        return self.get(job_id)

    def changes(self, name_or_id: str, draft: JobDraft) -> list[str]:
        """What saving `draft` over the job would do to its destination, in words."""
        from app.services.job_changes import explain

        old = self.get(name_or_id)
        try:
            draft.schedule.check()
        except ScheduleError as exc:
            raise ValidationError({"schedule": str(exc)}) from exc
        dest = self._destination(draft.destination)
        dest_name = dest.name if dest else LOCAL
        return explain(old, draft, dest_name)

    def placed(self, source: str, destination: str, tables: list[TableSpec],
               kept: frozenset[tuple[str | None, str]] = frozenset()) -> list[TableSpec]:
        """The tables with their destination filled in by the naming rule (see `place`)."""
        return place(self.connections.get(source), self._destination(destination), tables,
                     kept)

    def landing(self, spec: TableSpec, destination: str) -> str:
        """Where a table lands, as the user reads it ("main.orders", "a.parquet")."""
        return naming.landing(spec, *_kind(self._destination(destination)))

    def destination_schema(self, destination: str) -> tuple[str | None, bool]:
        """A destination's default schema, and whether a job may name another there."""
        kind, params = _kind(self._destination(destination))
        return naming.destination_default_schema(kind, params), \
            registry.engine(kind).takes_schema

    def destinations(self, source: str) -> list[tuple[str, str, str]]:
        """Where a job reading `source` can write: (id or LOCAL, choice label, name in a
        sentence), the local warehouse first."""
        out = [(LOCAL, WAREHOUSE_CHOICE, WAREHOUSE)]
        out.extend((v.id, f"{v.name} — {v.type_label}", v.name) for v in self.connections.list()
                   if registry.engine(v.type_key).writable and v.id != source)
        return out

    def landings(self, job: JobView) -> list[str]:
        """Where each table of a job lands, as the user reads it ("main.orders")."""
        dest = self.connections.get(job.destination_id) if job.destination_id else None
        return [naming.landing(t, *_kind(dest)) for t in job.tables]

    def describe(self, source: str, tables: list[tuple[str | None, str]],
                 cancel: threading.Event | None = None,
                 queries: dict[str, str] | None = None) -> dict[str, TableShape]:
        """Columns, key and cursor candidates of source tables, keyed by schema.table (a
        query's, by its name: `queries` maps the names to their SQL; a query that fails is
        a ServiceError with the server's message)."""
        from app.connectors.base import DEFAULT_LIST_TIMEOUT, bounded
        from app.etl.describe import describe_tables

        view, secrets = self._load(source, "source")
        outcome, value, _ = bounded(
            lambda probe: describe_tables(view.type_key, view.params, secrets, tables,
                                          probe.cancel, queries), DEFAULT_LIST_TIMEOUT,
            cancel)
        if outcome == "timeout":
            raise ServiceError(f"{view.name} did not describe its tables within "
                               f"{DEFAULT_LIST_TIMEOUT:g} s.")
        if outcome == "cancelled":
            raise ServiceError("Cancelled.")
        if outcome == "raised":
            message = str(value) if isinstance(value, RunError) else \
                f"Cannot read the columns: {value}"
            raise ServiceError(scrub(message, secrets))
        return {f"{schema}.{table}" if schema else table: shape
                for (schema, table), shape in value.items()}

    def delete(self, name_or_id: str, drop_tables: bool = False) -> list[str]:
        """Delete a job and its runs; with `drop_tables`, first drop what it loaded.

        Returns the destination tables dropped. When the destination cannot be reached
        nothing is deleted, and the error says why."""
        job = self.get(name_or_id)
        dropped: list[str] = []
        with job_lock(job.id, job.name):
            if drop_tables:
                dropped = self._drop_tables(job)
            with self.ctx.store.session() as s:
                row = s.get(Job, job.id)
                hook = row.webhook_ref if row is not None else None
                if row is not None:
                    s.delete(row)
            if hook:  # the row is gone: a URL that cannot be removed is unreachable
                with contextlib.suppress(SecretError):
                    self.ctx.secrets.delete(hook)
        log.info("deleted job %r (dropped: %s)", job.name, ", ".join(dropped) or "none")
        return dropped

    def _drop_tables(self, job: JobView) -> list[str]:
        from app.etl.destinations import open_destination

        if job.destination_id:
            view, secrets = self._load(job.destination_id, "destination")
            dest_type, params = view.type_key, view.params
        else:
            dest_type, params, secrets = None, {}, {}
        try:
            destination = open_destination(dest_type, params, secrets)
            try:
                return [spec.destination_name for spec in job.tables
                        if destination.drop(spec.target(job.name))]
            finally:
                destination.close()
        except RunError as exc:
            raise ServiceError(f"The destination tables were not dropped and the job was "
                               f"kept: {scrub(str(exc), secrets)}") from exc

    def _load(self, conn_id: str, role: str) -> tuple[ConnectionView, dict]:
        """A connection with its secrets; a secret that cannot be had is a plain message
        naming the connection (ServiceError)."""
        try:
            return self.connections.load_with_secrets(conn_id)
        except SecretError as exc:
            name = self.connections.get(conn_id).name
            raise ServiceError(f"The password of the {role} connection {name!r} is "
                               f"unavailable: {exc}") from exc

    # --- running -------------------------------------------------------------------

    def run(self, name_or_id: str, trigger: Trigger = "manual",
            handle: RunHandle | None = None) -> RunView:
        """Run a job now: start the run record, copy the tables one after another (each
        committed on its own), record the outcome of each and of the run (see
        app.services.runs)."""
        job = self.get(name_or_id)
        handle = handle or RunHandle()
        if handle.stall_seconds is None:
            handle.stall_seconds = job.stall_bound
        with job_lock(job.id, job.name):
            book = RunBook(self.ctx.store, job.id, job.source_id, trigger,
                           [t.source_name for t in job.tables])
            handle.on_progress = _also(handle.on_progress,
                                       throttled(book.moved, PROGRESS_EVERY_SECONDS))
            attempts(lambda: self._copy_tables(job, book, handle), book, handle, job.name,
                     job.unattended.retries + 1, self.backoff_seconds)
            run = self.runs(job.id, limit=1)[0]
        self.report(job, run)
        return run

    def record_skipped(self, name_or_id: str, due: datetime) -> RunView:
        """A scheduled run missed beyond the job's grace (the computer was off or asleep):
        recorded as a `skipped` run, so History shows the gap, and reported."""
        job = self.get(name_or_id)
        grace = in_words(job.unattended.missed_grace_seconds)
        reason = (f"Missed its run due at {due.astimezone(UTC):%Y-%m-%d %H:%M} UTC: Sluice "
                  f"was not running (the computer was off or asleep) and the run is more "
                  f"than {grace} late, the job's grace. It runs at its next time.")
        with self.ctx.store.session() as s:
            row = Run(id=new_id(), job_id=job.id, trigger="schedule", status="skipped",
                      started_at=due, finished_at=utcnow(), error=reason, log=reason,
                      tables=[{"table": t.source_name, "status": "not run", "rows": 0,
                               "error": None} for t in job.tables])
            s.add(row)
            s.flush()  # the defaults (attempts, rows) filled in
            run = run_view(row)
        log.warning("job %r: %s", job.name, reason)
        self.report(job, run)
        return run

    def report(self, job: JobView, run: RunView) -> None:
        """Tell the job's webhook about `run` when it asks to hear of it; a webhook that
        fails is logged and noted in the run's log, never fails the run."""
        if not job.has_webhook or not notify.wanted(run.status,
                                                    job.unattended.notify_success):
            return
        try:
            url = self.webhook(job.id)
            if url:
                notify.post(url, notify.document(job.name, run))
                log.info("webhook told of run %s of %r", run.id, job.name)
                return
        except (notify.WebhookError, SecretError, NotFound) as exc:
            said = f"The webhook was not told of this run: {exc}"
        else:
            said = "The webhook was not told of this run: its URL is gone."
        log.warning("run %s of %r: %s", run.id, job.name, said)
        append_log(self.ctx.store, run.id, said)

    def _copy_tables(self, job: JobView, book: RunBook, handle: RunHandle) -> None:
        """Open the source's secrets and the destination, then copy each table."""
        source, source_secrets = self._load(job.source_id, "source")
        dest = Side(None)
        if job.destination_id:
            view, secrets = self._load(job.destination_id, "destination")
            dest = Side(view.type_key, view.params, secrets)
        copy_tables(job.name, job.tables, Side(source.type_key, source.params, source_secrets),
                    dest, book, handle)


def _also(first, then):
    """A progress callback calling `first` (if any), then `then`."""
    def both(handle: RunHandle) -> None:
        if first is not None:
            first(handle)
        then(handle)
    return both


def _refuse(problems: list[tuple[str, str]]) -> None:
    """Raise the first problem (ValidationError keyed by its field), if any."""
    if problems:
        field, message = problems[0]
        raise ValidationError({field: message})


def _kind(dest: ConnectionView | None) -> tuple[str | None, dict]:
    """A destination's type and parameters (None and {}: the local warehouse)."""
    return (dest.type_key, dest.params) if dest else (None, {})


def place(source: ConnectionView, dest: ConnectionView | None, tables: list[TableSpec],
          kept: frozenset[tuple[str | None, str]] = frozenset()) -> list[TableSpec]:
    """Tables with their destination schema and table filled in by the naming rule
    (app.etl.naming), where the job names neither and the table is new to the job (a
    table it had keeps landing where it did)."""
    out = []
    for spec in tables:
        if spec.dest_schema is None and spec.dest_table is None and \
                (spec.schema, spec.table) not in kept:
            schema, table = naming.default_destination(
                source.type_key, source.params, _kind(dest)[0], spec.schema, spec.table)
            spec = TableSpec(**{**spec.to_json(), "dest_schema": schema, "dest_table": table})
        out.append(spec)
    return out


def _set_schedule(row: Job, schedule: Schedule) -> None:
    row.schedule_kind = schedule.kind
    row.schedule_expr = None if schedule.kind == "manual" else (schedule.expr or "").strip()
    row.timezone = schedule.timezone


def _check_not_onto_itself(type_key: str, tables: list[TableSpec]) -> None:
    """A job writing into its own source must not replace the table it reads."""
    default = registry.engine(type_key).default_schema
    for spec in tables:
        if (spec.dest_schema or default, spec.dest_table or spec.table) == \
                (spec.schema or default, spec.table):
            raise ValidationError({"destination": f"{spec.source_name} would be written over "
                                                  "itself; choose another destination table "
                                                  "or schema."})


PATTERN_CHARS = frozenset("*?[")


def _matching(spec: TableSpec, listed: list) -> list:
    """The listed tables `spec` names: itself, or every table (not view) its pattern
    matches; ValidationError when none, or when a bare name is in several schemas."""
    import fnmatch

    exact = [t for t in listed
             if (spec.schema is None and (t.name == spec.table or
                                          f"{t.schema}.{t.name}" == spec.table))
             or (spec.schema == t.schema and spec.table == t.name)]
    if not exact and PATTERN_CHARS & set(spec.source_name):
        found = [t for t in listed if t.kind != "view" and (
            fnmatch.fnmatchcase(f"{t.schema}.{t.name}" if t.schema else t.name,
                                spec.source_name) or
            (spec.schema is None and "." not in spec.table and
             fnmatch.fnmatchcase(t.name, spec.table)))]
        if not found:
            raise ValidationError({"tables": f"No table of the source matches "
                                             f"{spec.source_name!r}."})
        return found
    if not exact:
        raise ValidationError({"tables": f"Table {spec.source_name!r} is not in the source."})
    if len(exact) > 1:
        schemas = ", ".join(sorted(str(m.schema) for m in exact))
        raise ValidationError({"tables": f"Table {spec.table!r} is in several schemas "
                                         f"({schemas}); name it as schema.table."})
    return exact
