"""Counts as people write them: "1 run", "2 runs", "1,865 rows"."""

from __future__ import annotations


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"
