"""Parsing dates and times the way A-share data comes in.

Market dates are plain :class:`datetime.date` values (a trading day is a date, not an
instant). Instants are timezone-aware, in Asia/Shanghai for market time.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from quantlib.core.errors import DateError, InvalidRangeError

SHANGHAI = ZoneInfo("Asia/Shanghai")
UTC = dt.UTC

_COMPACT = re.compile(r"^\d{8}$")


def to_date(value: Any, *, name: str = "date") -> dt.date:
    """Parse ``value`` into a :class:`datetime.date`.

    Accepts ``date``, ``datetime`` (converted to Shanghai time if aware), ``pd.Timestamp``,
    ``numpy.datetime64``, ``"YYYY-MM-DD"`` and ``"YYYYMMDD"``.

    Examples
    --------
    >>> to_date("20230828")
    datetime.date(2023, 8, 28)
    """
    if value is None or value is pd.NaT:
        raise DateError(f"{name} is missing")
    if isinstance(value, pd.Timestamp):
        if value.tzinfo is not None:
            value = value.tz_convert(SHANGHAI)
        return value.date()
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(SHANGHAI)
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, np.datetime64):
        if np.isnat(value):
            raise DateError(f"{name} is missing (NaT)")
        return pd.Timestamp(value).date()
    if isinstance(value, str):
        text = value.strip()
        try:
            if _COMPACT.match(text):
                return dt.datetime.strptime(text, "%Y%m%d").date()
            return dt.date.fromisoformat(text[:10])
        except ValueError:
            pass
        raise DateError(f"{name} {value!r} is not a date; expected YYYY-MM-DD or YYYYMMDD")
    raise DateError(f"{name} {value!r} of type {type(value).__name__} is not a date")


def check_range(start: dt.date, end: dt.date) -> None:
    """Raise :class:`InvalidRangeError` when ``start`` lies after ``end``."""
    if start > end:
        raise InvalidRangeError(f"range is backwards: start {start} is after end {end}")


def now_shanghai() -> dt.datetime:
    """The current time, aware, in Asia/Shanghai."""
    return dt.datetime.now(SHANGHAI)


def utc_now() -> dt.datetime:
    """The current time, aware, in UTC."""
    return dt.datetime.now(UTC)
