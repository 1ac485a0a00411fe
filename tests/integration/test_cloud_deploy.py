"""`job deploy` / `job undeploy` / `job cloud-run` through the real Google client libraries
(Secret Manager, Cloud Run v2, Cloud Scheduler v1: their REST transports), sent to a loopback
stand-in that records every request and keeps what was made (Google is out of reach here).
Asserted: the job template, image, env and secret references, task count, the scheduler's
cron, time zone and target; a deploy refused half-way says what exists, and the next one
completes it; no request carries a secret except the Secret Manager version it belongs to."""

from __future__ import annotations

import base64
import json

import pytest

from tests.fakes.google_cloud import google_cloud
from tests.integration.test_cli import sluice
from tests.integration.test_cloud_runner import JOB, SECRET_VARIABLE, shop  # noqa: F401

PROJECT, REGION, CLOUD_JOB = "acme-data", "europe-west1", "sluice-shop-etl"
RESOURCE = f"projects/{PROJECT}/locations/{REGION}/jobs/{CLOUD_JOB}"
ACCOUNT = f"sluice-runner@{PROJECT}.iam.gserviceaccount.com"
IMAGE = f"{REGION}-docker.pkg.dev/{PROJECT}/sluice/shop:1"


@pytest.fixture
def cloud():
    with google_cloud() as fake:
        yield fake


def deploy(fake, *extra: str):
    return sluice("job", "deploy", JOB, "--project", PROJECT, "--region", REGION, *extra,
                  env={"SLUICE_GOOGLE_API_ENDPOINT": fake.endpoint})


def test_deploy_creates_secrets_the_cloud_run_job_and_the_schedule(shop, cloud):  # noqa: F811
    source, _ = shop
    sluice("job", "edit", JOB, "--cron", "30 5 * * 1-5", "--timezone", "Europe/Warsaw")
    done = deploy(cloud, "--image", IMAGE, "--tasks", "2", "--copy-secrets")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "  ✓ Secret sluice-shop-source: copied (from the connection 'Shop (source)', " \
           "version 1)" in done.stdout
    assert f"  ✓ Cloud Run job {CLOUD_JOB}: created (2 task(s), image {IMAGE})" in done.stdout
    assert f"  ✓ Cloud Scheduler job {CLOUD_JOB}: created (30 5 * * 1-5 Europe/Warsaw)" \
        in done.stdout

    # The secret: a version in Secret Manager, readable by the job's service account.
    secret = f"projects/{PROJECT}/secrets/sluice-shop-source"
    assert json.loads(cloud.secrets[secret][-1]) == {"password": source.password}
    assert cloud.policies[secret]["bindings"] == [
        {"role": "roles/secretmanager.secretAccessor", "members": [f"serviceAccount:{ACCOUNT}"]}]
    # The Cloud Run job, as the client library sent it.
    job = cloud.run_jobs[RESOURCE]
    assert job["labels"] == {"managed-by": "sluice"}
    execution = job["template"]
    assert (execution["taskCount"], execution["parallelism"]) == (2, 2)
    task = execution["template"]
    (container,) = task["containers"]
    assert container["image"] == IMAGE
    assert container["env"] == [{"name": SECRET_VARIABLE, "valueSource": {"secretKeyRef": {
        "secret": secret, "version": "latest"}}}]
    assert container["resources"]["limits"] == {"cpu": "1", "memory": "2Gi"}
    assert (task["serviceAccount"], task["maxRetries"], task["timeout"]) == (
        ACCOUNT, 1, "3600s")
    assert cloud.policies[RESOURCE]["bindings"] == [
        {"role": "roles/run.invoker", "members": [f"serviceAccount:{ACCOUNT}"]}]
    # The schedule: the job's cron and zone, calling :run with an OAuth token.
    schedule = cloud.scheduler_jobs[RESOURCE]
    assert (schedule["schedule"], schedule["timeZone"]) == ("30 5 * * 1-5", "Europe/Warsaw")
    from google.cloud.scheduler_v1 import HttpMethod

    assert schedule["httpTarget"] == {  # the REST transport sends enums as numbers
        "uri": f"https://run.googleapis.com/v2/{RESOURCE}:run",
        "httpMethod": HttpMethod.POST.value,
        "oauthToken": {"serviceAccountEmail": ACCOUNT,
                       "scope": "https://www.googleapis.com/auth/cloud-platform"}}
    # No request but the secret's own version carries the password.
    for method, path, _, body in cloud.calls:
        text = json.dumps(body) if isinstance(body, dict) else repr(body)
        if path.endswith(":addVersion"):
            assert source.password in base64.b64decode(body["payload"]["data"]).decode()
        else:
            assert source.password not in text, (method, path)

    # The card's data: deployed, where, and (after Run in cloud) its last execution.
    shown = json.loads(sluice("job", "show", JOB, "--json").stdout)["cloud"]
    assert (shown["project"], shown["region"], shown["job"], shown["complete"]) == (
        PROJECT, REGION, CLOUD_JOB, True)
    env = {"SLUICE_GOOGLE_API_ENDPOINT": cloud.endpoint}
    started = sluice("job", "cloud-run", JOB, "--json", env=env)
    assert started.returncode == 0, started.stderr
    assert json.loads(started.stdout)["name"] == f"{RESOURCE}/executions/{CLOUD_JOB}-00001"
    status = json.loads(sluice("job", "cloud-run", JOB, "--status", "--json", env=env).stdout)
    assert (status["status"], status["tasks"]["count"]) == ("running", 2)
    shown = json.loads(sluice("job", "show", JOB, "--json").stdout)["cloud"]
    assert shown["last_execution"]["status"] == "running"


def test_a_deploy_refused_half_way_says_what_exists_and_the_next_completes_it(
        shop, cloud):  # noqa: F811
    sluice("job", "edit", JOB, "--daily", "06:00", "--timezone", "America/New_York")
    cloud.refuse.add("scheduler")
    first = deploy(cloud, "--image", IMAGE, "--copy-secrets")
    assert first.returncode == 1
    assert f"  ✓ Cloud Run job {CLOUD_JOB}: created" in first.stdout
    assert f"  ✗ Cloud Scheduler job {CLOUD_JOB}: failed (403 Forbidden: Permission " \
           "denied on cloudscheduler.jobs.create.)" in first.stdout
    assert "what is marked ✓ exists in Google Cloud. Deploy again to complete it." \
        in first.stderr
    assert RESOURCE in cloud.run_jobs and RESOURCE not in cloud.scheduler_jobs
    shown = json.loads(sluice("job", "show", JOB, "--json").stdout)["cloud"]
    assert shown["complete"] is False

    cloud.refuse.clear()
    second = deploy(cloud, "--image", IMAGE, "--no-copy-secrets")
    assert second.returncode == 0, second.stdout
    assert "  ✓ Secret sluice-shop-source: kept (not copied (you chose not to); the one in " \
           "Secret Manager is used)" in second.stdout
    assert f"  ✓ Cloud Run job {CLOUD_JOB}: updated" in second.stdout
    assert f"  ✓ Cloud Scheduler job {CLOUD_JOB}: created (0 6 * * * America/New_York)" \
        in second.stdout
    assert len(cloud.secrets[f"projects/{PROJECT}/secrets/sluice-shop-source"]) == 1

    gone = sluice("job", "undeploy", JOB, env={"SLUICE_GOOGLE_API_ENDPOINT": cloud.endpoint})
    assert gone.returncode == 0, gone.stdout + gone.stderr
    assert not cloud.run_jobs and not cloud.scheduler_jobs
    assert f"projects/{PROJECT}/secrets/sluice-shop-source" in cloud.secrets  # kept
    assert json.loads(sluice("job", "show", JOB, "--json").stdout)["cloud"] is None


def test_without_an_image_it_is_built_with_cloud_build(shop, cloud):  # noqa: F811
    import io
    import tarfile

    source, _ = shop
    done = deploy(cloud, "--no-schedule", "--copy-secrets")
    assert done.returncode == 0, done.stdout + done.stderr
    built = f"{REGION}-docker.pkg.dev/{PROJECT}/sluice/{CLOUD_JOB}:latest"
    assert f"  ✓ Image: built ({built})" in done.stdout
    (build,) = cloud.builds
    assert build["images"] == [built]
    assert build["steps"][0]["args"] == ["build", "-t", built, "."]
    (archive,) = cloud.uploads.values()
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        names = tar.getnames()
        assert {"./Dockerfile", "./spec.json", "./sluice/main.py"} <= set(names)
        for member in tar.getmembers():
            if member.isfile():
                assert source.password.encode() not in tar.extractfile(member).read()
    assert f"  ✓ Cloud Scheduler job {CLOUD_JOB}: kept (none: the job runs when started)" \
        in done.stdout


def test_deploy_without_credentials_or_without_a_yes_says_what_to_do(shop, tmp_path):  # noqa: F811
    environ = {"GOOGLE_APPLICATION_CREDENTIALS": str(tmp_path / "none.json"),
               "CLOUDSDK_CONFIG": str(tmp_path / "gcloud")}
    done = sluice("job", "deploy", JOB, "--project", PROJECT, "--region", REGION,
                  "--image", IMAGE, env=environ)
    assert done.returncode == 1
    assert "No Google credentials: choose a service-account key file, or sign in with " \
           "`gcloud auth application-default login`." in done.stderr
    key = sluice("job", "deploy", JOB, "--project", PROJECT, "--region", REGION,
                 "--key-file", str(tmp_path / "missing.json"))
    assert key.returncode == 1 and "missing.json does not exist" in key.stderr


def test_copying_a_secret_needs_a_yes(shop, cloud):  # noqa: F811
    done = deploy(cloud, "--image", IMAGE)  # no terminal, no --copy-secrets
    assert done.returncode == 1
    assert "  ✗ Secret sluice-shop-source: failed (Copying the secret of the connection " \
           "'Shop (source)' to Secret Manager (sluice-shop-source) needs your yes" in done.stdout
    assert not cloud.secrets and not cloud.run_jobs


def test_a_cloud_sql_instance_is_mounted_in_the_job(shop, cloud):  # noqa: F811
    done = deploy(cloud, "--image", IMAGE, "--copy-secrets", "--host",
                  "Warehouse PG=acme-data:europe-west1:dwh")
    assert done.returncode == 0, done.stdout + done.stderr
    task = cloud.run_jobs[RESOURCE]["template"]["template"]
    assert task["volumes"] == [{"name": "cloudsql", "cloudSqlInstance": {
        "instances": ["acme-data:europe-west1:dwh"]}}]
    assert task["containers"][0]["volumeMounts"] == [{"name": "cloudsql",
                                                      "mountPath": "/cloudsql"}]
