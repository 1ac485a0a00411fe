"""Jobs outside this computer: the job spec, the headless runner (Cloud Run), the export
bundle and the deploy to Cloud Run Jobs with Cloud Scheduler."""
