"""The job spec: one versioned JSON document that describes a job completely, so that it
runs where there is no metadata store (a Cloud Run container, another computer).

It holds the job's name (incremental cursors are kept in the destination under it, so a run
from the spec and a run from the app continue one cursor), its source and destination
(type and parameters, never a secret: each secret is a reference), its tables with their
modes, cursors, keys and look-back, the schedule with its time zone, and what is reported
to the webhook. A `digest` (sha256 of the rest) is written with it and checked on load: a
spec changed by hand or damaged on the way is refused; export it again.

Secret references: `env:NAME` (an environment variable holding the secret's JSON, or a bare
password), `projects/P/secrets/S` (Secret Manager, optionally `/versions/V`), or `gcp:S`
(Secret Manager, in the project the runner runs in).

Loading checks everything and reports one plain line per problem (SpecError).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from app.connectors import registry
from app.etl.spec import TableSpec
from app.scheduling.schedule import Schedule
from app.services.views import Unattended

FORMAT = "sluice.job-spec"
VERSION = 1
_ENV = re.compile(r"env:[A-Za-z_][A-Za-z0-9_]*")
_RESOURCE = re.compile(r"projects/[a-z0-9][a-z0-9.:-]*/secrets/[A-Za-z0-9_-]{1,255}"
                       r"(/versions/(latest|[0-9]+))?")
_SHORT = re.compile(r"gcp:[A-Za-z0-9_-]{1,255}")
REFERENCE_FORMS = "env:NAME, gcp:SECRET or projects/PROJECT/secrets/SECRET"


class SpecError(ValueError):
    """A spec that cannot be used: every problem, one plain line each."""

    def __init__(self, origin: str, problems: list[str]) -> None:
        self.origin, self.problems = origin, problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"The job spec {origin} cannot be used:\n{lines}")


def is_reference(value: Any) -> bool:
    """Whether `value` is a secret reference a spec may hold (not a secret itself)."""
    return isinstance(value, str) and any(
        p.fullmatch(value) for p in (_ENV, _RESOURCE, _SHORT))


def env_name(name: str, prefix: str = "SLUICE_SECRET_") -> str:
    """The environment variable of a connection's secret: SLUICE_SECRET_<NAME>, NAME
    upper-cased with every run of characters other than A-Z and 0-9 replaced by `_`."""
    return prefix + re.sub(r"[^A-Z0-9]+", "_", name.upper())


def secret_id(name: str, prefix: str = "sluice-") -> str:
    """The Secret Manager secret id of a connection's secret: sluice-<name>, lower-cased
    with every run of other characters replaced by `-`."""
    return prefix + (re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "secret")


@dataclass
class Endpoint:
    """A job's source or destination in a spec (type None: the local warehouse)."""

    name: str
    type_key: str | None
    params: dict = field(default_factory=dict)
    secret: str | None = None  # a reference, never the value

    def to_json(self) -> dict:
        if self.type_key is None:
            return {"name": self.name, "type": "local"}
        return {"name": self.name, "type": self.type_key, "params": self.params,
                "secret": self.secret}


@dataclass
class JobSpec:
    name: str
    source: Endpoint
    destination: Endpoint
    tables: list[TableSpec]
    schedule: Schedule = field(default_factory=Schedule)
    stall_seconds: int | None = None
    unattended: Unattended = field(default_factory=Unattended)
    webhook: str | None = None  # a reference to the webhook URL's secret
    exported: dict = field(default_factory=dict)  # from where and when (informative)

    @property
    def endpoints(self) -> list[tuple[str, Endpoint]]:
        return [("source", self.source), ("destination", self.destination)]

    def document(self) -> dict:
        """The spec as JSON data, without its digest."""
        return {
            "format": FORMAT, "version": VERSION,
            "job": {
                "name": self.name,
                "tables": [_table_json(t) for t in self.tables],
                "schedule": self.schedule.to_json(),
                "stall_seconds": self.stall_seconds,
                "retries": self.unattended.retries,
                "missed_grace_seconds": self.unattended.missed_grace_seconds,
                "notify": {"webhook": self.webhook,
                           "success": self.unattended.notify_success},
            },
            "source": self.source.to_json(),
            "destination": self.destination.to_json(),
            "exported": self.exported,
        }

    def dumps(self) -> str:
        """The spec's text: the document and its digest."""
        doc = self.document()
        doc["digest"] = digest(doc)
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def _table_json(spec: TableSpec) -> dict:
    """A table's settings, leaving out those at their defaults."""
    return {k: v for k, v in spec.to_json().items() if v not in (None, [])}


def digest(doc: dict) -> str:
    body = {k: v for k, v in doc.items() if k != "digest"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def loads(text: str | bytes, origin: str = "") -> JobSpec:
    """The spec in `text`, checked; SpecError lists every problem."""
    origin = origin or "given"
    try:
        doc = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise SpecError(origin, [f"It is not JSON: {exc}."]) from exc
    if not isinstance(doc, dict):
        raise SpecError(origin, ["It is not a job spec (a JSON object is expected)."])
    problems = _Check()
    if doc.get("format") != FORMAT:
        problems.add(f"It is not a Sluice job spec (\"format\" is not {FORMAT!r}).")
        raise SpecError(origin, problems.found)
    version = doc.get("version")
    if version != VERSION:
        problems.add(f"Unknown spec version {version!r}: this Sluice reads version {VERSION}"
                     + (" (a newer Sluice wrote it: upgrade Sluice)."
                        if isinstance(version, int) and version > VERSION else "."))
        raise SpecError(origin, problems.found)
    if "digest" not in doc:
        problems.add("Missing field \"digest\": export the job again from Sluice.")
    elif doc["digest"] != digest(doc):
        problems.add("It was changed after it was exported (its digest no longer matches "
                     "its content): export the job again from Sluice rather than editing "
                     "the file.")
    spec = _parse(doc, problems)
    if problems.found:
        raise SpecError(origin, problems.found)
    assert spec is not None
    return spec


class _Check:
    def __init__(self) -> None:
        self.found: list[str] = []

    def add(self, message: str) -> None:
        self.found.append(message)

    def need(self, data: Any, key: str, kind: type | tuple, where: str) -> Any:
        """data[key], which must be there and of `kind` (else a problem, and None)."""
        if not isinstance(data, dict) or key not in data:
            self.add(f"Missing field \"{where}{key}\".")
            return None
        value = data[key]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            self.add(f"Field \"{where}{key}\" must be {_kind_words(kind)}.")
            return None
        return value


def _kind_words(kind: type | tuple) -> str:
    names = {str: "text", int: "a whole number", dict: "an object", list: "a list",
             bool: "true or false", type(None): "null"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _parse(doc: dict, check: _Check) -> JobSpec | None:
    job = check.need(doc, "job", dict, "")
    source = _endpoint(doc, "source", check)
    destination = _endpoint(doc, "destination", check)
    if job is None:
        return None
    name = check.need(job, "name", str, "job.")
    if name is not None and registry.validate_name(name):
        check.add(f"job.name: {registry.validate_name(name)}")
    tables = _tables(check.need(job, "tables", list, "job."), check)
    schedule = _schedule(check.need(job, "schedule", dict, "job."), check)
    stall = job.get("stall_seconds")
    if stall is not None and (not isinstance(stall, int) or isinstance(stall, bool)):
        check.add("Field \"job.stall_seconds\" must be a whole number or null.")
        stall = None
    retries = check.need(job, "retries", int, "job.")
    grace = check.need(job, "missed_grace_seconds", int, "job.")
    notify = check.need(job, "notify", dict, "job.") or {}
    webhook = notify.get("webhook")
    if webhook is not None and not is_reference(webhook):
        check.add("job.notify.webhook is a URL given as a value: a webhook URL is kept like a "
                  f"password; give a reference ({REFERENCE_FORMS}).")
    success = notify.get("success", False)
    if not isinstance(success, bool):
        check.add("Field \"job.notify.success\" must be true or false.")
    if None in (name, tables, schedule, retries, grace, source, destination):
        return None
    unattended = Unattended(retries, grace, bool(success))
    spec = JobSpec(name.strip(), source, destination, tables, schedule, stall, unattended,
                   webhook, doc.get("exported") if isinstance(doc.get("exported"), dict)
                   else {})
    _rules(spec, check)
    return spec


def _endpoint(doc: dict, role: str, check: _Check) -> Endpoint | None:
    data = check.need(doc, role, dict, "")
    if data is None:
        return None
    name = check.need(data, "name", str, f"{role}.")
    kind = check.need(data, "type", str, f"{role}.")
    if kind is None or name is None:
        return None
    if kind == "local":
        if role == "source":
            check.add("source.type \"local\": the local warehouse is a destination only.")
            return None
        return Endpoint(name, None)
    if kind not in registry.BY_KEY:
        check.add(f"Unknown connection type {kind!r} in {role}.type (known: "
                  f"{', '.join(sorted(registry.BY_KEY))}).")
        return None
    ctype = registry.get_type(kind)
    params = check.need(data, "params", dict, f"{role}.")
    secret = data.get("secret")
    if params is None:
        return None
    for key in sorted(set(params) & set(ctype.secret_fields)):
        if params[key] not in (None, ""):
            check.add(f"{role}.params.{key} is a secret given as a value: keep it in Secret "
                      f"Manager or an environment variable and reference it in {role}.secret "
                      f"({REFERENCE_FORMS}).")
    if secret is not None and not is_reference(secret):
        check.add(f"{role}.secret is not a reference but looks like a secret's value: give "
                  f"{REFERENCE_FORMS}.")
    clean = {k: v for k, v in params.items() if k not in ctype.secret_fields}
    normal, _, errors = registry.validate(kind, clean)
    for key, message in errors.items():
        check.add(f"{role}.params: {message}" if key == "_unknown"
                  else f"{role}.params.{key}: {message}")
    engine = registry.engine(kind)
    if role == "source" and not engine.readable:
        check.add(f"source: Sluice cannot read {ctype.label} in a job yet.")
    if role == "destination" and not engine.writable:
        check.add(f"destination: Sluice cannot write to {ctype.label} yet.")
    return Endpoint(name, kind, normal, secret if is_reference(secret) else None)


def _tables(data: list | None, check: _Check) -> list[TableSpec] | None:
    if data is None:
        return None
    known = set(TableSpec.__dataclass_fields__)
    tables = []
    for i, item in enumerate(data):
        if not isinstance(item, dict) or not isinstance(item.get("table"), str):
            check.add(f"job.tables[{i}] must be an object with a \"table\".")
            continue
        unknown = sorted(set(item) - known)
        if unknown:
            check.add(f"job.tables[{i}] ({item['table']}) has unknown field"
                      f"{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}.")
            continue
        tables.append(TableSpec.from_json(item))
    return tables


def _schedule(data: dict | None, check: _Check) -> Schedule | None:
    if data is None:
        return None
    kind = check.need(data, "kind", str, "job.schedule.")
    zone = check.need(data, "timezone", str, "job.schedule.")
    expr = data.get("expr")
    if kind is None or zone is None:
        return None
    return Schedule(kind, expr if isinstance(expr, str) else None, zone)


def _rules(spec: JobSpec, check: _Check) -> None:
    """The job's rules (modes, cursors, keys, where tables land, the schedule), as the app
    checks them."""
    from app.services.job_rules import job_problems, unattended_problems

    dest = spec.destination
    for _, message in job_problems(spec.tables, dest.type_key, dest.params, spec.schedule,
                                   spec.stall_seconds) + \
            unattended_problems(spec.unattended, None):
        check.add(f"job: {message}")
