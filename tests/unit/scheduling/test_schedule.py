"""Schedules: the checks users see, the words on a card, and next run times."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.scheduling.schedule import Schedule, ScheduleError, local_timezone, timezones, when

SUNDAY_EVENING = datetime(2026, 11, 29, 22, 40, tzinfo=UTC)


def test_daily_runs_at_the_local_time_of_its_zone_across_dst():
    runs = Schedule("daily", "06:00", "Europe/Warsaw").next_runs(
        5, after=datetime(2027, 3, 26, 12, 0, tzinfo=UTC))
    local = [r.astimezone(ZoneInfo("Europe/Warsaw")) for r in runs]
    assert [(r.day, r.hour, r.minute) for r in local] == [(27, 6, 0), (28, 6, 0), (29, 6, 0),
                                                          (30, 6, 0), (31, 6, 0)]
    # 28 March 2027 is the switch to summer time: 06:00 is 05:00 UTC before, 04:00 after.
    assert runs[0].astimezone(UTC).hour == 5 and runs[2].astimezone(UTC).hour == 4


def test_cron_weekdays_mean_what_cron_means():
    runs = Schedule("cron", "0 6 * * 1-5", "UTC").next_runs(5, after=SUNDAY_EVENING)
    assert [r.strftime("%a %H:%M") for r in runs] == [
        "Mon 06:00", "Tue 06:00", "Wed 06:00", "Thu 06:00", "Fri 06:00"]
    sundays = Schedule("cron", "30 9 * * 0,7", "UTC").next_runs(2, after=SUNDAY_EVENING)
    assert {r.strftime("%a %H:%M") for r in sundays} == {"Sun 09:30"}
    weekend = Schedule("cron", "0 0 * * sat-sun", "UTC").next_runs(2, after=SUNDAY_EVENING)
    assert [r.strftime("%a") for r in weekend] == ["Sat", "Sun"]


def test_interval_counts_from_its_anchor():
    anchor = datetime(2026, 11, 29, 22, 0, tzinfo=UTC)
    runs = Schedule("interval", "15m", "UTC").next_runs(3, after=SUNDAY_EVENING, anchor=anchor)
    assert runs == [anchor + timedelta(minutes=45), anchor + timedelta(minutes=60),
                    anchor + timedelta(minutes=75)]


def test_manual_has_no_runs():
    assert Schedule().next_runs(5) == []
    Schedule().check()


@pytest.mark.parametrize(("schedule", "message"), [
    (Schedule("cron", "0 6 * *"), "has 4"),
    (Schedule("cron", "61 * * * *"), "higher than the maximum"),
    (Schedule("cron", "x * * * *"), "Unrecognized expression"),
    (Schedule("cron", "0 6 * * mon-xyz"), "Weekday “xyz”"),
    (Schedule("cron", "0 6 * * 5-1"), "backwards"),
    (Schedule("daily", "25:00"), "HH:MM"),
    (Schedule("interval", "0m"), "whole number"),
    (Schedule("interval", "soon"), "whole number"),
    (Schedule("daily", "06:00", "Mars/Olympus"), "not a time zone"),
    (Schedule("weekly", "x"), "one of"),
])
def test_bad_schedules_say_why(schedule, message):
    with pytest.raises(ScheduleError, match=message):
        schedule.check()


def test_words():
    assert Schedule("daily", "6:00", "Europe/Warsaw").describe() == \
        "Every day at 06:00 Europe/Warsaw"
    assert Schedule("interval", "15m").describe() == "Every 15 minutes"
    assert Schedule("interval", "1h").describe() == "Every hour"
    assert Schedule("cron", "0 6 * * 1-5", "UTC").describe() == \
        "At 06:00, Monday through Friday (UTC)"
    assert Schedule("cron", "*/5 9 * * *", "UTC").describe() == "Cron “*/5 9 * * *” UTC"
    assert Schedule().describe().startswith("Manual")
    assert when(datetime(2026, 11, 30, 5, 0, tzinfo=UTC), "Europe/Warsaw",
                SUNDAY_EVENING) == "Mon 30 Nov 06:00"


def test_zones():
    assert "Europe/Warsaw" in timezones() and "UTC" in timezones()
    assert local_timezone() in timezones()


@pytest.mark.parametrize("expr, words", [
    ("0 6 * * 1-5", "At 06:00, Monday through Friday"),
    ("*/15 * * * *", "Every 15 minutes"),
    ("30 * * * *", "At minute 30 of every hour"),
    ("0 8,12,18 * * *", "At 08:00, 12:00 and 18:00, every day"),
    ("0 2 1 * *", "At 02:00, on day 1 of the month"),
    ("0 9-17 * * mon-fri",
     "At minute 0 of every hour from 09:00 to 17:00, Monday through Friday"),
    ("0 0 1 1 *", "At 00:00, on day 1 of the month in January"),
    ("0 6 * * 0", "At 06:00, Sunday"), ("0 6 * * 7", "At 06:00, Sunday"),
    ("0 6 * * 1,3,5", "At 06:00, Monday, Wednesday and Friday"),
    ("15 */2 * * *", "At minute 15 of every 2 hours"),
    ("0 6 * 13 *", None), ("*/5 9 * * *", None), ("0 6 * *", None),
])
def test_cron_in_words(expr, words):
    from app.scheduling.schedule import cron_words

    assert cron_words(expr) == words


@pytest.mark.parametrize(("kind", "expr", "cron"), [
    ("interval", "15m", "*/15 * * * *"), ("interval", "1m", "* * * * *"),
    ("interval", "120m", "0 */2 * * *"), ("interval", "1h", "0 * * * *"),
    ("interval", "24h", "0 0 * * *"), ("daily", "06:05", "5 6 * * *"),
    ("cron", " 0  6 * * 1-5", "0 6 * * 1-5"), ("manual", None, None)])
def test_each_schedule_has_the_cron_cloud_scheduler_takes(kind, expr, cron):
    assert Schedule(kind, expr, "Europe/Warsaw").cron() == cron


@pytest.mark.parametrize("expr", ["45m", "5h", "90m"])
def test_an_interval_no_cron_repeats_is_refused(expr):
    with pytest.raises(ScheduleError, match="no cron form that repeats exactly"):
        Schedule("interval", expr, "UTC").cron()
