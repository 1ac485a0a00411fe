"""Connections: test-first create, edit, delete, listing and live tests.

Every front end (GUI, CLI, scheduler) goes through these functions. Values are saved
only together with the proof that exactly those values just passed a test.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select

from app.connectors import base, registry
from app.connectors.base import ERROR, TableInfo, TestResult
from app.secrets import SecretError
from app.services.context import AppContext
from app.services.errors import (
    ConnectionInUse,
    DuplicateCredentials,
    DuplicateName,
    NotTested,
    ValidationError,
)
from app.services.lookup import by_name_or_id
from app.services.views import ConnectionView, connection_view, used_by
from app.store.models import Connection, Job, fold_name, new_id, utcnow

log = logging.getLogger("sluice.connections")

PROOF_MAX_AGE = timedelta(minutes=15)
TEST_POOL_SIZE = 8
# Fingerprints tie a test result to the values tested; the key lives only in this process.
_PROOF_KEY = os.urandom(32)


@dataclass
class Draft:
    """What a form (or the CLI) holds: a type, a name, and raw field values incl. secrets."""

    type_key: str
    name: str | None
    values: dict[str, Any] = field(default_factory=dict)


def _fingerprint(type_key: str, params: dict, secrets: dict) -> str:
    doc = json.dumps([type_key, params, secrets], sort_keys=True, default=str)
    return hmac.new(_PROOF_KEY, doc.encode(), hashlib.sha256).hexdigest()


@dataclass
class Proof:
    """A passed test of exact values; `create`/`update` accept nothing else."""

    result: TestResult
    fingerprint: str


class ConnectionService:
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        # Tests of saved connections take turns in the store and the secret store (Python
        # work that, done by many threads at once, starves a window's thread of the GIL);
        # their waits on the servers overlap.
        self._turn = threading.Lock()

    # --- reading ---------------------------------------------------------------------

    @staticmethod
    def _jobs_by_connection(session: Any, conn_id: str | None = None) -> dict[str, list[str]]:
        """Job names per connection id (as source or destination), in one query."""
        query = select(Job.name, Job.source_connection_id, Job.destination_connection_id)
        if conn_id is not None:
            query = query.where(or_(Job.source_connection_id == conn_id,
                                    Job.destination_connection_id == conn_id))
        return used_by(session.execute(query.order_by(Job.name)))

    def _view(self, session: Any, row: Connection,
              users: dict[str, list[str]] | None = None) -> ConnectionView:
        if users is None:
            users = self._jobs_by_connection(session, row.id)
        return connection_view(row, users.get(row.id, []))

    def _row(self, session: Any, name_or_id: str) -> Connection:
        return by_name_or_id(session, Connection, name_or_id, "connection")

    def list(self) -> list[ConnectionView]:
        with self.ctx.store.session() as s:
            rows = s.scalars(select(Connection).order_by(func.lower(Connection.name))).all()
            users = self._jobs_by_connection(s)
            return [self._view(s, r, users) for r in rows]

    def get(self, name_or_id: str) -> ConnectionView:
        with self.ctx.store.session() as s:
            return self._view(s, self._row(s, name_or_id))

    def usage(self, name_or_id: str) -> list[str]:
        """Names of the jobs that read from or write to this connection."""
        return self.get(name_or_id).used_by

    # --- validating and testing -----------------------------------------------------

    def suggest_name(self, type_key: str, values: dict, exclude_id: str | None = None) -> str:
        params, _, _ = registry.validate(type_key, values)
        base_name = registry.suggest_name(type_key, params)
        with self.ctx.store.session() as s:
            taken = set(s.scalars(select(Connection.name_key).where(
                Connection.id != (exclude_id or ""))).all())
        name, n = base_name, 2
        while fold_name(name) in taken:
            name, n = f"{base_name} ({n})", n + 1
        return name

    def _secrets_of(self, conn_id: str) -> dict:
        with self.ctx.store.session() as s:
            ref = self._row(s, conn_id).secret_ref
        return self.ctx.secrets.get(ref) if ref else {}

    def resolve(self, draft: Draft, existing_id: str | None = None) -> tuple[dict, dict]:
        """Validate a draft into (params, secrets); on edit, empty secrets keep the saved ones."""
        params, secrets, errors = registry.validate(draft.type_key, draft.values)
        if errors:
            raise ValidationError(errors)
        if existing_id:
            kept = self._secrets_of(existing_id)
            secrets = {**kept, **secrets}
        return params, secrets

    def test(self, draft: Draft, existing_id: str | None = None,
             cancel: threading.Event | None = None, timeout: float | None = None) -> Proof:
        """Test the draft's values; the returned Proof is what create/update require."""
        params, secrets = self.resolve(draft, existing_id)
        result = base.test_connection(draft.type_key, params, secrets,
                                      timeout or self.ctx.test_timeout, cancel)
        return Proof(result, _fingerprint(draft.type_key, params, secrets))

    def _check_proof(self, proof: Proof | None, type_key: str, params: dict,
                     secrets: dict) -> None:
        if proof is None or not proof.result.ok:
            raise NotTested("Test the connection successfully before saving it.")
        if proof.fingerprint != _fingerprint(type_key, params, secrets):
            raise NotTested("The values changed since the last test; test again before saving.")
        if datetime.now(UTC) - proof.result.tested_at > PROOF_MAX_AGE:
            raise NotTested("The last test is too old; test again before saving.")

    def _check_unique(self, session: Any, name: str, type_key: str, params: dict,
                      exclude_id: str | None) -> None:
        others = session.scalars(select(Connection).where(
            Connection.id != (exclude_id or ""))).all()
        for other in others:
            if other.name_key == fold_name(name):
                raise DuplicateName(other.name)
        mine = registry.identity(type_key, params)
        for other in others:
            if other.type_key == type_key and registry.identity(other.type_key,
                                                                other.params) == mine:
                raise DuplicateCredentials(other.name, _describe(other.type_key, other.params))

    def name_problem(self, name: str, exclude_id: str | None = None) -> str | None:
        """Why `name` cannot be a connection's name (as the user types it), or None."""
        if not name.strip():
            return None  # left empty: a name is suggested
        problem = registry.validate_name(name)
        if problem:
            return problem
        with self.ctx.store.session() as s:
            taken = s.scalars(select(Connection.name).where(
                Connection.name_key == fold_name(name.strip()),
                Connection.id != (exclude_id or ""))).first()
        return str(DuplicateName(taken)) if taken else None

    def _checked_name(self, draft: Draft, params: dict, exclude_id: str | None) -> str:
        name = draft.name if draft.name and draft.name.strip() else \
            self.suggest_name(draft.type_key, params, exclude_id)
        problem = registry.validate_name(name)
        if problem:
            raise ValidationError({"name": problem})
        return name.strip()

    # --- changing -----------------------------------------------------------------

    def precheck(self, draft: Draft, existing_id: str | None = None
                 ) -> tuple[str, dict, dict]:
        """Everything that can be refused before contacting the source: field values, the
        name, duplicates, and whether the secret backend can take a password.

        Returns (name, params, secrets); raises a ServiceError or SecretError.
        """
        params, secrets = self.resolve(draft, existing_id)
        name = self._checked_name(draft, params, existing_id)
        with self.ctx.store.session() as s:
            self._check_unique(s, name, draft.type_key, params, existing_id)
        if secrets:
            self.ctx.secrets.check_writable()
        return name, params, secrets

    def create(self, draft: Draft, proof: Proof | None) -> ConnectionView:
        """Save a connection whose exact values just passed a test."""
        name, params, secrets = self.precheck(draft)
        self._check_proof(proof, draft.type_key, params, secrets)
        row = Connection(id=new_id(), name=name, name_key=fold_name(name),
                         type_key=draft.type_key, params=params)
        if secrets:
            row.secret_ref = self.ctx.secrets.ref_for(row.id)
            self.ctx.secrets.set(row.secret_ref, secrets)
        _record(row, proof.result)  # type: ignore[union-attr]
        try:
            with self.ctx.store.session() as s:
                # Again inside the inserting transaction, against a concurrent save.
                self._check_unique(s, name, draft.type_key, params, None)
                s.add(row)
        except Exception:
            if row.secret_ref:
                self.ctx.secrets.delete(row.secret_ref)
            raise
        log.info("created connection %r (%s)", name, draft.type_key)
        return self.get(row.id)

    def update(self, conn_id: str, draft: Draft, proof: Proof | None) -> ConnectionView:
        """Change a saved connection; a fresh successful test of the new values is required."""
        current = self.get(conn_id)
        if draft.type_key != current.type_key:
            raise ValidationError({"type": "The type of a saved connection cannot change; "
                                           "create a new connection instead."})
        name, params, secrets = self.precheck(draft, current.id)
        self._check_proof(proof, draft.type_key, params, secrets)
        with self.ctx.store.session() as s:
            self._check_unique(s, name, draft.type_key, params, current.id)
            row = self._row(s, current.id)
            old_secrets = self.ctx.secrets.get(row.secret_ref) if row.secret_ref else {}
            if secrets != old_secrets:
                if secrets:
                    ref = row.secret_ref or self.ctx.secrets.ref_for(row.id)
                    self.ctx.secrets.set(ref, secrets)
                    row.secret_ref = ref
                elif row.secret_ref:
                    self.ctx.secrets.delete(row.secret_ref)
                    row.secret_ref = None
            row.name, row.name_key, row.params = name, fold_name(name), params
            _record(row, proof.result)  # type: ignore[union-attr]
        log.info("updated connection %r", name)
        return self.get(current.id)

    def delete(self, name_or_id: str) -> None:
        """Delete a connection and its secret; refused while jobs use it."""
        with self.ctx.store.session() as s:
            row = self._row(s, name_or_id)
            view = self._view(s, row)
            if view.used_by:
                raise ConnectionInUse(row.name, view.used_by)
            ref = row.secret_ref
            s.delete(row)
        log.info("deleted connection %r", view.name)
        if ref:
            # The row is gone; a secret that could not be removed is unreachable and harmless.
            with contextlib.suppress(SecretError):
                self.ctx.secrets.delete(ref)

    def mark_used(self, name_or_id: str) -> None:
        with self.ctx.store.session() as s:
            self._row(s, name_or_id).last_used_at = utcnow()

    # --- live use of saved connections -------------------------------------------

    def load_with_secrets(self, name_or_id: str) -> tuple[ConnectionView, dict]:
        """The connection and its secrets, for the engine (never for display)."""
        with self.ctx.store.session() as s:
            row = self._row(s, name_or_id)
            view, ref = self._view(s, row), row.secret_ref
        return view, (self.ctx.secrets.get(ref) if ref else {})

    def test_saved(self, name_or_id: str, cancel: threading.Event | None = None,
                   timeout: float | None = None) -> TestResult:
        """Test a saved connection and record the outcome (status, time, message)."""
        with self._turn:
            try:
                view, secrets = self.load_with_secrets(name_or_id)
            except SecretError as exc:
                view, secrets = self.get(name_or_id), None
                result = TestResult(ERROR, f"Secret unavailable: {exc}")
            timeout = timeout or self.ctx.test_timeout
        if secrets is not None:
            result = base.test_connection(view.type_key, view.params, secrets, timeout, cancel)
        if cancel is not None and cancel.is_set():
            return result  # a cancelled test says nothing about the source: keep the last one
        log.info("tested %r: %s (%s ms) %s", view.name, result.status, result.latency_ms,
                 result.message)
        with self._turn, self.ctx.store.session() as s:
            row = s.get(Connection, view.id)
            if row is not None:  # deleted while the test ran
                _record(row, result)
        return result

    def retest(self, name_or_id: str, cancel: threading.Event | None = None
               ) -> ConnectionView:
        """Test a saved connection (see test_saved); the connection as stored after."""
        self.test_saved(name_or_id, cancel)
        with self._turn:
            return self.get(name_or_id)

    def test_all(self, timeout: float | None = None,
                 cancel: threading.Event | None = None) -> list[tuple[ConnectionView, TestResult]]:
        """Test every saved connection concurrently (a bounded pool); results in list order."""
        views = self.list()
        if not views:
            return []
        with ThreadPoolExecutor(max_workers=min(TEST_POOL_SIZE, len(views)),
                                thread_name_prefix="sluice-test") as pool:
            results = list(pool.map(lambda v: self.test_saved(v.id, cancel, timeout), views))
        return list(zip(views, results, strict=True))

    def tables(self, name_or_id: str, cancel: threading.Event | None = None) -> list[TableInfo]:
        """List a saved connection's tables live (raises base.ListingError on failure)."""
        view, secrets = self.load_with_secrets(name_or_id)
        tables = base.list_tables(view.type_key, view.params, secrets, cancel=cancel)
        self.mark_used(view.id)
        return tables


def _record(row: Connection, result: TestResult) -> None:
    row.last_test_at = result.tested_at
    row.last_test_status = result.status
    row.last_test_message = result.message
    row.last_test_version = result.server_version
    row.last_test_latency_ms = result.latency_ms


def _describe(type_key: str, params: dict) -> str:
    ctype = registry.get_type(type_key)
    parts = [f"{registry.get_type(type_key).field(k).label.lower()} {params[k]}"
             for k in ctype.identity if params.get(k) not in (None, "")]
    return ", ".join(parts)


def takes_url(type_key: str) -> bool:
    """Whether the form of `type_key` can be filled from a pasted connection URL."""
    from app.connectors.urls import takes_url as takes

    return takes(type_key)


def values_from_url(type_key: str, url: str) -> dict[str, str]:
    """The form values a pasted URL names; ValueError with a sentence when it cannot."""
    from app.connectors.urls import from_url

    return from_url(type_key, url)
