"""`job export --bundle`: what a user deploys by hand with gcloud. The files say the
same things (image, tasks, secrets by reference, cron and time zone, the :run target), no
file holds a secret, deploy.sh issues the gcloud commands a user would (a stand-in gcloud
records them), and the bundle's own copy of Sluice runs the spec without Qt."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import tomllib
from pathlib import Path

import yaml

from tests.integration.test_cli import sluice
from tests.integration.test_cloud_runner import (  # noqa: F401 - fixtures
    JOB,
    ROOT,
    SECRET_VARIABLE,
    log_lines,
    qtless_python,
    shop,
)

CLOUD_JOB = "sluice-shop-etl"


def bundle(tmp_path: Path, *extra: str) -> Path:
    folder = tmp_path / "bundle"
    done = sluice("job", "export", JOB, "--bundle", str(folder), "--project", "acme-data",
                  "--region", "europe-west1", "--tasks", "2", *extra)
    assert done.returncode == 0, done.stderr
    return folder


def test_the_bundle_describes_the_job_for_cloud_run(shop, tmp_path):  # noqa: F811
    source, _ = shop
    sluice("job", "edit", JOB, "--cron", "30 5 * * 1-5", "--timezone", "Europe/Warsaw")
    folder = bundle(tmp_path)
    for name in ("spec.json", "Dockerfile", "cloud-run-job.yaml", "cloud-scheduler.json",
                 "deploy.sh", "README.md", "requirements.txt", "sluice/main.py"):
        assert (folder / name).is_file(), name
    for path in folder.rglob("*"):  # no file of the bundle holds the password
        if path.is_file():
            assert source.password.encode() not in path.read_bytes(), path

    spec = json.loads((folder / "spec.json").read_text())
    assert spec["source"]["secret"] == f"env:{SECRET_VARIABLE}"
    run_job = yaml.safe_load((folder / "cloud-run-job.yaml").read_text())
    assert (run_job["apiVersion"], run_job["kind"]) == ("run.googleapis.com/v1", "Job")
    assert run_job["metadata"]["name"] == CLOUD_JOB
    execution = run_job["spec"]["template"]["spec"]
    assert (execution["taskCount"], execution["parallelism"]) == (2, 2)
    task = execution["template"]["spec"]
    (container,) = task["containers"]
    assert container["image"] == \
        f"europe-west1-docker.pkg.dev/acme-data/sluice/{CLOUD_JOB}:latest"
    assert container["env"] == [{"name": SECRET_VARIABLE, "valueFrom": {"secretKeyRef": {
        "name": "sluice-shop-source", "key": "latest"}}}]
    assert container["resources"]["limits"] == {"cpu": "1", "memory": "2Gi"}
    assert task["serviceAccountName"] == "sluice-runner@acme-data.iam.gserviceaccount.com"
    assert (task["maxRetries"], task["timeoutSeconds"]) == (1, "3600")

    scheduler = json.loads((folder / "cloud-scheduler.json").read_text())
    assert scheduler["name"] == \
        f"projects/acme-data/locations/europe-west1/jobs/{CLOUD_JOB}"
    assert (scheduler["schedule"], scheduler["timeZone"]) == ("30 5 * * 1-5", "Europe/Warsaw")
    assert scheduler["httpTarget"] == {
        "uri": "https://run.googleapis.com/v2/projects/acme-data/locations/europe-west1/"
               f"jobs/{CLOUD_JOB}:run",
        "httpMethod": "POST",
        "oauthToken": {"serviceAccountEmail": "sluice-runner@acme-data.iam.gserviceaccount.com",
                       "scope": "https://www.googleapis.com/auth/cloud-platform"}}
    assert "state" not in scheduler

    dockerfile = (folder / "Dockerfile").read_text()
    assert dockerfile.startswith("# Sluice's headless runner") and \
        "FROM python:3.11-slim" in dockerfile
    assert "USER 10001" in dockerfile and \
        'ENTRYPOINT ["python", "/opt/sluice/main.py", "run"]' in dockerfile
    wanted = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    pinned = [line for line in (folder / "requirements.txt").read_text().splitlines()
              if line and not line.startswith("#")]
    assert pinned == wanted  # the core, exactly as released; no PySide6
    assert not (folder / "sluice" / "ui").exists()
    assert not list(folder.rglob("__pycache__"))


def test_the_bundles_copy_of_sluice_runs_the_spec_without_qt(shop, qtless_python,  # noqa: F811
                                                            tmp_path):
    """What the container's entry point does: `python /opt/sluice/main.py run --spec …`."""
    source, dest = shop
    folder = bundle(tmp_path)
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SLUICE_")}
    environ.update({"SLUICE_HOME": str(tmp_path / "container-home"),
                    SECRET_VARIABLE: source.password, "CLOUD_RUN_TASK_INDEX": "1",
                    "CLOUD_RUN_TASK_COUNT": "2"})
    ran = subprocess.run([str(qtless_python), "main.py", "run", "--spec",
                          str(folder / "spec.json")], cwd=folder / "sluice",
                         capture_output=True, text=True, timeout=120, env=environ)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert log_lines(ran.stdout)[-1]["tables"] == [
        {"table": "public.orders", "status": "succeeded", "rows": 2, "error": None}]


def test_deploy_sh_runs_the_gcloud_commands(shop, tmp_path):  # noqa: F811
    """deploy.sh against a stand-in `gcloud` that records each command (and what it read
    on stdin): the secret reaches Secret Manager only through stdin."""
    source, _ = shop
    folder = bundle(tmp_path)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = tmp_path / "gcloud.log"
    gcloud = bin_dir / "gcloud"
    gcloud.write_text(f"""#!/bin/sh
echo "gcloud $*" >> {record}
case "$*" in
  *"versions add"*) printf 'stdin: ' >> {record}; cat >> {record}; echo >> {record};;
  *describe*) exit 1;;
esac
""")
    gcloud.chmod(gcloud.stat().st_mode | stat.S_IEXEC)
    environ = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}",
               SECRET_VARIABLE: source.password}
    done = subprocess.run(["bash", str(folder / "deploy.sh")], capture_output=True,
                          text=True, timeout=60, env=environ)
    assert done.returncode == 0, done.stderr
    calls = record.read_text().splitlines()
    commands = [c for c in calls if c.startswith("gcloud")]
    assert "gcloud secrets create sluice-shop-source --project acme-data " \
           "--replication-policy automatic --labels managed-by=sluice" in commands
    assert f"stdin: {source.password}" in calls  # piped, not an argument
    assert not any(source.password in c for c in commands)
    assert f"gcloud builds submit --project acme-data --region europe-west1 --tag " \
           f"europe-west1-docker.pkg.dev/acme-data/sluice/{CLOUD_JOB}:latest ." in commands
    assert "gcloud run jobs replace cloud-run-job.yaml --project acme-data " \
           "--region europe-west1" in commands
    assert not any("scheduler" in c for c in commands)  # the job is manual


def test_a_cloud_sql_instance_is_reached_through_its_socket(shop, tmp_path):  # noqa: F811
    folder = bundle(tmp_path, "--host", "Warehouse PG=acme-data:europe-west1:dwh")
    spec = json.loads((folder / "spec.json").read_text())
    assert spec["destination"]["params"]["host"] == "/cloudsql/acme-data:europe-west1:dwh"
    run_job = yaml.safe_load((folder / "cloud-run-job.yaml").read_text())
    assert run_job["spec"]["template"]["metadata"]["annotations"] == {
        "run.googleapis.com/cloudsql-instances": "acme-data:europe-west1:dwh"}


def test_a_job_into_the_local_warehouse_cannot_go_to_the_cloud(shop, tmp_path):  # noqa: F811
    sluice("job", "edit", JOB, "--destination", "local")
    done = sluice("job", "export", JOB, "--bundle", str(tmp_path / "b"))
    assert done.returncode == 1
    assert "writes to the local warehouse, which is on this computer" in done.stderr
    assert not (tmp_path / "b").exists()
