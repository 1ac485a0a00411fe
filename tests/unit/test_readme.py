"""The README's type table is the registry's, so the docs cannot drift from the code."""

from __future__ import annotations

from pathlib import Path

from app.connectors.registry import CATEGORIES, TYPES

README = Path(__file__).resolve().parents[2] / "README.md"


def _row(t) -> str:
    """A type's line in the README: what it is, and what the engine can do with it."""
    e = t.engine
    writes = ", ".join(e.write_modes) if e.writable else "—"
    listing = e.rows + (", last update" if e.last_updated else "")
    return (f"| `{t.key}` | {t.label} | {CATEGORIES[t.category]} | {t.default_port or '—'} | "
            f"{t.driver.package} | {'yes' if e.readable else '—'} | {writes} | {listing} |")


def test_readme_type_table_matches_the_registry():
    rows = [line for line in README.read_text().splitlines() if line.startswith("| `")]
    expected = [_row(t) for t in TYPES]
    assert rows[:len(expected)] == expected


def test_readme_has_the_two_commands():
    text = README.read_text()
    assert "make run" in text and "make test" in text
