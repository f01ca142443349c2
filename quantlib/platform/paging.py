"""Pages of list results: ``limit`` rows from ``offset``, with the total count."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from quantlib.platform.errors import InvalidInputError

#: Largest page a caller may ask for.
MAX_LIMIT = 500
DEFAULT_LIMIT = 50


@dataclass(frozen=True)
class Page[T]:
    """One page of a list: its rows, the total over all pages, and where it starts."""

    items: Sequence[T]
    total: int
    limit: int
    offset: int


def _check_paging(limit: int, offset: int) -> None:
    """Refuse a page size outside 1..:data:`MAX_LIMIT` or a negative offset."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInputError("limit", f"must be between 1 and {MAX_LIMIT}, got {limit}")
    if offset < 0:
        raise InvalidInputError("offset", f"must not be negative, got {offset}")


def paginate(session: Session, query: Select[Any], *, limit: int, offset: int) -> Page[Any]:
    """The page of ``query`` (already ordered) at ``offset``, and the count of all rows."""
    _check_paging(limit, offset)
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    items = list(session.scalars(query.limit(limit).offset(offset)))
    return Page(items, int(total or 0), limit, offset)
