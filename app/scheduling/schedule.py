"""A job's schedule: manual, every N minutes/hours, daily at a time, or a cron expression.

Stored as (kind, expr, timezone). `check` gives a plain message for bad input; `describe`
says it in words; `next_runs` previews fire times with the same APScheduler triggers the
scheduler uses, so the preview and the runs agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

KINDS = ("manual", "interval", "daily", "cron")
_INTERVAL = re.compile(r"^\s*(\d+)\s*([mh])\s*$")
_TIME = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")
_CRON_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


class ScheduleError(ValueError):
    """A schedule that cannot be used; the message says why, in the user's terms."""


@cache
def timezones() -> list[str]:
    """IANA zone names, sorted (for pickers)."""
    return sorted(z for z in available_timezones() if "/" in z or z == "UTC")


def local_timezone() -> str:
    """The machine's IANA zone name, or UTC when it cannot be told."""
    try:
        import tzlocal

        name = tzlocal.get_localzone_name()
    except Exception:  # noqa: BLE001 - an odd machine setting must not stop the app
        return "UTC"
    return name if name and _zone(name) is not None else "UTC"


def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _cron_weekdays(field: str) -> str:
    """Standard cron weekdays (0 or 7 = Sunday) as names, which APScheduler reads right.

    APScheduler numbers weekdays from Monday = 0, so "1-5" would silently mean Tuesday to
    Saturday (agronholm/apscheduler#286); names have one meaning.
    """
    if field == "*":
        return field

    def day(token: str) -> int:
        token = token.lower()
        if token.isdigit() and int(token) <= 7:
            return int(token) % 7
        if token[:3] in _CRON_DAYS and len(token) == 3:
            return _CRON_DAYS.index(token)
        raise ScheduleError(f"Weekday “{token}” is not 0–7 or a day name (mon, tue, …).")

    days: set[int] = set()
    for item in field.split(","):
        base, _, step_text = item.partition("/")
        step = int(step_text) if step_text.isdigit() and int(step_text) > 0 else None
        if step_text and step is None:
            raise ScheduleError(f"Step “{step_text}” in the weekday field is not a number.")
        if base == "*":
            first, last = 0, 6
        elif "-" in base:
            a, b = base.split("-", 1)
            first, last = day(a), day(b)
            if last == 0 and (first > 0 or b.strip() == "7"):
                last = 7  # Sunday closes a range as 7 ("sat-sun", "0-7")
        else:
            first = day(base)
            last = 6 if step else first
        if first > last:
            raise ScheduleError(f"Weekday range “{base}” runs backwards.")
        days.update(d % 7 for d in range(first, last + 1, step or 1))
    return ",".join(_CRON_DAYS[d] for d in sorted(days))


@dataclass(frozen=True)
class Schedule:
    kind: str = "manual"
    expr: str | None = None  # interval "15m"/"2h"; daily "06:00"; cron "0 6 * * 1-5"
    timezone: str = "UTC"

    def check(self) -> None:
        """Raise ScheduleError with a plain message when the schedule cannot be used."""
        self.trigger(datetime.now(UTC))

    def trigger(self, anchor: datetime):
        """The APScheduler trigger; interval schedules count from `anchor`."""
        from apscheduler.triggers.cron import CronTrigger
        from apscheduler.triggers.interval import IntervalTrigger

        if self.kind not in KINDS:
            raise ScheduleError(f"Schedule must be one of: {', '.join(KINDS)}.")
        if self.kind == "manual":
            return None
        zone = _zone(self.timezone)
        if zone is None:
            raise ScheduleError(f"“{self.timezone}” is not a time zone (use an IANA name "
                                "such as Europe/Warsaw or UTC).")
        expr = (self.expr or "").strip()
        if self.kind == "interval":
            match = _INTERVAL.match(expr)
            if not match or int(match.group(1)) == 0:
                raise ScheduleError("An interval is a whole number of minutes or hours, "
                                    "such as 15m or 2h.")
            count, unit = int(match.group(1)), match.group(2)
            if count * (60 if unit == "h" else 1) > 366 * 24 * 60:
                raise ScheduleError("An interval can be at most a year.")
            return IntervalTrigger(**{"minutes" if unit == "m" else "hours": count},
                                   start_date=anchor, timezone=zone)
        if self.kind == "daily":
            match = _TIME.match(expr)
            if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
                raise ScheduleError("A daily time is HH:MM on a 24-hour clock, such as 06:00.")
            return CronTrigger(hour=int(match.group(1)), minute=int(match.group(2)),
                               timezone=zone)
        fields = expr.split()
        if len(fields) != 5:
            raise ScheduleError(f"A cron expression has 5 fields (minute hour day month "
                                f"weekday); “{expr}” has {len(fields)}.")
        minute, hour, day, month, weekday = fields
        try:
            return CronTrigger(minute=minute, hour=hour, day=day, month=month,
                               day_of_week=_cron_weekdays(weekday), timezone=zone)
        except ValueError as exc:
            if isinstance(exc, ScheduleError):
                raise
            raise ScheduleError(f"Cron “{expr}”: {exc}.") from exc

    def next_runs(self, count: int = 5, after: datetime | None = None,
                  anchor: datetime | None = None) -> list[datetime]:
        """The next `count` fire times after `after` (now), in the schedule's zone."""
        now = after or datetime.now(UTC)
        trigger = self.trigger(anchor or now)
        if trigger is None:
            return []
        times: list[datetime] = []
        previous = None
        moment = now
        while len(times) < count:
            fire = trigger.get_next_fire_time(previous, moment)
            if fire is None:
                break
            if fire > now:
                times.append(fire)
            previous, moment = fire, fire + timedelta(microseconds=1)
        return times

    def describe(self) -> str:
        """In words: "Every day at 06:00 Europe/Warsaw", "Every 15 minutes", "Manual"."""
        expr = (self.expr or "").strip()
        if self.kind == "manual":
            return "Manual — runs when you press Run"
        if self.kind == "interval":
            match = _INTERVAL.match(expr)
            if match:
                count, unit = int(match.group(1)), "minute" if match.group(2) == "m" else "hour"
                return f"Every {unit}" if count == 1 else f"Every {count} {unit}s"
        if self.kind == "daily":
            match = _TIME.match(expr)
            if match:
                return (f"Every day at {int(match.group(1)):02d}:{match.group(2)} "
                        f"{self.timezone}")
        words = cron_words(expr)
        return f"{words} ({self.timezone})" if words else f"Cron “{expr}” {self.timezone}"

    def to_json(self) -> dict:
        return {"kind": self.kind, "expr": self.expr, "timezone": self.timezone}

    def cron(self) -> str | None:
        """The schedule as a standard 5-field cron expression (Cloud Scheduler takes only
        those), read in `timezone`; None for a manual job. An interval that no cron
        expression repeats exactly (every 45 minutes, every 5 hours) is a ScheduleError."""
        self.check()
        expr = (self.expr or "").strip()
        if self.kind == "manual":
            return None
        if self.kind == "cron":
            return " ".join(expr.split())
        if self.kind == "daily":
            hour, minute = _TIME.match(expr).groups()
            return f"{int(minute)} {int(hour)} * * *"
        count, unit = _INTERVAL.match(expr).groups()
        count = int(count)
        if unit == "m" and 60 % count == 0:
            return "* * * * *" if count == 1 else f"*/{count} * * * *"
        if unit == "m" and count % 60 == 0 and 24 % (count // 60) == 0:
            count, unit = count // 60, "h"
        if unit == "h" and 24 % count == 0:
            return {1: "0 * * * *", 24: "0 0 * * *"}.get(count, f"0 */{count} * * *")
        raise ScheduleError(f"{self.describe()} has no cron form that repeats exactly (an "
                            "interval must divide an hour or a day); choose such an interval "
                            "or a cron expression.")


def when(moment: datetime, zone: str, now: datetime | None = None) -> str:
    """A fire time as people read it: "Mon 30 Nov 06:00" in the schedule's zone."""
    local = moment.astimezone(_zone(zone) or UTC)
    now_local = (now or datetime.now(UTC)).astimezone(local.tzinfo)
    day = local.strftime("%a %d %b")
    if local.year != now_local.year:
        day += local.strftime(" %Y")
    return f"{day} {local:%H:%M}"


_DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"]
_NUMBER = re.compile(r"^\d+$")


def _names(field: str, names: list[str], first: int) -> str | None:
    """A weekday or month field (numbers, ranges, lists; English names) in words."""
    def one(token: str) -> str | None:
        if _NUMBER.match(token):
            n = int(token) - first
            sunday_again = names is _DAYS and n == 7  # cron's 7 is Sunday too
            return names[n % len(names)] if 0 <= n < len(names) or sunday_again else None
        match = [n for n in names if n[:3].lower() == token[:3].lower()]
        return match[0] if match else None

    parts = []
    for item in field.split(","):
        ends = item.split("-")
        words = [one(e) for e in ends]
        if None in words or len(ends) > 2:
            return None
        parts.append(" through ".join(words))
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def cron_words(expr: str) -> str | None:
    """A five-field cron expression in words ("At 06:00, Monday through Friday"), or None
    where it says something these few patterns do not (then the expression is shown)."""
    fields = expr.split()
    if len(fields) != 5:
        return None
    minute, hour, dom, month, dow = fields
    if minute == "*" and hour == "*":
        when = "Every minute"
    elif minute.startswith("*/") and _NUMBER.match(minute[2:]) and hour == "*":
        when = f"Every {int(minute[2:])} minutes"
    elif _NUMBER.match(minute) and hour == "*":
        when = f"At minute {int(minute)} of every hour"
    elif _NUMBER.match(minute) and hour.startswith("*/") and _NUMBER.match(hour[2:]):
        when = f"At minute {int(minute)} of every {int(hour[2:])} hours"
    elif _NUMBER.match(minute) and all(_NUMBER.match(h) for h in hour.split(",")):
        when = "At " + _and([f"{int(h):02d}:{int(minute):02d}" for h in hour.split(",")])
    elif _NUMBER.match(minute) and re.match(r"^\d+-\d+$", hour):
        first, last = hour.split("-")
        when = (f"At minute {int(minute)} of every hour from {int(first):02d}:00 to "
                f"{int(last):02d}:{int(minute):02d}")
    else:
        return None
    days = []
    if dom != "*":
        if not re.match(r"^[\d,-]+$", dom):
            return None
        days.append(f"on day {dom.replace(',', ', ')} of the month")
    if month != "*":
        names = _names(month, _MONTHS, 1)
        if names is None:
            return None
        days.append(f"in {names}")
    if dow != "*":
        names = _names(dow, _DAYS, 0)
        if names is None:
            return None
        days.append(names if dom == "*" else f"or on {names}")
    if not days:
        return when if "very" in when else when + ", every day"
    return f"{when}, {' '.join(days)}"
