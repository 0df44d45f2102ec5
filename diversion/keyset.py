"""Keyset pages: every list newest first by (created_at, id), continued from a cursor, in one shape.

The lists of cases (referrals.queries.list_cases) and of notices (notices.services.list_notices) page the same way:
the rows before the last one shown, in the order (created_at, id) descending. The filter is one row-value comparison,
``(created_at, id) < (cursor's time, cursor's id)``, which SQLite and PostgreSQL both read as a range of the indexes
that hold that order (the ``*_created_at_id`` indexes of the models), so a page far down a list starts where its
cursor points instead of reading and dropping every row before it (docs/benchmarks.md, "Indexes for the pages").
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Select, tuple_

# A list's cursor (Cursor.encode): at most 16 digits of microseconds keep the time before the year 2287.
CURSOR_PATTERN = "^[0-9]{1,16}\\.[0-9a-f]{32}$"
_CURSOR_TEXT = re.compile(r"([0-9]{1,16})\.([0-9a-f]{32})")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)

Row = TypeVar("Row")


@dataclass(frozen=True)
class Cursor:
    """Where a page of a list ends: the last row's creation time and id (newest first)."""

    created_at: datetime
    id: uuid.UUID

    def encode(self) -> str:
        """Opaque to callers: microseconds since 1970 (UTC), a dot, and the id's 32 hex digits. Every text of that
        shape (CURSOR_PATTERN, which the OpenAPI document states) is a cursor, so a list never refuses one that
        matches the pattern: a pattern-shaped cursor no list gave is simply a place in the list."""
        micros = (self.created_at - _EPOCH) // _MICROSECOND
        return f"{micros}.{self.id.hex}"

    @classmethod
    def decode(cls, text: str) -> Cursor | None:
        """The cursor a previous page gave, or None when the text is not one."""
        match = _CURSOR_TEXT.fullmatch(text)
        if match is None:
            return None
        micros, hex_id = match.groups()
        return cls(_EPOCH + timedelta(microseconds=int(micros)), uuid.UUID(hex=hex_id))


def newest_first(query: Select[Any], model: Any, after: Cursor | None, limit: int) -> Select[Any]:
    """The query narrowed to the rows after ``after`` (all of them without one), newest first, one more than
    ``limit`` so that :func:`page` can tell whether another page follows."""
    if after is not None:
        # A plain tuple on the right: its values are bound with the columns' own types (UTC times, UUIDs).
        query = query.where(tuple_(model.created_at, model.id) < (after.created_at, after.id))
    return query.order_by(model.created_at.desc(), model.id.desc()).limit(limit + 1)


def page(rows: Sequence[Row], limit: int) -> tuple[list[Row], Cursor | None]:
    """The page's rows (at most ``limit``) and the cursor of the next page (None at the end), from the rows a
    :func:`newest_first` query returned."""
    items = list(rows[:limit])
    if len(rows) <= limit:
        return items, None
    last: Any = items[-1]
    return items, Cursor(last.created_at, last.id)
