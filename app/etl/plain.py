"""Values as JSON holds them: what Preview prints (`--json`) and what documents keep as
JSON text (nested MongoDB/DynamoDB values)."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any


def plain(value: Any, naive_utc: bool = False) -> Any:
    """`value` as JSON can hold it: times ISO-8601 (a naive time taken as UTC with
    `naive_utc`: MongoDB's), decimals and integers past 2**53 as text, bytes as base64,
    nested values as they are, anything else (an ObjectId) as its text."""
    if value is None or isinstance(value, bool | str | float):
        return value
    if isinstance(value, int):
        return value if abs(value) < 2 ** 53 else str(value)
    if isinstance(value, datetime):
        if naive_utc and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, Decimal | timedelta):
        return str(value)
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, dict):
        return {str(k): plain(v, naive_utc) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v, naive_utc) for v in value]
    return str(value)
