"""A job out of this install as a spec (export), and a spec into this install (import)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Literal

from app import __version__
from app.cloud.secrets import SpecSecrets
from app.cloud.spec import Endpoint, JobSpec, env_name, secret_id
from app.connectors import registry
from app.etl.spec import TableSpec
from app.secrets import SecretError
from app.services.connections import ConnectionService, Draft
from app.services.context import AppContext
from app.services.errors import ServiceError, ValidationError
from app.services.jobs import JobService
from app.services.views import LOCAL, WAREHOUSE, ConnectionView, JobDraft, JobView
from app.store.models import utcnow

log = logging.getLogger("sluice.cloud")
SecretsIn = Literal["gcp", "env"]


def export_spec(ctx: AppContext, job_name: str, secrets: SecretsIn = "gcp",
                project: str | None = None, overrides: dict[str, dict] | None = None
                ) -> JobSpec:
    """The job as a spec. Each secret is referenced, never copied: with "env" as the
    environment variable SLUICE_SECRET_<NAME>; with "gcp" as the Secret Manager secret
    sluice-<name> in `project` (default: the one chosen for secrets in this install; none:
    the runner's own project). `overrides` changes connection parameters by connection
    name (a host that the cloud reaches by another address)."""
    jobs = JobService(ctx)
    job = jobs.get(job_name)
    conns = ConnectionService(ctx)
    project = project or ctx.secrets.gcp_project
    overrides = overrides or {}

    def ref(name: str, env_prefix: str, id_prefix: str) -> str:
        if secrets == "env":
            return "env:" + env_name(name, env_prefix)
        sid = secret_id(name, id_prefix)
        return f"projects/{project}/secrets/{sid}" if project else f"gcp:{sid}"

    def endpoint(view: ConnectionView | None) -> Endpoint:
        if view is None:
            return Endpoint(WAREHOUSE, None)
        params = {**view.params, **overrides.get(view.name, {})}
        return Endpoint(view.name, view.type_key, params,
                        ref(view.name, "SLUICE_SECRET_", "sluice-") if view.has_secret
                        else None)

    source = endpoint(conns.get(job.source_id))
    dest = endpoint(conns.get(job.destination_id) if job.destination_id else None)
    return JobSpec(job.name, source, dest, [TableSpec.from_json(t.to_json()) for t in job.tables],
                   job.schedule, job.stall_seconds, job.unattended,
                   ref(job.name, "SLUICE_WEBHOOK_", "sluice-webhook-") if job.has_webhook
                   else None,
                   {"by": f"Sluice {__version__}", "at": utcnow().isoformat(timespec="seconds"),
                    "job_id": job.id})


def secret_values(ctx: AppContext, job_name: str, spec: JobSpec) -> dict[str, dict]:
    """The secret each reference of `spec` (exported from `job_name`) stands for, read from
    this install's backend: what a deploy copies into Secret Manager."""
    jobs = JobService(ctx)
    job = jobs.get(job_name)
    conns = ConnectionService(ctx)
    values: dict[str, dict] = {}
    for conn_id, end in ((job.source_id, spec.source), (job.destination_id, spec.destination)):
        if conn_id and end.secret:
            values[end.secret] = conns.load_with_secrets(conn_id)[1]
    if spec.webhook:
        values[spec.webhook] = {"url": jobs.webhook(job.id)}
    return values


@dataclass
class Imported:
    job: JobView
    notes: list[str] = field(default_factory=list)  # what was reused, created, renamed


# Asked for a connection's password when its reference cannot be read here (None: refuse).
AskSecret = Callable[[Endpoint], str | None]


def import_spec(ctx: AppContext, spec: JobSpec, rename: str | None = None,
                ask: AskSecret | None = None, resolver: SpecSecrets | None = None,
                timeout: float | None = None) -> Imported:
    """Create the spec's job here, with its connections: a connection with the same
    credentials as one saved here is that one; another is tested, then saved (its secret
    read through its reference, else asked for). Nothing is saved unless everything is:
    the job's name is free (or `rename` gives one), every new connection passes its test,
    the job passes the checks a new job passes."""
    jobs, conns = JobService(ctx), ConnectionService(ctx)
    name = (rename or spec.name).strip()
    try:
        jobs.check_name(name)
    except ValidationError as exc:
        hint = "" if rename else " Import it under another name: --rename NEW_NAME."
        raise ValidationError({"name": f"{exc}{hint}"}) from exc
    resolver = resolver or SpecSecrets()
    notes: list[str] = []
    plans: list[tuple[str, Endpoint, ConnectionView | None, Draft | None]] = []
    for role, end in spec.endpoints:
        if end.type_key is None:
            plans.append((role, end, None, None))
            continue
        found = _same_credentials(conns, end)
        if found is not None:
            notes.append(f"The {role} is the saved connection {found.name!r}.")
            plans.append((role, end, found, None))
            continue
        draft = Draft(end.type_key, _free_name(conns, end.name),
                      {**end.params, **_secrets_for(end, resolver, ask)})
        conns.precheck(draft)
        proof = conns.test(draft, timeout=timeout)
        if not proof.result.ok:
            raise ServiceError(f"The {role} connection {end.name!r} failed its test: "
                               f"{proof.result.message} Nothing was imported.")
        plans.append((role, end, None, (draft, proof)))
    created: list[ConnectionView] = []
    try:
        ids: dict[str, str] = {}
        for role, end, found, new in plans:
            if end.type_key is None:
                ids[role] = LOCAL
            elif found is not None:
                ids[role] = found.id
            else:
                draft, proof = new
                view = conns.create(draft, proof)
                created.append(view)
                ids[role] = view.id
                notes.append(f"Saved the {role} connection {view.name!r}"
                             + (f" (the name {end.name!r} was taken)."
                                if view.name != end.name else "."))
        tables = [replace(t, state_key=t.state_key_for(spec.name)) if name != spec.name
                  else t for t in spec.tables]
        webhook = _webhook(spec, resolver, notes)
        job = jobs.create(JobDraft(name, ids["source"], tables, ids["destination"],
                                   spec.schedule, spec.stall_seconds, spec.unattended,
                                   webhook))
    except BaseException:
        for view in created:
            conns.delete(view.id)
        raise
    if name != spec.name:
        notes.append(f"Imported as {name!r}; its incremental cursors are still those of "
                     f"{spec.name!r}, so it continues where that job left off.")
    log.info("imported job %r", name)
    return Imported(job, notes)


def lacking(ctx: AppContext, spec: JobSpec, resolver: SpecSecrets | None = None
            ) -> list[Endpoint]:
    """The spec's connections an import would save whose secret cannot be read here (what
    the user is asked for first)."""
    conns, resolver = ConnectionService(ctx), resolver or SpecSecrets()
    out = []
    for _, end in spec.endpoints:
        if end.type_key is None or not end.secret or _same_credentials(conns, end):
            continue
        try:
            resolver.get(end.secret)
        except SecretError:
            out.append(end)
    return out


def _same_credentials(conns: ConnectionService, end: Endpoint) -> ConnectionView | None:
    wanted = registry.identity(end.type_key, end.params)
    return next((v for v in conns.list()
                 if registry.identity(v.type_key, v.params) == wanted), None)


def _free_name(conns: ConnectionService, name: str) -> str:
    candidate, n = name, 2
    while conns.name_problem(candidate):
        candidate, n = f"{name} ({n})", n + 1
    return candidate


def _secrets_for(end: Endpoint, resolver: SpecSecrets, ask: AskSecret | None) -> dict:
    """The connection's secret fields: read through its reference, else asked for."""
    if not end.secret:
        return {}
    try:
        return resolver.get(end.secret)
    except SecretError as exc:
        given = ask(end) if ask is not None else None
        if given is None:
            raise ServiceError(
                f"The password of the connection {end.name!r} is needed and its reference "
                f"{end.secret} cannot be read here ({exc}). Set it (for env: references, "
                f"the environment variable) or import in a terminal to be asked. Nothing "
                f"was imported.") from exc
        return {"password": given}


def _webhook(spec: JobSpec, resolver: SpecSecrets, notes: list[str]) -> str | None:
    if not spec.webhook:
        return None
    try:
        return resolver.get(spec.webhook).get("url")
    except SecretError as exc:
        notes.append(f"The webhook was left out: {spec.webhook} cannot be read here ({exc}); "
                     "set it with job edit --webhook.")
        return None
