"""The export bundle: everything needed to run a job as a Cloud Run Job triggered by Cloud
Scheduler, deployable by hand with `gcloud` (deploy.sh) or from the app (app.cloud.deploy).

    spec.json             the job spec; secrets referenced as environment variables
    Dockerfile            slim Python, Sluice's core only (no Qt), a non-root user,
                          `main.py run --spec` as the entry point
    requirements.txt      the core's pinned dependencies (and this job's drivers)
    sluice/               Sluice's engine and command line (app/, main.py)
    cloud-run-job.yaml    the Cloud Run Job (`gcloud run jobs replace`): image, CPU and
                          memory, tasks, timeout, retries, service account, and each secret
                          as an environment variable from Secret Manager (secretKeyRef)
    cloud-scheduler.json  the Cloud Scheduler job: the job's cron and IANA time zone, an HTTP
                          target calling the Cloud Run Jobs `:run` endpoint with an OAuth token
    deploy.sh             the same with gcloud commands
    README.md             what is in the bundle and how to deploy it

No secret value is written: the secrets are copied into Secret Manager by deploy.sh (from
environment variables of the shell that runs it) or by the app's deploy (from this install's
secret backend, after the user confirms each).
"""

from __future__ import annotations

import importlib.metadata
import json
import shutil
from pathlib import Path

from app.cloud.job import (
    PROJECT_PLACEHOLDER,
    REGION_PLACEHOLDER,
    SCOPE,
    BundleOptions,
    CloudJob,
    cloud_job,
)
from app.cloud.spec import JobSpec
from app.connectors import registry
from app.etl.errors import RunError
from app.services.errors import ServiceError

PYTHON_IMAGE = "python:3.11-slim"
SPEC_IN_IMAGE = "/etc/sluice/spec.json"


def write_bundle(ctx, job_name: str, folder: Path, options: BundleOptions) -> list[Path]:
    """Write the bundle into `folder` (created; files of an earlier bundle replaced)."""
    job, _ = cloud_job(ctx, job_name, options)
    try:
        job.cron  # noqa: B018 - an interval with no cron form is refused before writing
    except ValueError as exc:
        raise ServiceError(str(exc)) from exc
    files = {
        "spec.json": job.spec.dumps(),
        "Dockerfile": dockerfile(),
        "requirements.txt": requirements(job.spec),
        "cloud-run-job.yaml": to_yaml(run_job_definition(job)),
        "cloud-scheduler.json": json.dumps(scheduler_definition(job), indent=2) + "\n",
        "deploy.sh": deploy_script(job),
        "README.md": readme(job),
    }
    try:
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for name, text in files.items():
            path = folder / name
            path.write_text(text, encoding="utf-8")
            written.append(path)
        (folder / "deploy.sh").chmod(0o755)
        written.append(copy_engine(folder / "sluice"))
    except OSError as exc:
        raise ServiceError(f"Cannot write the bundle to {folder}: {exc.strerror or exc}") \
            from exc
    return written


def copy_engine(target: Path) -> Path:
    """Sluice's core (the `app` package and main.py, no Qt, no caches) into `target`."""
    import app

    source = Path(app.__file__).parent
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target / "app",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    main = source.parent / "main.py"
    if not main.exists():
        raise RunError(f"Sluice's main.py is not beside {source}; reinstall Sluice.")
    shutil.copy2(main, target / "main.py")
    return target


def requirements(spec: JobSpec) -> str:
    """The core's pinned requirements (never the GUI's), and the drivers this job needs."""
    try:
        declared = importlib.metadata.requires("sluice") or []
    except importlib.metadata.PackageNotFoundError as exc:
        raise ServiceError("Sluice's package metadata is missing, so its requirements "
                           "cannot be listed: install Sluice with pip.") from exc
    core = [r for r in declared if ";" not in r]
    extras = {registry.get_type(e.type_key).driver.extra for _, e in spec.endpoints
              if e.type_key} - {None}
    drivers = [r.split(";")[0].strip() for r in declared
               if any(f'extra == "{extra}"' in r for extra in sorted(extras))]
    return ("# Sluice's core (no Qt), pinned as the release pins it"
            + ("; and this job's drivers" if drivers else "") + ".\n"
            + "\n".join(core + drivers) + "\n")


def dockerfile() -> str:
    return f"""\
# Sluice's headless runner: the engine and command line only (no Qt), as a non-root user.
FROM {PYTHON_IMAGE}
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 SLUICE_HOME=/tmp/sluice
WORKDIR /opt/sluice
COPY requirements.txt .
RUN pip install --no-cache-dir --requirement requirements.txt
COPY sluice/ ./
COPY spec.json {SPEC_IN_IMAGE}
RUN useradd --system --uid 10001 --no-create-home sluice
USER 10001
ENTRYPOINT ["python", "/opt/sluice/main.py", "run"]
CMD ["--spec", "{SPEC_IN_IMAGE}"]
"""


def run_job_definition(job: CloudJob) -> dict:
    """The Cloud Run Job, as `gcloud run jobs replace` reads it (run.googleapis.com/v1)."""
    o = job.options
    container = {
        "image": job.image,
        "env": [{"name": variable, "valueFrom": {"secretKeyRef": {"name": secret,
                                                                  "key": "latest"}}}
                for variable, secret in job.secrets()],
        "resources": {"limits": {"cpu": o.cpu, "memory": o.memory}},
    }
    template: dict = {}
    if job.cloud_sql:  # Cloud Run mounts each instance's socket under /cloudsql
        template["metadata"] = {"annotations": {
            "run.googleapis.com/cloudsql-instances": ",".join(job.cloud_sql)}}
    return {
        "apiVersion": "run.googleapis.com/v1",
        "kind": "Job",
        "metadata": {"name": job.name, "labels": {"managed-by": "sluice"},
                     "annotations": {"run.googleapis.com/description":
                                     f"Sluice job {job.spec.name}"}},
        "spec": {"template": {**template, "spec": {
            "taskCount": o.tasks, "parallelism": o.tasks,
            "template": {"spec": {
                "containers": [container],
                "maxRetries": o.max_retries,
                "timeoutSeconds": str(o.timeout_seconds),
                "serviceAccountName": job.service_account,
            }},
        }}},
    }


def scheduler_definition(job: CloudJob) -> dict:
    """The Cloud Scheduler job (cloudscheduler.googleapis.com/v1 Job). A manual job gets
    one paused, at 06:00 daily, for the user to set and resume."""
    cron = job.cron
    doc = {
        "name": f"projects/{job.project}/locations/{job.region}/jobs/{job.name}",
        "description": f"Starts the Cloud Run job {job.name} (Sluice job {job.spec.name})",
        "schedule": cron or "0 6 * * *",
        "timeZone": job.spec.schedule.timezone,
        "httpTarget": {"uri": job.run_uri, "httpMethod": "POST",
                       "oauthToken": {"serviceAccountEmail": job.service_account,
                                      "scope": SCOPE}},
    }
    if cron is None:
        doc["state"] = "PAUSED"
    return doc


def deploy_script(job: CloudJob) -> str:
    cron = job.cron
    secrets = "\n".join(f"ensure_secret {secret} {variable}" for variable, secret
                        in job.secrets()) or "# (the job needs no secrets)"
    schedule = f"""\
# 4. The schedule: Cloud Scheduler calls the job's :run endpoint with an OAuth token.
if gcloud scheduler jobs describe "$JOB" --project "$PROJECT" --location "$REGION" >/dev/null 2>&1
then verb=update; else verb=create; fi
gcloud scheduler jobs "$verb" http "$JOB" --project "$PROJECT" --location "$REGION" \\
  --schedule {_sh(cron or '')} --time-zone {_sh(job.spec.schedule.timezone)} \\
  --uri "https://run.googleapis.com/v2/projects/$PROJECT/locations/$REGION/jobs/$JOB:run" \\
  --http-method POST --oauth-service-account-email "$SERVICE_ACCOUNT" \\
  --oauth-token-scope {SCOPE}
gcloud run jobs add-iam-policy-binding "$JOB" --project "$PROJECT" --region "$REGION" \\
  --member "serviceAccount:$SERVICE_ACCOUNT" --role roles/run.invoker >/dev/null
""" if cron else "# 4. No schedule: the job runs when started (gcloud run jobs execute).\n"
    return f"""\
#!/usr/bin/env bash
# Deploy the Sluice job {job.spec.name!r} as the Cloud Run job {job.name}, as
# `sluice job deploy` does. Needs gcloud, logged in (gcloud auth login).
# Secrets are read from environment variables of this shell, never from a file:
{"".join(f"#   {v}  -> Secret Manager secret {s}{chr(10)}" for v, s in job.secrets())
 }# A secret already in Secret Manager is kept when its variable is not set.
set -euo pipefail
cd "$(dirname "$0")"
PROJECT="${{PROJECT:-{job.options.project or ''}}}"
REGION="${{REGION:-{job.options.region or ''}}}"
JOB={job.name}
IMAGE="${{IMAGE:-{job.image}}}"
SERVICE_ACCOUNT="${{SERVICE_ACCOUNT:-{job.service_account}}}"
for name in PROJECT REGION; do
  [ -n "${{!name}}" ] ||
    {{ echo "deploy.sh: set $name (or export with --project/--region)" >&2; exit 2; }}
done
if grep -q -e {PROJECT_PLACEHOLDER} -e '{REGION_PLACEHOLDER}-docker' cloud-run-job.yaml; then
  echo "deploy.sh: cloud-run-job.yaml names no project or region: export the bundle again" \\
       "with --project and --region" >&2; exit 2
fi

# 1. The service account the job runs as (and Cloud Scheduler calls it as).
gcloud iam service-accounts describe "$SERVICE_ACCOUNT" --project "$PROJECT" >/dev/null 2>&1 ||
  gcloud iam service-accounts create "${{SERVICE_ACCOUNT%%@*}}" --project "$PROJECT" \\
    --display-name "Sluice runner"

# 2. Secrets in Secret Manager, readable by the service account.
ensure_secret() {{
  local id=$1 variable=$2
  gcloud secrets describe "$id" --project "$PROJECT" >/dev/null 2>&1 ||
    gcloud secrets create "$id" --project "$PROJECT" --replication-policy automatic \\
      --labels managed-by=sluice
  if [ -n "${{!variable:-}}" ]; then
    printf '%s' "${{!variable}}" |
      gcloud secrets versions add "$id" --project "$PROJECT" --data-file=-
  fi
  gcloud secrets add-iam-policy-binding "$id" --project "$PROJECT" \\
    --member "serviceAccount:$SERVICE_ACCOUNT" --role roles/secretmanager.secretAccessor >/dev/null
}}
{secrets}

# 3. The image (Cloud Build, into Artifact Registry) and the Cloud Run job.
if [ -z "${{SKIP_BUILD:-}}" ]; then
  gcloud builds submit --project "$PROJECT" --region "$REGION" --tag "$IMAGE" .
fi
gcloud run jobs replace cloud-run-job.yaml --project "$PROJECT" --region "$REGION"

{schedule}
echo "Deployed $JOB. Run it now: gcloud run jobs execute $JOB --project $PROJECT --region $REGION"
"""


def _sh(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def readme(job: CloudJob) -> str:
    spec = job.spec
    secrets = "\n".join(f"| `{v}` | `{s}` |" for v, s in job.secrets())
    schedule = (f"Cloud Scheduler starts it `{job.cron}` ({spec.schedule.timezone}): "
                f"{spec.schedule.describe()}." if job.cron else
                "It has no schedule (manual in Sluice): `cloud-scheduler.json` holds a "
                "paused scheduler job to set and resume if you want one.")
    return f"""\
# {spec.name} on Cloud Run

Exported by Sluice: the job reads {len(spec.tables)} table(s) from **{spec.source.name}**
({spec.source.type_key}) into **{spec.destination.name}** ({spec.destination.type_key}) and
runs as the Cloud Run job `{job.name}` in `{job.project}` / `{job.region}`, with
{job.options.tasks} task(s) sharing the tables. {schedule}

| file | what it is |
| --- | --- |
| `spec.json` | the job spec (secrets only by reference) |
| `Dockerfile`, `requirements.txt`, `sluice/` | the image: Sluice's core, no Qt, non-root |
| `cloud-run-job.yaml` | the Cloud Run job (`gcloud run jobs replace`) |
| `cloud-scheduler.json` | the Cloud Scheduler job |
| `deploy.sh` | all of it with `gcloud` |

## Deploy

```
export {" ".join(f"{v}=…" for v, _ in job.secrets()) or "# (no secrets)"}
PROJECT={job.project} REGION={job.region} ./deploy.sh
```

The secrets go to Secret Manager from those variables (no file of this bundle holds one):

| environment variable in the job | Secret Manager secret |
| --- | --- |
{secrets or "| (none) | |"}

The runner writes one JSON line per step (Cloud Logging shows them as structured
entries), keeps the incremental cursors in the destination's `_sluice_state` (so it
continues where runs from the app left off), and exits non-zero when the run fails.
Do not also schedule the job in the app: two runs at once would race for the same rows.
"""


def to_yaml(data: object, indent: int = 0) -> str:
    """Block-style YAML of plain data (scalars as JSON, which YAML reads the same)."""
    pad = " " * indent
    if isinstance(data, dict):
        out = []
        for key, value in data.items():
            if isinstance(value, dict | list) and value:
                out.append(f"{pad}{key}:\n{to_yaml(value, indent + 2)}")
            else:
                out.append(f"{pad}{key}: {json.dumps(value)}\n")
        return "".join(out)
    if isinstance(data, list):
        out = []
        for item in data:
            text = to_yaml(item, indent + 2) if isinstance(item, dict | list) \
                else f"{pad}  {json.dumps(item)}\n"
            out.append(f"{pad}- {text[indent + 2:]}")
        return "".join(out)
    return f"{pad}{json.dumps(data)}\n"
