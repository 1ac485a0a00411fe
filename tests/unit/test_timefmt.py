"""The "Tested: 5m ago" wording."""

from datetime import UTC, datetime, timedelta

from app.timefmt import ago

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def test_ago():
    assert ago(None, NOW) == "never"
    assert ago(NOW - timedelta(seconds=10), NOW) == "just now"
    assert ago(NOW - timedelta(minutes=5), NOW) == "5m ago"
    assert ago(NOW - timedelta(hours=3, minutes=10), NOW) == "3h ago"
    assert ago(NOW - timedelta(days=2, hours=1), NOW) == "2d ago"
