"""Find a stored row by id or by name (ignoring case), the way every command names things."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select

from app.services.errors import NotFound
from app.store.models import fold_name

T = TypeVar("T")


def by_name_or_id(session: Any, model: type[T], name_or_id: str, noun: str) -> T:
    row = session.get(model, name_or_id) or session.scalar(
        select(model).where(model.name_key == fold_name(name_or_id)))
    if row is None:
        raise NotFound(f"No {noun} named {name_or_id!r}.")
    return row
