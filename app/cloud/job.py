"""A job as it runs in Google Cloud: where (project, region), as what (the Cloud Run job's
name, image, service account, tasks), with which secrets (environment variables filled
from Secret Manager) and how its databases are reached (host overrides; a Cloud SQL
instance by its socket). The bundle (app.cloud.bundle) and the deploy (app.cloud.deploy)
both describe this one object.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from app.cloud.spec import JobSpec, secret_id
from app.services.errors import ServiceError

SCOPE = "https://www.googleapis.com/auth/cloud-platform"
PROJECT_PLACEHOLDER, REGION_PLACEHOLDER = "PROJECT_ID", "REGION"


# A Cloud SQL instance connection name: PROJECT:REGION:INSTANCE (a domain-scoped project
# has one more colon: example.com:PROJECT:REGION:INSTANCE).
_INSTANCE = re.compile(r"^(?:[a-z][\w.-]*:)?[a-z][\w-]*:[a-z]+-[a-z]+\d+:[a-z][\w-]*$")
CLOUD_SQL_MOUNT = "/cloudsql"


def cloud_sql_instance(host: str) -> str | None:
    """The Cloud SQL instance a host override names (PROJECT:REGION:INSTANCE), or None."""
    return host if _INSTANCE.match(host or "") else None


@dataclass
class BundleOptions:
    project: str | None = None
    region: str | None = None
    image: str | None = None  # default: built by Cloud Build into Artifact Registry
    tasks: int = 1
    service_account: str | None = None  # default: sluice-runner@PROJECT.iam...
    cpu: str = "1"
    memory: str = "2Gi"
    timeout_seconds: int = 3600
    max_retries: int = 1
    schedule: bool = True  # create the Cloud Scheduler job (a manual job never has one)
    overrides: dict[str, dict] = field(default_factory=dict)  # params by connection name


@dataclass
class CloudJob:
    """Where and how a job runs in Google Cloud: the names every file and request uses."""

    spec: JobSpec
    options: BundleOptions
    deployed_as: str | None = None  # the Cloud Run job's id when deployed (kept on rename)

    @property
    def project(self) -> str:
        return self.options.project or PROJECT_PLACEHOLDER

    @property
    def region(self) -> str:
        return self.options.region or REGION_PLACEHOLDER

    @property
    def name(self) -> str:
        """The Cloud Run job's (and the scheduler job's) id: sluice-<job name>."""
        if self.deployed_as:
            return self.deployed_as
        slug = re.sub(r"[^a-z0-9]+", "-", self.spec.name.lower()).strip("-") or "job"
        return f"sluice-{slug}"[:63].rstrip("-")

    @property
    def image(self) -> str:
        return self.options.image or \
            f"{self.region}-docker.pkg.dev/{self.project}/sluice/{self.name}:latest"

    @property
    def service_account(self) -> str:
        return self.options.service_account or \
            f"sluice-runner@{self.project}.iam.gserviceaccount.com"

    @property
    def job_resource(self) -> str:
        return f"projects/{self.project}/locations/{self.region}/jobs/{self.name}"

    @property
    def run_uri(self) -> str:
        return f"https://run.googleapis.com/v2/{self.job_resource}:run"

    @property
    def cron(self) -> str | None:
        return self.spec.schedule.cron() if self.options.schedule else None

    @property
    def cloud_sql(self) -> list[str]:
        """The Cloud SQL instances the job reaches through Cloud Run's socket mount."""
        return sorted({e.params["host"].removeprefix(CLOUD_SQL_MOUNT + "/")
                       for _, e in self.spec.endpoints
                       if str(e.params.get("host", "")).startswith(CLOUD_SQL_MOUNT + "/")})

    def owned_secrets(self) -> list[tuple[str, str, str]]:
        """(environment variable, Secret Manager secret id, whose in words) of each secret
        the job needs."""
        out = [(e.secret.partition(":")[2], secret_id(e.name), f"the connection {e.name!r}")
               for _, e in self.spec.endpoints if e.secret]
        if self.spec.webhook:
            out.append((self.spec.webhook.partition(":")[2],
                        secret_id(self.spec.name, "sluice-webhook-"),
                        f"the webhook of {self.spec.name!r}"))
        return out

    def secrets(self) -> list[tuple[str, str]]:
        """(environment variable, Secret Manager secret id) of each secret the job needs."""
        return [(variable, secret) for variable, secret, _ in self.owned_secrets()]


def cloud_job(ctx, job_name: str, options: BundleOptions) -> tuple[CloudJob, dict[str, dict]]:
    """The job as it runs in the cloud (its spec referencing secrets as environment
    variables that Cloud Run fills from Secret Manager), and the secret values by
    reference, read from this install (for a deploy; never written to a file)."""
    from app.cloud.transfer import export_spec, secret_values

    spec = export_spec(ctx, job_name, "env", options.project,
                       host_overrides(ctx, job_name, options.overrides))
    if spec.destination.type_key is None:
        raise ServiceError(f"Job {spec.name!r} writes to the local warehouse, which is on this "
                           "computer: in the cloud it would be lost with the container. "
                           "Choose a destination the cloud can reach (BigQuery, PostgreSQL, "
                           "…) before exporting it to Cloud Run.")
    for role, end in spec.endpoints:
        if end.type_key is not None and "path" in end.params:
            raise ServiceError(f"The {role} {end.name!r} is a file on this computer "
                               f"({end.params['path']}); a Cloud Run job cannot read it.")
    return CloudJob(spec, options), secret_values(ctx, job_name, spec)


def host_overrides(ctx, job_name: str, overrides: dict[str, dict]) -> dict[str, dict]:
    """Host overrides with each Cloud SQL instance name as the folder Cloud Run mounts its
    socket in (/cloudsql/PROJECT:REGION:INSTANCE): PostgreSQL takes that as its host."""
    from app.services.connections import ConnectionService
    from app.services.jobs import JobService

    job = JobService(ctx).get(job_name)
    types = {view.name: view.type_key for view in (ConnectionService(ctx).get(conn_id)
                                                    for conn_id in (job.source_id,
                                                                    job.destination_id)
                                                    if conn_id)}
    out = {}
    for name, params in overrides.items():
        instance = cloud_sql_instance(params.get("host", ""))
        if instance is None:
            out[name] = params
            continue
        if types.get(name) not in ("postgresql",):
            raise ServiceError(f"{name}: a Cloud SQL instance by its name ({instance}) is "
                               "reached through its socket, which Sluice does for PostgreSQL; "
                               "for this connection give the instance's private IP.")
        out[name] = {**params, "host": f"{CLOUD_SQL_MOUNT}/{instance}"}
    return out


