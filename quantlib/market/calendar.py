"""The SSE/SZSE trading calendar and the phases of a trading day.

Trading days are held as a sorted ``datetime64[D]`` array; lookups are binary searches.
The default calendar comes from ``exchange_calendars``' XSHG (1991 to the last year whose
holidays are published); a data store persists the calendar it was built with, and a
vendor's calendar (e.g. Tushare ``trade_cal``) extends it into newly published years.
"""

from __future__ import annotations

import datetime as dt
import functools
import warnings
from collections.abc import Iterable
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd

from quantlib.core.dates import SHANGHAI, check_range, to_date
from quantlib.core.errors import DateError, NotATradingDayError
from quantlib.market.symbols import Exchange


class SessionPhase(StrEnum):
    """Where in the trading day a moment falls (continuous-auction stocks)."""

    CLOSED = "closed"
    OPENING_AUCTION = "opening_auction"  # 09:15-09:20, orders and cancels
    OPENING_AUCTION_NO_CANCEL = "opening_auction_no_cancel"  # 09:20-09:25
    PRE_OPEN = "pre_open"  # 09:25-09:30, the exchange takes no orders
    CONTINUOUS = "continuous"  # 09:30-11:30, 13:00-14:57
    LUNCH_BREAK = "lunch_break"
    CLOSING_AUCTION = "closing_auction"  # 14:57-15:00, no cancels
    AFTER_HOURS_FIXED_PRICE = "after_hours_fixed_price"  # 15:05-15:30


#: Closing call auction start dates: SZSE since 2006-07-01, SSE since 2018-08-20.
CLOSING_AUCTION_SINCE = {Exchange.SZ: dt.date(2006, 7, 1), Exchange.SH: dt.date(2018, 8, 20)}

_T = dt.time


def _phase_table(exchange: Exchange, date: dt.date) -> list[tuple[dt.time, dt.time, SessionPhase]]:
    closing = exchange is Exchange.BJ or date >= CLOSING_AUCTION_SINCE[exchange]
    afternoon_end = _T(14, 57) if closing else _T(15, 0)
    table = [
        (_T(9, 15), _T(9, 20), SessionPhase.OPENING_AUCTION),
        (_T(9, 20), _T(9, 25), SessionPhase.OPENING_AUCTION_NO_CANCEL),
        (_T(9, 25), _T(9, 30), SessionPhase.PRE_OPEN),
        (_T(9, 30), _T(11, 30), SessionPhase.CONTINUOUS),
        (_T(11, 30), _T(13, 0), SessionPhase.LUNCH_BREAK),
        (_T(13, 0), afternoon_end, SessionPhase.CONTINUOUS),
    ]
    if closing:
        table.append((_T(14, 57), _T(15, 0), SessionPhase.CLOSING_AUCTION))
    table.append((_T(15, 5), _T(15, 30), SessionPhase.AFTER_HOURS_FIXED_PRICE))
    return table


def _as_day_array(days: Iterable[Any]) -> np.ndarray:
    if isinstance(days, np.ndarray | pd.Series | pd.Index) and days.dtype.kind == "M":
        values = np.asarray(days).astype("datetime64[D]")
    else:
        values = pd.to_datetime(pd.Index(list(days))).to_numpy().astype("datetime64[D]")
    return np.unique(values)


class TradingCalendar:
    """Trading days of the Shanghai and Shenzhen exchanges (BSE follows them).

    Examples
    --------
    >>> cal = default_calendar()
    >>> cal.next_trading_day("2026-09-30")
    datetime.date(2026, 10, 8)
    """

    def __init__(self, days: Iterable[Any], name: str = "XSHG") -> None:
        self.name = name
        self._days = _as_day_array(days)
        if self._days.size == 0:
            raise DateError("a trading calendar needs at least one trading day")

    # -- bounds -----------------------------------------------------------------------
    @property
    def days(self) -> np.ndarray:
        """All trading days, sorted, as ``datetime64[D]`` (read-only view)."""
        view = self._days.view()
        view.flags.writeable = False
        return view

    @property
    def first(self) -> dt.date:
        """First known trading day."""
        return _d(self._days[0])

    @property
    def last(self) -> dt.date:
        """Last known trading day (the end of the published holiday schedule)."""
        return _d(self._days[-1])

    def __len__(self) -> int:
        return int(self._days.size)

    def __repr__(self) -> str:
        return f"TradingCalendar({self.name!r}, {self.first} .. {self.last}, {len(self)} days)"

    def _check_known(self, date: dt.date, name: str) -> np.datetime64:
        if not self.first <= date <= self.last:
            raise DateError(
                f"{name} {date} is outside the trading calendar "
                f"({self.first} .. {self.last}); holidays after {self.last} are not published"
            )
        return np.datetime64(date, "D")

    # -- queries ----------------------------------------------------------------------
    def is_trading_day(self, date: Any) -> bool:
        """Whether ``date`` is a trading day (raises for dates outside the calendar)."""
        day = self._check_known(to_date(date), "date")
        index = int(np.searchsorted(self._days, day))
        return index < self._days.size and self._days[index] == day

    def require_trading_day(self, date: Any, name: str = "date") -> dt.date:
        """Return ``date`` as a date, raising :class:`NotATradingDayError` if markets are shut."""
        parsed = to_date(date, name=name)
        if not self.is_trading_day(parsed):
            raise NotATradingDayError(
                f"{name} {parsed} ({parsed:%A}) is not a trading day; the previous one is "
                f"{self.previous_trading_day(parsed)}"
            )
        return parsed

    def next_trading_day(self, date: Any, count: int = 1) -> dt.date:
        """The ``count``-th trading day strictly after ``date``."""
        day = self._check_known(to_date(date), "date")
        index = int(np.searchsorted(self._days, day, side="right")) + count - 1
        if index >= self._days.size:
            raise DateError(f"no trading day known {count} after {date}; calendar ends {self.last}")
        return _d(self._days[index])

    def previous_trading_day(self, date: Any, count: int = 1) -> dt.date:
        """The ``count``-th trading day strictly before ``date``."""
        day = self._check_known(to_date(date), "date")
        index = int(np.searchsorted(self._days, day, side="left")) - count
        if index < 0:
            raise DateError(
                f"no trading day known {count} before {date}; calendar starts {self.first}"
            )
        return _d(self._days[index])

    def trading_days(self, start: Any, end: Any) -> np.ndarray:
        """Trading days in ``[start, end]`` as ``datetime64[D]``."""
        first, last = to_date(start, name="start"), to_date(end, name="end")
        check_range(first, last)
        lo = int(np.searchsorted(self._days, np.datetime64(first, "D"), side="left"))
        hi = int(np.searchsorted(self._days, np.datetime64(last, "D"), side="right"))
        return self._days[lo:hi].copy()

    def offset(self, date: Any, count: int) -> dt.date:
        """Move ``count`` trading days from a trading day (negative goes back)."""
        parsed = self.require_trading_day(date)
        if count == 0:
            return parsed
        if count > 0:
            return self.next_trading_day(parsed, count)
        return self.previous_trading_day(parsed, -count)

    def index_of(self, date: Any) -> int:
        """Position of a trading day in the calendar."""
        parsed = self.require_trading_day(date)
        return int(np.searchsorted(self._days, np.datetime64(parsed, "D")))

    def merged(self, other: TradingCalendar | Iterable[Any]) -> TradingCalendar:
        """This calendar extended by another's days after its end (history is kept)."""
        extra = other.days if isinstance(other, TradingCalendar) else _as_day_array(other)
        later = extra[extra > self._days[-1]]
        return TradingCalendar(np.concatenate([self._days, later]), self.name)

    # -- intraday ---------------------------------------------------------------------
    def phase_at(self, moment: dt.datetime, exchange: Exchange = Exchange.SH) -> SessionPhase:
        """Session phase at an aware moment (converted to Shanghai time)."""
        if moment.tzinfo is None:
            raise DateError(f"moment {moment} is naive; give a timezone-aware datetime")
        local = moment.astimezone(SHANGHAI)
        if not self.is_trading_day(local.date()):
            return SessionPhase.CLOSED
        clock = local.time()
        for start, end, phase in _phase_table(exchange, local.date()):
            if start <= clock < end:
                return phase
        return SessionPhase.CLOSED

    def minute_bar_ends(self, date: Any) -> pd.DatetimeIndex:
        """The 240 one-minute bar end times of a trading day (09:31..11:30, 13:01..15:00).

        Bars are labelled by their end, as JoinQuant, QMT and Tushare do; the 09:31 bar
        includes the opening auction's trade.
        """
        day = self.require_trading_day(date)
        morning = pd.date_range(
            dt.datetime.combine(day, _T(9, 31)), periods=120, freq="min", tz=SHANGHAI
        )
        afternoon = pd.date_range(
            dt.datetime.combine(day, _T(13, 1)), periods=120, freq="min", tz=SHANGHAI
        )
        return pd.DatetimeIndex(morning.append(afternoon))

    def to_frame(self) -> pd.DataFrame:
        """The calendar as a one-column frame (``date``)."""
        return pd.DataFrame({"date": self._days.astype("datetime64[s]")})


def _d(value: np.datetime64) -> dt.date:
    return dt.date.fromisoformat(str(value.astype("datetime64[D]")))


@functools.cache
def default_calendar() -> TradingCalendar:
    """The XSHG calendar from ``exchange_calendars``, 1991 to its last published year."""
    import exchange_calendars as xcals  # heavy import, only when needed

    with warnings.catch_warnings():
        # exchange_calendars itself trips a pandas deprecation while building sessions.
        warnings.simplefilter("ignore", category=DeprecationWarning)
        warnings.simplefilter("ignore", category=FutureWarning)
        calendar = xcals.get_calendar("XSHG", start="1991-01-02")
    return TradingCalendar(calendar.sessions, "XSHG")
