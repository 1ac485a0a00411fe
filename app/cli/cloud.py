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
    from app.cloud.job import host_overrides
    from app.cloud.transfer import export_spec

    overrides = _overrides(args.host)
    if args.spec:
        spec = export_spec(ctx, args.name, args.secrets, args.project,
                           host_overrides(ctx, args.name, overrides))
        _write(Path(args.spec), spec.dumps())
        refs = [e.secret for _, e in spec.endpoints if e.secret] + \
            ([spec.webhook] if spec.webhook else [])
        print(f"Exported job {spec.name!r} to {args.spec}"
              + (f"; its secrets are referenced as {', '.join(refs)}." if refs else "."))
        return 0
    from app.cloud.bundle import write_bundle
    from app.cloud.job import BundleOptions

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


def _options(args: argparse.Namespace):
    from app.cloud.job import BundleOptions

    return BundleOptions(project=args.project, region=args.region, image=args.image,
                         tasks=args.tasks, service_account=args.service_account,
                         schedule=not args.no_schedule, overrides=_overrides(args.host))


def _say(step) -> None:
    print(("  ✓ " if step.ok else "  ✗ ") + step.line(), flush=True)


def job_deploy(ctx: AppContext, args: argparse.Namespace) -> int:
    """Deploy to Cloud Run (+ Cloud Scheduler). Each secret is copied to Secret Manager
    after a yes in a terminal; without one, --copy-secrets (or --no-copy-secrets) says."""
    from app.cloud.google import DeployError
    from app.cloud.service import CloudService

    def confirm(owner: str, secret: str) -> bool:
        if args.copy_secrets is not None:
            return args.copy_secrets
        if not sys.stdin.isatty():
            raise UserError(f"Copying the secret of {owner} to Secret Manager ({secret}) "
                            "needs your yes: run in a terminal, or add --copy-secrets (or "
                            "--no-copy-secrets to use what Secret Manager holds).")
        answer = input(f"Copy the secret of {owner} to Secret Manager as {secret}? [y/N] ")
        return answer.strip().lower() in ("y", "yes")

    print(f"Deploying job {args.name!r} to {args.project} / {args.region}:")
    try:
        outcome = CloudService(ctx).deploy(args.name, _options(args), confirm, args.key_file,
                                           on_step=_say)
    except (DeployError, ValueError) as exc:
        raise UserError(str(exc)) from exc
    if not outcome.ok:
        print("sluice: the deploy did not finish; what is marked ✓ exists in Google Cloud. "
              "Deploy again to complete it.", file=sys.stderr)
        return 1
    print("Deployed.")
    return 0


def job_undeploy(ctx: AppContext, args: argparse.Namespace) -> int:
    from app.cloud.google import DeployError
    from app.cloud.service import CloudService

    try:
        outcome = CloudService(ctx).undeploy(args.name, args.key_file)
    except DeployError as exc:
        raise UserError(str(exc)) from exc
    for step in outcome.steps:
        _say(step)
    if not outcome.ok:
        return 1
    print("Undeployed (its secrets stay in Secret Manager).")
    return 0


def job_cloud_run(ctx: AppContext, args: argparse.Namespace) -> int:
    """Start an execution of the deployed job (--status: show the newest instead)."""
    from app.cloud.google import DeployError
    from app.cloud.service import CloudService

    service = CloudService(ctx)
    try:
        execution = service.refresh(args.name, args.key_file) if args.status else \
            service.run_now(args.name, args.key_file)
    except DeployError as exc:
        raise UserError(str(exc)) from exc
    if args.json:
        _print_json(execution)
    elif execution is None:
        print("No execution yet.")
    else:
        print(f"{execution['name'].rsplit('/', 1)[-1]}: {execution['status']}")
    return 0
