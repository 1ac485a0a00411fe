"""Headless command line: `python main.py <command>` (the GUI opens when none is given).

Exit codes: 0 success, 1 a failure the user can act on (message on stderr), 2 usage error.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence

from app.cli import cloud, commands, data
from app.connectors.registry import TYPES
from app.vocabulary import MAX_RETRIES, MODES, RETRIES


def seconds_between(low: float, high: float):
    """An argparse type: a number of seconds from `low` to `high` (not inf, nan or -5)."""
    def convert(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not low <= value <= high:  # false for nan too
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a number of seconds from {low:g} to {high:g}")
        return value
    return convert


def seconds(text: str) -> float:
    """A timeout in seconds within the range preferences allow."""
    from app.services.preferences import TIMEOUT_RANGE

    return seconds_between(*TIMEOUT_RANGE)(text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sluice", description="Sluice: desktop ETL, headless.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    types = sub.add_parser("types", help="list the connection types")
    types.add_argument("--json", action="store_true")
    types.set_defaults(func=commands.types)
    sample = sub.add_parser("sample", help="try Sluice on sample data: a small shop database, "
                                           "a connection to it and a job (no password)")
    sample.set_defaults(func=data.sample)
    for add_group in (_connection_commands, _job_commands, _scheduler_commands,
                      _store_commands, _secret_commands, _run_command):
        add_group(sub)
    return parser


def _run_command(sub) -> None:
    p = sub.add_parser("run", help="run a job spec with no metadata store (what the cloud "
                                   "container runs); JSON log lines on stdout")
    p.add_argument("--spec", required=True, metavar="PATH|gs://BUCKET/OBJECT")
    p.add_argument("--json", action="store_true",
                   help="print the run's record on stdout (the log lines go to stderr)")
    p.set_defaults(func=cloud.run, storeless=True)


def _rows(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 100_000:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of rows from 1 to 100000")
    return int(text)


def _tasks(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 10000:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of tasks from 1 to 10000")
    return int(text)


def _export_commands(jsub) -> None:
    export = jsub.add_parser("export", help="write a job as a spec (--spec) or as a bundle to "
                                            "deploy to Cloud Run (--bundle); no secret values")
    export.add_argument("name")
    where = export.add_mutually_exclusive_group(required=True)
    where.add_argument("--spec", metavar="PATH", help="write the job spec (JSON) here")
    where.add_argument("--bundle", metavar="DIR", help="write the spec, Dockerfile, Cloud Run "
                                                       "and Cloud Scheduler definitions, "
                                                       "deploy.sh and a README here")
    export.add_argument("--secrets", choices=["gcp", "env"], default="gcp",
                        help="reference secrets in Secret Manager (gcp, default) or as "
                             "SLUICE_SECRET_<NAME> environment variables (env); --spec only")
    export.add_argument("--project", help="the Google Cloud project")
    export.add_argument("--region", help="the Cloud Run region (bundle)")
    export.add_argument("--image", help="the container image (bundle; default: built by "
                                        "Cloud Build into Artifact Registry)")
    export.add_argument("--tasks", type=_tasks, default=1, metavar="N",
                        help="Cloud Run tasks sharing the tables (bundle; default 1)")
    export.add_argument("--host", action="append", default=[], metavar="CONNECTION=HOST",
                        help="the address the cloud reaches a connection by (repeatable)")
    export.set_defaults(func=cloud.job_export)
    imp = jsub.add_parser("import", help="create a job (and the connections it needs) from "
                                         "a spec")
    imp.add_argument("path", metavar="PATH|gs://BUCKET/OBJECT")
    imp.add_argument("--rename", metavar="NEW_NAME", help="import under another name")
    imp.set_defaults(func=cloud.job_import)
    deploy = jsub.add_parser("deploy", help="deploy a job to Google Cloud: Cloud Run job, "
                                            "Cloud Scheduler, secrets in Secret Manager")
    deploy.add_argument("name")
    deploy.add_argument("--project", required=True)
    deploy.add_argument("--region", required=True)
    deploy.add_argument("--image", help="an image in Artifact Registry (default: built with "
                                        "Cloud Build)")
    deploy.add_argument("--tasks", type=_tasks, default=1, metavar="N")
    deploy.add_argument("--service-account", metavar="EMAIL",
                        help="the job runs as (default sluice-runner@PROJECT...)")
    deploy.add_argument("--no-schedule", action="store_true",
                        help="no Cloud Scheduler job (it runs when started)")
    deploy.add_argument("--host", action="append", default=[], metavar="CONNECTION=HOST",
                        help="the address the cloud reaches a connection by (repeatable)")
    deploy.add_argument("--copy-secrets", action=argparse.BooleanOptionalAction,
                        default=None, help="copy each secret to Secret Manager without "
                                           "asking (or never)")
    deploy.add_argument("--key-file", metavar="FILE",
                        help="a service-account key file (default: application default "
                             "credentials)")
    deploy.set_defaults(func=cloud.job_deploy)
    undeploy = jsub.add_parser("undeploy", help="delete the job's Cloud Run and Cloud "
                                                "Scheduler jobs (secrets are kept)")
    undeploy.add_argument("name")
    undeploy.add_argument("--key-file", metavar="FILE")
    undeploy.set_defaults(func=cloud.job_undeploy)
    crun = jsub.add_parser("cloud-run", help="start the deployed job in Google Cloud now")
    crun.add_argument("name")
    crun.add_argument("--status", action="store_true",
                      help="show the newest cloud execution instead of starting one")
    crun.add_argument("--key-file", metavar="FILE")
    crun.add_argument("--json", action="store_true")
    crun.set_defaults(func=cloud.job_cloud_run)


def _retries(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= MAX_RETRIES:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number from 0 to {MAX_RETRIES}")
    return int(text)


def _scheduler_commands(sub) -> None:
    from app.scheduling.background import GRACE_SECONDS, POLL_SECONDS

    p = sub.add_parser("scheduler", help="run the schedules with no window (or pause or "
                                         "resume every schedule on this computer)")
    p.add_argument("action", nargs="?", choices=["pause", "resume"],
                   help="pause or resume every schedule (no action: run the scheduler until "
                        "SIGTERM or Ctrl+C)")
    p.add_argument("--grace", type=seconds_between(0, 3600), default=GRACE_SECONDS,
                   metavar="SECONDS",
                   help=f"on SIGTERM, how long running jobs get to stop (default "
                        f"{GRACE_SECONDS:g})")
    p.add_argument("--poll", type=seconds_between(0.1, 60), default=POLL_SECONDS,
                   metavar="SECONDS",
                   help="how often to look for jobs added, edited, paused or deleted "
                        f"elsewhere (default {POLL_SECONDS:g})")
    p.set_defaults(func=commands.scheduler)


def _connection_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host")
    p.add_argument("--port")
    p.add_argument("--database")
    p.add_argument("--user")
    p.add_argument("--password-stdin", action="store_true",
                   help="read the password (one line) from standard input")
    p.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                   help="any other field of the type (see `types --json`)")
    p.add_argument("--timeout", type=seconds, help="test timeout in seconds")


def _connection_commands(sub) -> None:
    conn = sub.add_parser("connection", help="manage connections")
    csub = conn.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = csub.add_parser("add", help="test, then save, a new connection")
    add.add_argument("--type", required=True, choices=[t.key for t in TYPES], metavar="TYPE")
    add.add_argument("--name", help="default: suggested from the type and database")
    _connection_options(add)
    add.set_defaults(func=commands.connection_add)
    ls = csub.add_parser("list", help="list saved connections")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=commands.connection_list)
    test = csub.add_parser("test", help="test saved connections live")
    which = test.add_mutually_exclusive_group(required=True)
    which.add_argument("name", nargs="?")
    which.add_argument("--all", action="store_true")
    test.add_argument("--json", action="store_true")
    test.add_argument("--timeout", type=seconds, help="test timeout in seconds")
    test.set_defaults(func=commands.connection_test)
    tables = csub.add_parser("tables", help="list a connection's tables live")
    tables.add_argument("name")
    tables.add_argument("--json", action="store_true")
    tables.set_defaults(func=commands.connection_tables)
    edit = csub.add_parser("edit", help="change a connection (tested again before saving)")
    edit.add_argument("name")
    edit.add_argument("--rename", metavar="NEW_NAME")
    _connection_options(edit)
    edit.set_defaults(func=commands.connection_edit)
    delete = csub.add_parser("delete", help="delete a connection and its secret")
    delete.add_argument("name")
    delete.set_defaults(func=commands.connection_delete)


def _schedule_options(p: argparse.ArgumentParser, adding: bool) -> None:
    when = p.add_mutually_exclusive_group()
    when.add_argument("--manual", action="store_true",
                      help="run only when asked" + (" (default)" if adding else ""))
    when.add_argument("--every", metavar="N{m|h}", help="run every N minutes or hours, e.g. 15m")
    when.add_argument("--daily", metavar="HH:MM", help="run every day at this time")
    when.add_argument("--cron", metavar="EXPR", help='a cron expression, e.g. "0 6 * * 1-5"')
    p.add_argument("--timezone", metavar="ZONE",
                   help="IANA zone of --daily/--cron (default: this machine's)")


PER_TABLE = ("TABLE=VALUE sets one table (repeatable); a bare VALUE, every table not "
             "named so")


def _table_options(p: argparse.ArgumentParser, adding: bool) -> None:
    """What a job says of its tables: each option takes VALUE for every table, or
    TABLE=VALUE for one (see app.cli.commands.per_table)."""
    p.add_argument("--mode", metavar="[TABLE=]MODE", action="append", default=[],
                   help=f"{' | '.join(MODES)}" + (" (default replace)" if adding else "")
                   + f"; {PER_TABLE}")
    p.add_argument("--cursor", metavar="[TABLE=]COLUMN", action="append", default=[],
                   help="the incremental cursor column")
    p.add_argument("--primary-key", metavar="[TABLE=]COL[,COL]", action="append", default=[],
                   help="the key to merge on (merge takes the source's key by default)")
    p.add_argument("--lookback", metavar="[TABLE=]DURATION", action="append", default=[],
                   help="re-read this far behind the cursor, e.g. 30m, 2h, 1d (needs a key)")
    p.add_argument("--detect-deletes", metavar="[TABLE=]delete|mark|off", action="append",
                   default=[], help="merge: delete, or mark in _sluice_deleted_at, the rows "
                                    "whose key is gone from the source")
    p.add_argument("--dest-schema", help="the destination schema of every table")
    p.add_argument("--exclude-column", metavar="TABLE.COLUMN", action="append", default=[],
                   help="leave a column out (repeatable)")
    p.add_argument("--stall-timeout", metavar="DURATION",
                   help="stop a run when no rows move for this long (default 10m; 0: never)")
    p.add_argument("--retries", type=_retries, metavar="N",
                   help=f"tries after a failure that looks transient, 0-{MAX_RETRIES} "
                        f"(default {RETRIES})")
    p.add_argument("--grace", metavar="DURATION",
                   help="how late a missed scheduled run may still start, e.g. 1h, 30m; "
                        "later it is recorded as skipped (default 1h; 0: never catch up)")
    p.add_argument("--webhook", metavar="URL",
                   help="POST a JSON report of failed and skipped runs here (kept with the "
                        "passwords; '' removes it)")
    p.add_argument("--notify-success", action=argparse.BooleanOptionalAction, default=None,
                   help="report successful runs to the webhook too")


def _job_commands(sub) -> None:
    job = sub.add_parser("job", help="manage and run ETL jobs")
    jsub = job.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = jsub.add_parser("add", help="create a job (tables are checked against the source)")
    add.add_argument("--name", required=True)
    add.add_argument("--source", required=True, metavar="CONNECTION")
    which = add.add_mutually_exclusive_group()
    which.add_argument("--table", action="append", metavar="TABLE",
                       help="source table (schema.table where needed), or a pattern such as "
                            "'sales.*' for every table of a schema; a collection, or a Redis "
                            "key pattern such as 'session:*'; repeat for more")
    which.add_argument("--all-tables", action="store_true",
                       help="every table of the source (of --schema, if given)")
    add.add_argument("--query", action="append", default=[], metavar="NAME=SQL",
                     help="a table made of a read-only SQL query, landing in table NAME "
                          "(repeatable; beside or instead of --table)")
    add.add_argument("--schema", help="with --all-tables: only this schema")
    add.add_argument("--destination", default="local", metavar="CONNECTION|local")
    add.add_argument("--dest-table", help="only with a single --table")
    _table_options(add, adding=True)
    _schedule_options(add, adding=True)
    add.set_defaults(func=commands.job_add)
    edit = jsub.add_parser("edit", help="change a job; says what the change does first")
    edit.add_argument("name")
    edit.add_argument("--rename", metavar="NEW_NAME")
    edit.add_argument("--destination", metavar="CONNECTION|local")
    edit.add_argument("--add-table", metavar="TABLE", action="append", default=[],
                      help="add a table, or a pattern such as 'sales.*' (repeatable)")
    edit.add_argument("--remove-table", metavar="TABLE", action="append", default=[],
                      help="stop copying a table (its destination table is kept)")
    _table_options(edit, adding=False)
    edit.add_argument("--include-column", metavar="TABLE.COLUMN", action="append",
                      default=[], help="copy a column left out before (repeatable)")
    _schedule_options(edit, adding=False)
    edit.add_argument("--dry-run", action="store_true", help="only say what would change")
    edit.set_defaults(func=commands.job_edit)
    _export_commands(jsub)
    preview = jsub.add_parser("preview", help="the first rows of each table a job landed")
    preview.add_argument("name")
    preview.add_argument("--table", metavar="TABLE", help="only this table (source or "
                                                          "destination name)")
    preview.add_argument("--limit", type=_rows, default=20, metavar="N",
                         help="rows per table (default 20)")
    preview.add_argument("--json", action="store_true")
    preview.set_defaults(func=data.job_preview)
    for action, helptext, func in (("list", "list jobs", commands.job_list),
                                   ("show", "show one job", commands.job_show),
                                   ("run", "run a job now", commands.job_run),
                                   ("runs", "a job's run history", commands.job_runs),
                                   ("pause", "stop a job's schedule", commands.job_pause),
                                   ("resume", "start a job's schedule again",
                                    commands.job_resume),
                                   ("delete", "delete a job", commands.job_delete)):
        p = jsub.add_parser(action, help=helptext)
        if action != "list":
            p.add_argument("name")
        if action in ("pause", "resume"):
            p.set_defaults(func=func)
            continue
        if action == "runs":
            pages = p.add_mutually_exclusive_group()
            pages.add_argument("--limit", type=int, default=50, metavar="N",
                               help="the newest N runs (default 50)")
            pages.add_argument("--all", action="store_true", help="every run")
        if action != "delete":
            p.add_argument("--json", action="store_true")
        else:
            p.add_argument("--drop-tables", action="store_true",
                           help="also drop the tables the job loaded (and their cursors)")
        p.set_defaults(func=func)


def _store_commands(sub) -> None:
    store = sub.add_parser("store", help="the metadata store's backups")
    stsub = store.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = stsub.add_parser("backups", help="list the automatic backups, newest first")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=commands.store_backups)
    back = stsub.add_parser("restore", help="put a backup in place of the store (the file "
                                            "it replaces is kept)")
    back.add_argument("--from", dest="source", metavar="FILE",
                      help="a backup file (default: the newest healthy one)")
    back.set_defaults(func=commands.store_restore)


def _secret_commands(sub) -> None:
    secrets = sub.add_parser("secrets", help="where passwords are kept")
    ssub = secrets.add_subparsers(dest="action", required=True, metavar="ACTION")
    status = ssub.add_parser("status", help="show the secret backend and whether it is usable")
    status.add_argument("--json", action="store_true")
    status.set_defaults(func=commands.secrets_status)
    use = ssub.add_parser("use", help="choose the backend for new secrets")
    use.add_argument("backend", choices=["keyring", "vault", "gcp"])
    use.add_argument("--project", help="GCP project (gcp)")
    use.add_argument("--endpoint", help="Secret Manager API endpoint (gcp; rarely needed)")
    use.set_defaults(func=commands.secrets_use)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return commands.dispatch(args)
    except BrokenPipeError:
        # The reader went away (`| head`); stop quietly as Unix tools do.
        sys.stderr.close()
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
