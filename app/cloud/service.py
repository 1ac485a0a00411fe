"""Deploying jobs to Google Cloud, for the app and the CLI: deploy (recording where), undeploy,
run in the cloud now, and the newest cloud execution."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from app.cloud.bundle import write_bundle
from app.cloud.deploy import Confirm, Deployer, Outcome, Step
from app.cloud.google import DeployError, GoogleClients
from app.cloud.job import BundleOptions, CloudJob, cloud_job
from app.services.context import AppContext
from app.services.jobs import JobService
from app.services.views import JobView
from app.store.models import utcnow

Clients = Callable[[str | None], GoogleClients]  # key file -> clients


class CloudService:
    def __init__(self, ctx: AppContext, clients: Clients | None = None) -> None:
        self.ctx = ctx
        self.jobs = JobService(ctx)
        self._clients = clients or (lambda key_file: GoogleClients(key_file))

    def options(self, job: JobView) -> BundleOptions:
        """The options of the job's last deploy, or the defaults."""
        cloud = job.cloud or {}
        return BundleOptions(project=cloud.get("project"), region=cloud.get("region"),
                             image=cloud.get("image_given"), tasks=cloud.get("tasks", 1),
                             service_account=cloud.get("service_account_given"),
                             schedule=cloud.get("schedule_on", True),
                             overrides=cloud.get("overrides", {}))

    def export_bundle(self, job_name: str, folder: Path, options: BundleOptions
                      ) -> list[Path]:
        """Write the job's export bundle (see app.cloud.bundle)."""
        return write_bundle(self.ctx, job_name, folder, options)

    def secrets_to_copy(self, job_name: str, options: BundleOptions) -> list[tuple[str, str]]:
        """(whose, Secret Manager secret id) of each secret a deploy would copy: what the
        user is asked about first."""
        cloud, values = cloud_job(self.ctx, job_name, options)
        return [(owner, secret) for variable, secret, owner
                in cloud.owned_secrets() if values.get(f"env:{variable}")]

    def deploy(self, job_name: str, options: BundleOptions, confirm: Confirm,
               key_file: str | None = None, on_step: Callable[[Step], None] | None = None,
               cancel=None) -> Outcome:
        """Deploy (or deploy again) and record where; see app.cloud.deploy."""
        if not options.project or not options.region:
            raise DeployError("A deploy needs the Google Cloud project and region.")
        job = self.jobs.get(job_name)
        cloud, values = cloud_job(self.ctx, job.id, options)
        before = job.cloud or {}
        if (before.get("project"), before.get("region")) == (cloud.project, cloud.region):
            cloud.deployed_as = before.get("job")  # updated in place, even after a rename
        cloud.cron  # noqa: B018 - an interval with no cron form: refused before any call
        deployer = Deployer(cloud, self._clients(key_file), on_step, cancel)
        outcome = deployer.deploy(values, confirm,
                                  lambda folder: write_bundle(self.ctx, job.id, folder,
                                                              options))
        self.jobs.set_cloud(job.id, {
            "project": cloud.project, "region": cloud.region, "job": cloud.name,
            "image": cloud.image, "image_given": options.image, "tasks": options.tasks,
            "service_account": cloud.service_account,
            "service_account_given": options.service_account,
            "schedule": cloud.cron, "schedule_on": options.schedule,
            "timezone": cloud.spec.schedule.timezone, "overrides": options.overrides,
            "deployed_at": utcnow().isoformat(timespec="seconds"), "complete": outcome.ok,
            "steps": [s.line() for s in outcome.steps],
            "last_execution": (job.cloud or {}).get("last_execution")})
        return outcome

    def _deployed(self, job_name: str, key_file: str | None) -> tuple[JobView, Deployer]:
        job = self.jobs.get(job_name)
        if not job.cloud:
            raise DeployError(f"Job {job.name!r} is not deployed to Google Cloud.")
        options = replace(self.options(job), image=job.cloud.get("image"))
        spec_job = CloudJob(_spec_stub(job), options, deployed_as=job.cloud.get("job"))
        return job, Deployer(spec_job, self._clients(key_file))

    def undeploy(self, job_name: str, key_file: str | None = None) -> Outcome:
        job, deployer = self._deployed(job_name, key_file)
        outcome = deployer.undeploy()
        if outcome.ok:
            self.jobs.set_cloud(job.id, None)
        return outcome

    def run_now(self, job_name: str, key_file: str | None = None) -> dict:
        """Start a cloud execution; it is the job's last cloud execution, running."""
        job, deployer = self._deployed(job_name, key_file)
        name = deployer.run_now()
        execution = {"name": name, "status": "running",
                     "started_at": utcnow().isoformat(timespec="seconds")}
        self.jobs.set_cloud(job.id, {**job.cloud, "last_execution": execution})
        return execution

    def refresh(self, job_name: str, key_file: str | None = None) -> dict | None:
        """Ask Cloud Run for the newest execution and record it."""
        job, deployer = self._deployed(job_name, key_file)
        execution = deployer.last_execution()
        self.jobs.set_cloud(job.id, {**job.cloud, "last_execution": execution})
        return execution


def _spec_stub(job: JobView):
    """Enough of a spec for the names of a deployed job (undeploy, run, status)."""
    from app.cloud.spec import Endpoint, JobSpec

    return JobSpec(job.name, Endpoint(job.source_name, job.source_type),
                   Endpoint(job.destination_name, None), job.tables, job.schedule)

