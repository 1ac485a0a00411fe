"""Deploy a job to Google Cloud: its secrets into Secret Manager (after the user confirms
each), its image (given, or built by Cloud Build), the Cloud Run job, the Cloud Scheduler job.

Each step is reported as it ends (created, updated, kept, failed, not done), so a deploy
that fails half-way says exactly what exists in the cloud and what does not; every step
creates or updates in place, so deploying again completes it. Undeploy removes the
scheduler and Cloud Run jobs (secrets are kept: other jobs may use them).
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import tarfile
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.cloud.google import DeployError, GoogleClients
from app.cloud.job import CLOUD_SQL_MOUNT, SCOPE, CloudJob

log = logging.getLogger("sluice.cloud")
OPERATION_TIMEOUT = 600.0  # seconds a Cloud Run job create/update may take
BUILD_TIMEOUT = 1800.0
REPOSITORY = "sluice"  # the Artifact Registry repository built images go to


@dataclass
class Step:
    what: str  # "Secret sluice-sales-db", "Image", "Cloud Run job …", "Cloud Scheduler job …"
    outcome: str  # created | updated | copied | kept | given | built | deleted | failed | not done
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.outcome not in ("failed", "not done")

    def line(self) -> str:
        return f"{self.what}: {self.outcome}" + (f" ({self.detail})" if self.detail else "")


@dataclass
class Outcome:
    steps: list[Step] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(s.ok for s in self.steps)


# Whether to copy a secret to Secret Manager: (connection or webhook, secret id) -> yes/no.
Confirm = Callable[[str, str], bool]


def _exceptions():
    from google.api_core import exceptions

    return exceptions


class Deployer:
    def __init__(self, job: CloudJob, clients: GoogleClients,
                 on_step: Callable[[Step], None] | None = None,
                 cancel: threading.Event | None = None) -> None:
        self.job, self.clients = job, clients
        self.on_step = on_step or (lambda step: None)
        self.cancel = cancel or threading.Event()

    # --- deploy ------------------------------------------------------------------------

    def deploy(self, values: dict[str, dict], confirm: Confirm,
               bundle: Callable[[Path], None] | None = None) -> Outcome:
        """Every step in order; the first failure ends the deploy, and the steps after it
        are reported as not done. `values`: the secrets by reference (from this install);
        `bundle` writes the bundle into a folder (for Cloud Build, when no image is given)."""
        job = self.job
        plan: list[tuple[str, Callable[[], Step]]] = []
        for variable, secret, owner in job.owned_secrets():
            plan.append((f"Secret {secret}", lambda v=variable, s=secret, o=owner:
                         self._secret(s, values.get(f"env:{v}"), o, confirm)))
        plan.append(("Image", lambda: self._image(bundle)))
        plan.append((f"Cloud Run job {job.name}", self._run_job))
        plan.append((f"Cloud Scheduler job {job.name}", self._scheduler))
        outcome = Outcome()
        for what, step in plan:
            if outcome.steps and not outcome.steps[-1].ok:
                done = Step(what, "not done")
            elif self.cancel.is_set():
                done = Step(what, "not done", "cancelled")
            else:
                try:
                    done = step()
                except Exception as exc:  # noqa: BLE001 - reported as the step's failure
                    done = Step(what, "failed", _message(exc))
                    log.warning("deploy of %s: %s failed: %s", job.name, what, done.detail)
            outcome.steps.append(done)
            self.on_step(done)
        return outcome

    def _secret(self, secret: str, value: dict | None, owner: str, confirm: Confirm) -> Step:
        """Copy the secret (a new version), after the user says yes; let the job's service
        account read it."""
        import json

        exceptions = _exceptions()
        client, project = self.clients.secrets, self.job.project
        name = f"projects/{project}/secrets/{secret}"
        what = f"Secret {secret}"
        outcome = "kept"
        if value is None:
            detail = f"{owner} has no secret here; the one in Secret Manager is used"
        elif not confirm(owner, secret):
            detail = "not copied (you chose not to); the one in Secret Manager is used"
        else:
            outcome = "copied"
            with contextlib.suppress(exceptions.Conflict):  # there already: a new version
                client.create_secret(request={
                    "parent": f"projects/{project}", "secret_id": secret,
                    "secret": {"replication": {"automatic": {}},
                               "labels": {"managed-by": "sluice"}}})
            version = client.add_secret_version(request={
                "parent": name, "payload": {"data": json.dumps(value).encode()}})
            detail = f"from {owner}, version {version.name.rsplit('/', 1)[-1]}"
        try:
            self._grant(client, name, "roles/secretmanager.secretAccessor")
        except exceptions.NotFound as exc:
            raise DeployError(f"{secret} is not in Secret Manager and {owner}'s secret was "
                              "not copied: copy it, or create it by hand.") from exc
        return Step(what, outcome, detail)

    def _grant(self, client: Any, resource: str, role: str) -> None:
        """Let the job's service account have `role` on `resource` (once)."""
        member = f"serviceAccount:{self.job.service_account}"
        policy = client.get_iam_policy(request={"resource": resource})
        for binding in policy.bindings:
            if binding.role == role:
                if member in binding.members:
                    return
                binding.members.append(member)
                break
        else:
            policy.bindings.add(role=role, members=[member])
        client.set_iam_policy(request={"resource": resource, "policy": policy})

    def _image(self, bundle: Callable[[Path], None] | None) -> Step:
        if self.job.options.image:
            return Step("Image", "given", self.job.image)
        if bundle is None:
            raise DeployError("No image was given and there is nothing to build it from.")
        return Step("Image", "built", self._build(bundle))

    def _build(self, bundle: Callable[[Path], None]) -> str:
        """Build the bundle's Dockerfile with Cloud Build into Artifact Registry."""
        http, job = self.clients.http, self.job
        with tempfile.TemporaryDirectory(prefix="sluice-build-") as folder:
            bundle(Path(folder))
            archive = io.BytesIO()
            with tarfile.open(fileobj=archive, mode="w:gz") as tar:
                tar.add(folder, arcname=".")
        bucket = f"{job.project}_cloudbuild"
        source = f"source/{job.name}-{int(time.time())}.tgz"
        repo = self.clients.url("artifactregistry", f"/v1/projects/{job.project}/locations/"
                                f"{job.region}/repositories?repositoryId={REPOSITORY}")
        _call(http, "POST", repo, {"format": "DOCKER", "description": "Sluice job images"},
              ok=(200, 409))
        upload = self.clients.url("storage", f"/upload/storage/v1/b/{bucket}/o"
                                  f"?uploadType=media&name={source}")
        response = http.post(upload, data=archive.getvalue(),
                             headers={"Content-Type": "application/gzip"}, timeout=300)
        if response.status_code == 404:  # the build bucket is made on first use
            _call(http, "POST", self.clients.url("storage", f"/storage/v1/b?project="
                                                 f"{job.project}"), {"name": bucket})
            response = http.post(upload, data=archive.getvalue(),
                                 headers={"Content-Type": "application/gzip"}, timeout=300)
        _check(response, "uploading the build's source")
        operation = _call(http, "POST", self.clients.url(
            "cloudbuild", f"/v1/projects/{job.project}/locations/{job.region}/builds"), {
            "source": {"storageSource": {"bucket": bucket, "object": source}},
            "steps": [{"name": "gcr.io/cloud-builders/docker",
                       "args": ["build", "-t", job.image, "."]}],
            "images": [job.image], "tags": ["sluice", job.name]})
        deadline = time.monotonic() + BUILD_TIMEOUT
        while not operation.get("done"):
            if self.cancel.wait(5) or time.monotonic() > deadline:
                raise DeployError("The image build did not finish (cancelled or over "
                                  f"{BUILD_TIMEOUT / 60:g} minutes).")
            operation = _call(http, "GET", self.clients.url(
                "cloudbuild", f"/v1/{operation['name']}"))
        if "error" in operation:
            logs = operation.get("metadata", {}).get("build", {}).get("logUrl", "")
            raise DeployError(f"Cloud Build failed: {operation['error'].get('message')}"
                              + (f" (logs: {logs})" if logs else ""))
        return job.image

    def _run_job_resource(self) -> dict:
        job, o = self.job, self.job.options
        env = [{"name": variable, "value_source": {"secret_key_ref": {
            "secret": f"projects/{job.project}/secrets/{secret}", "version": "latest"}}}
            for variable, secret in job.secrets()]
        container: dict = {"image": job.image, "env": env,
                           "resources": {"limits": {"cpu": o.cpu, "memory": o.memory}}}
        volumes = []
        if job.cloud_sql:  # each instance's socket, under /cloudsql
            volumes = [{"name": "cloudsql", "cloud_sql_instance": {"instances": job.cloud_sql}}]
            container["volume_mounts"] = [{"name": "cloudsql", "mount_path": CLOUD_SQL_MOUNT}]
        return {
            "labels": {"managed-by": "sluice"},
            "template": {
                "task_count": o.tasks, "parallelism": o.tasks,
                "template": {
                    "containers": [container],
                    "volumes": volumes,
                    "max_retries": o.max_retries,
                    "timeout": {"seconds": o.timeout_seconds},
                    "service_account": job.service_account,
                },
            },
        }

    def _run_job(self) -> Step:
        exceptions = _exceptions()
        client, job = self.clients.jobs, self.job
        resource = self._run_job_resource()
        what = f"Cloud Run job {job.name}"
        try:
            client.get_job(request={"name": job.job_resource})
        except exceptions.NotFound:
            client.create_job(request={
                "parent": f"projects/{job.project}/locations/{job.region}", "job": resource,
                "job_id": job.name}).result(timeout=OPERATION_TIMEOUT)
            outcome = "created"
        else:
            client.update_job(request={"job": {**resource, "name": job.job_resource}}
                              ).result(timeout=OPERATION_TIMEOUT)
            outcome = "updated"
        if job.cron:  # Cloud Scheduler starts it as the service account
            self._grant(client, job.job_resource, "roles/run.invoker")
        return Step(what, outcome, f"{job.options.tasks} task(s), image {job.image}")

    def _scheduler(self) -> Step:
        exceptions = _exceptions()
        client, job = self.clients.scheduler, self.job
        what = f"Cloud Scheduler job {job.name}"
        name = f"projects/{job.project}/locations/{job.region}/jobs/{job.name}"
        cron = job.cron
        if cron is None:
            try:
                client.delete_job(request={"name": name})
            except exceptions.NotFound:
                return Step(what, "kept", "none: the job runs when started")
            return Step(what, "deleted", "the job runs when started")
        resource = {"name": name, "schedule": cron, "time_zone": job.spec.schedule.timezone,
                    "description": f"Starts the Cloud Run job {job.name} (Sluice job "
                                   f"{job.spec.name})",
                    "http_target": {"uri": job.run_uri, "http_method": "POST",
                                    "oauth_token": {
                                        "service_account_email": job.service_account,
                                        "scope": SCOPE}}}
        try:
            client.get_job(request={"name": name})
        except exceptions.NotFound:
            client.create_job(request={"parent": name.rsplit("/jobs/", 1)[0],
                                       "job": resource})
            outcome = "created"
        else:
            client.update_job(request={"job": resource})
            outcome = "updated"
        return Step(what, outcome, f"{cron} {job.spec.schedule.timezone}")

    # --- after a deploy --------------------------------------------------------------

    def undeploy(self) -> Outcome:
        """Delete the scheduler job, then the Cloud Run job (what is not there is fine)."""
        exceptions = _exceptions()
        job, outcome = self.job, Outcome()
        name = f"projects/{job.project}/locations/{job.region}/jobs/{job.name}"
        for what, remove in (
                (f"Cloud Scheduler job {job.name}",
                 lambda: self.clients.scheduler.delete_job(request={"name": name})),
                (f"Cloud Run job {job.name}",
                 lambda: self.clients.jobs.delete_job(request={"name": job.job_resource})
                 .result(timeout=OPERATION_TIMEOUT))):
            try:
                remove()
                step = Step(what, "deleted")
            except exceptions.NotFound:
                step = Step(what, "kept", "it was not there")
            except Exception as exc:  # noqa: BLE001 - reported
                step = Step(what, "failed", _message(exc))
            outcome.steps.append(step)
            self.on_step(step)
            if not step.ok:
                break
        return outcome

    def run_now(self) -> str:
        """Start an execution of the Cloud Run job; its name."""
        operation = self.clients.jobs.run_job(request={"name": self.job.job_resource})
        metadata = operation.metadata
        name = getattr(metadata, "name", "") if metadata is not None else ""
        return name or operation.operation.name

    def last_execution(self) -> dict | None:
        """The newest execution of the Cloud Run job: name, status, times (None: never)."""
        job = self.clients.jobs.get_job(request={"name": self.job.job_resource})
        ref = job.latest_created_execution
        if not ref.name:
            return None
        execution = self.clients.executions.get_execution(request={"name": ref.name})
        return execution_summary(execution)


def execution_summary(execution: Any) -> dict:
    """What a card says of a Cloud Run execution."""
    def iso(stamp: Any) -> str | None:
        return stamp.isoformat() if stamp else None

    if execution.failed_count:
        status = "failed"
    elif execution.cancelled_count:
        status = "cancelled"
    elif execution.completion_time and execution.succeeded_count >= execution.task_count:
        status = "succeeded"
    else:
        status = "running"
    return {"name": execution.name, "status": status,
            "started_at": iso(execution.start_time or execution.create_time),
            "finished_at": iso(execution.completion_time),
            "tasks": {"count": execution.task_count, "succeeded": execution.succeeded_count,
                      "failed": execution.failed_count, "running": execution.running_count},
            "log_uri": execution.log_uri or None}


def _message(exc: BaseException) -> str:
    """"403 Forbidden: Permission denied on …" (without the REST call's URL)."""
    exceptions = _exceptions()
    if isinstance(exc, exceptions.GoogleAPICallError):
        text = re.sub(r"^[A-Z]+ https?://\S+: ", "", str(exc.message))
        return f"{exc.code} {type(exc).__name__}: {text}"
    return str(exc)


def _call(http: Any, method: str, url: str, body: dict | None = None,
          ok: tuple[int, ...] = (200,)) -> dict:
    response = http.request(method, url, json=body, timeout=120)
    _check(response, f"{method} {url.split('?')[0]}", ok)
    return response.json() if response.content else {}


def _check(response: Any, doing: str, ok: tuple[int, ...] = (200,)) -> None:
    if response.status_code not in ok:
        try:
            message = response.json()["error"]["message"]
        except (ValueError, KeyError, TypeError):
            message = response.text[:200]
        raise DeployError(f"{doing}: HTTP {response.status_code} {message}")
