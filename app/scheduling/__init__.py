"""Schedules of jobs: what they mean, in words and as next run times (APScheduler triggers)."""
