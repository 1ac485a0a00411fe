"""Google Cloud's deploy APIs on loopback, for the real client libraries' REST transports:
Secret Manager (with IAM policies), Cloud Run Admin v2 jobs and executions, Cloud Scheduler
v1, and the REST calls of a Cloud Build (Artifact Registry, Storage upload, builds).

State is kept, so a second deploy sees what the first made; `refuse` names APIs that answer
403 PERMISSION_DENIED to writes ("scheduler", "run", "secrets", "build")."""

from __future__ import annotations

import copy
import re

from tests.fakes.google_rest import FakeGoogle, error, secret_manager

RUN = "type.googleapis.com/google.cloud.run.v2.Job"


def _denied(what: str):
    return 403, error(403, "PERMISSION_DENIED", f"Permission denied on {what}.")


def google_cloud() -> FakeGoogle:
    fake = secret_manager()
    fake.refuse: set[str] = set()  # type: ignore[attr-defined]
    fake.policies: dict[str, dict] = {}  # type: ignore[attr-defined]
    fake.run_jobs: dict[str, dict] = {}  # type: ignore[attr-defined]
    fake.executions: dict[str, dict] = {}  # type: ignore[attr-defined]
    fake.scheduler_jobs: dict[str, dict] = {}  # type: ignore[attr-defined]
    fake.builds: list[dict] = []  # type: ignore[attr-defined]
    fake.uploads: dict[str, bytes] = {}  # type: ignore[attr-defined]

    # --- IAM on secrets and Cloud Run jobs ---------------------------------------------
    @fake.route("GET", r"/v[12]/(projects/.+):getIamPolicy")
    @fake.route("POST", r"/v[12]/(projects/.+):getIamPolicy")
    def get_policy(match, body, query):
        name = match.group(1)
        if "/secrets/" in name and name not in fake.secrets:
            return 404, error(404, "NOT_FOUND", f"Secret [{name}] not found.")
        return 200, fake.policies.get(name, {"version": 1, "etag": "BwY="})

    @fake.route("POST", r"/v[12]/(projects/.+):setIamPolicy")
    def set_policy(match, body, query):
        fake.policies[match.group(1)] = body["policy"]
        return 200, body["policy"]

    # --- Cloud Run Admin v2 ------------------------------------------------------------
    def operation(job: dict) -> dict:
        return {"name": f"{job['name'].rsplit('/jobs/', 1)[0]}/operations/op-{len(fake.calls)}",
                "done": True, "response": {"@type": RUN, **job}}

    @fake.route("GET", r"/v2/(projects/[^/]+/locations/[^/]+/jobs/[^/:]+)")
    def get_job(match, body, query):
        job = fake.run_jobs.get(match.group(1))
        if job is None:
            return 404, error(404, "NOT_FOUND", f"Resource '{match.group(1)}' was not found")
        return 200, job

    @fake.route("POST", r"/v2/(projects/[^/]+/locations/[^/]+)/jobs")
    def create_job(match, body, query):
        if "run" in fake.refuse:
            return _denied("run.jobs.create")
        job_id = re.search(r"jobId=([^&]+)", query).group(1)
        job = {**body, "name": f"{match.group(1)}/jobs/{job_id}"}
        fake.run_jobs[job["name"]] = job
        return 200, operation(job)

    @fake.route("PATCH", r"/v2/(projects/[^/]+/locations/[^/]+/jobs/[^/:]+)")
    def update_job(match, body, query):
        if "run" in fake.refuse:
            return _denied("run.jobs.update")
        fake.run_jobs[match.group(1)] = {**body, "name": match.group(1)}
        return 200, operation(fake.run_jobs[match.group(1)])

    @fake.route("DELETE", r"/v2/(projects/[^/]+/locations/[^/]+/jobs/[^/:]+)")
    def delete_job(match, body, query):
        job = fake.run_jobs.pop(match.group(1), None)
        if job is None:
            return 404, error(404, "NOT_FOUND", "not found")
        return 200, operation(job)

    @fake.route("POST", r"/v2/(projects/[^/]+/locations/[^/]+/jobs/[^/:]+):run")
    def run_job(match, body, query):
        job = fake.run_jobs.get(match.group(1))
        if job is None:
            return 404, error(404, "NOT_FOUND", "not found")
        name = f"{match.group(1)}/executions/{job['name'].rsplit('/', 1)[-1]}-" \
               f"{len(fake.executions) + 1:05d}"
        tasks = job["template"].get("taskCount", 1)
        execution = {"name": name, "job": job["name"], "taskCount": tasks,
                     "createTime": "2026-11-30T06:00:00Z", "runningCount": tasks,
                     "logUri": "https://console.cloud.google.com/logs/viewer?x"}
        fake.executions[name] = execution
        job["latestCreatedExecution"] = {"name": name, "createTime": execution["createTime"]}
        return 200, {"name": f"{match.group(1)}/operations/exec-{len(fake.executions)}",
                     "done": False, "metadata": {
                         "@type": "type.googleapis.com/google.cloud.run.v2.Execution",
                         **execution}}

    @fake.route("GET", r"/v2/(projects/[^/]+/locations/[^/]+/jobs/[^/]+/executions/[^/:]+)")
    def get_execution(match, body, query):
        execution = fake.executions.get(match.group(1))
        if execution is None:
            return 404, error(404, "NOT_FOUND", "not found")
        return 200, execution

    # --- Cloud Scheduler v1 -------------------------------------------------------------
    @fake.route("GET", r"/v1/(projects/[^/]+/locations/[^/]+/jobs/[^/:]+)")
    def get_schedule(match, body, query):
        job = fake.scheduler_jobs.get(match.group(1))
        if job is None:
            return 404, error(404, "NOT_FOUND", "Job not found.")
        return 200, job

    @fake.route("POST", r"/v1/(projects/[^/]+/locations/[^/]+)/jobs")
    def create_schedule(match, body, query):
        if "scheduler" in fake.refuse:
            return _denied("cloudscheduler.jobs.create")
        fake.scheduler_jobs[body["name"]] = {**body, "state": "ENABLED"}
        return 200, fake.scheduler_jobs[body["name"]]

    @fake.route("PATCH", r"/v1/(projects/[^/]+/locations/[^/]+/jobs/[^/:]+)")
    def update_schedule(match, body, query):
        if "scheduler" in fake.refuse:
            return _denied("cloudscheduler.jobs.update")
        fake.scheduler_jobs[match.group(1)] = {**body, "state": "ENABLED"}
        return 200, fake.scheduler_jobs[match.group(1)]

    @fake.route("DELETE", r"/v1/(projects/[^/]+/locations/[^/]+/jobs/[^/:]+)")
    def delete_schedule(match, body, query):
        if fake.scheduler_jobs.pop(match.group(1), None) is None:
            return 404, error(404, "NOT_FOUND", "Job not found.")
        return 200, {}

    # --- Cloud Build (Artifact Registry, the source upload, the build) ------------------
    @fake.route("POST", r"/v1/projects/[^/]+/locations/[^/]+/repositories")
    def repository(match, body, query):
        return 200, {"name": "operations/repo", "done": True}

    @fake.route("POST", r"/upload/storage/v1/b/([^/]+)/o")
    def upload(match, body, query):
        name = re.search(r"name=([^&]+)", query).group(1)
        fake.uploads[f"{match.group(1)}/{name}"] = body
        return 200, {"bucket": match.group(1), "name": name}

    @fake.route("POST", r"/v1/(projects/[^/]+/locations/[^/]+)/builds")
    def build(match, body, query):
        if "build" in fake.refuse:
            return _denied("cloudbuild.builds.create")
        fake.builds.append(copy.deepcopy(body))
        return 200, {"name": f"{match.group(1)}/operations/build-1", "done": True,
                     "metadata": {"build": {"id": "b1", "logUrl": "https://logs"}}}

    return fake
