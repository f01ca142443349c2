"""Fields derived from raw bars and the instrument master by the market's rules.

The same functions fill in what a vendor leaves out (status, ST flag, ex-rights reference
price, limit prices) and drive the demo market, so the store and the demo agree with
:mod:`quantlib.market` by construction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from quantlib.data.layout import Status
from quantlib.market.boards import IPO_NO_LIMIT_RULES, Board, limit_pct, limit_prices_fen, to_fen
from quantlib.market.calendar import TradingCalendar


def day_index(calendar: TradingCalendar, dates: np.ndarray) -> np.ndarray:
    """Position of each date in the calendar (dates between trading days get the next one)."""
    return np.searchsorted(calendar.days, dates.astype("datetime64[D]"), side="left")


def listing_status(
    days: np.ndarray, list_dates: np.ndarray, delist_dates: np.ndarray, traded: np.ndarray
) -> np.ndarray:
    """``status`` array from listing dates and which cells traded.

    ``delist_dates`` is the first day no longer listed (NaT while listed); ``traded`` is
    True where a bar with volume exists.
    """
    day = days.astype("datetime64[D]")[:, None]
    listed = day >= list_dates.astype("datetime64[D]")[None, :]
    delisted = ~np.isnat(delist_dates)[None, :] & (
        day >= delist_dates.astype("datetime64[D]")[None, :]
    )
    status = np.full(traded.shape, Status.NOT_LISTED, dtype=np.int8)
    status[listed] = Status.SUSPENDED
    status[listed & traded] = Status.TRADING
    status[delisted] = Status.DELISTED
    return status


def st_flags(days: np.ndarray, symbols: np.ndarray, intervals: pd.DataFrame) -> np.ndarray:
    """1 where a symbol is under special treatment on a day, else 0."""
    flags = np.zeros((len(days), len(symbols)), dtype=np.int8)
    if intervals.empty:
        return flags
    positions = pd.Index(symbols).get_indexer(pd.Index(intervals["symbol"]))
    day = days.astype("datetime64[D]")
    starts = pd.to_datetime(intervals["start"]).to_numpy().astype("datetime64[D]")
    ends = pd.to_datetime(intervals["end"]).to_numpy().astype("datetime64[D]")
    for column, start, end in zip(positions, starts, ends, strict=True):
        if column < 0:
            continue
        inside = day >= start
        if not np.isnat(end):
            inside &= day <= end
        flags[inside, column] = 1
    return flags


def limit_pct_table(boards: np.ndarray, st: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Limit percentage per cell (0 for non-stocks)."""
    pct = np.zeros(st.shape, dtype=np.int64)
    day_dates = [dt.date.fromisoformat(str(d)) for d in days.astype("datetime64[D]")]
    for board in Board:
        columns = np.flatnonzero(boards == board.value)
        if columns.size == 0:
            continue
        for row, date in enumerate(day_dates):
            try:
                normal, special = limit_pct(board, False, date), limit_pct(board, True, date)
            except LookupError:
                continue
            pct[row, columns] = np.where(st[row, columns] == 1, special, normal)
    return pct


@dataclass(frozen=True)
class ListingRules:
    """Per-instrument facts the limit rules need, resolved once.

    ``list_pos`` is the listing day's calendar position; ``ipo_days`` the number of
    trading days without a limit after listing; ``cap_up``/``cap_down`` the first-day
    cap in percent against the issue price (-1 where none).
    """

    boards: np.ndarray
    list_pos: np.ndarray
    ipo_days: np.ndarray
    cap_up: np.ndarray
    cap_down: np.ndarray


def listing_rules(
    boards: np.ndarray, list_dates: np.ndarray, calendar: TradingCalendar
) -> ListingRules:
    """Resolve each instrument's IPO rule from its board and listing date."""
    n = len(boards)
    ipo_days = np.zeros(n, dtype=np.int64)
    cap_up = np.full(n, -1, dtype=np.int64)
    cap_down = np.full(n, -1, dtype=np.int64)
    dates = np.asarray(list_dates).astype("datetime64[D]")
    known = ~np.isnat(dates)
    for board in Board:
        columns = np.flatnonzero((np.asarray(boards, dtype=object) == board.value) & known)
        rules = sorted(
            (r for r in IPO_NO_LIMIT_RULES if r.board is board), key=lambda r: r.listed_from
        )
        if columns.size == 0 or not rules:
            continue
        starts = np.array([np.datetime64(r.listed_from, "D") for r in rules])
        which = np.searchsorted(starts, dates[columns], side="right") - 1
        hit = which >= 0
        chosen = [rules[i] for i in which[hit]]
        target = columns[hit]
        ipo_days[target] = [r.days for r in chosen]
        cap_up[target] = [r.first_day_cap[0] if r.first_day_cap else -1 for r in chosen]
        cap_down[target] = [r.first_day_cap[1] if r.first_day_cap else -1 for r in chosen]
    list_pos = np.where(
        known,
        day_index(calendar, np.where(known, dates, np.datetime64("1991-01-02", "D"))),
        np.iinfo(np.int64).max // 2,
    )
    return ListingRules(
        np.asarray(boards, dtype=object), list_pos.astype(np.int64), ipo_days, cap_up, cap_down
    )


def limit_bands(
    preclose: np.ndarray,
    st: np.ndarray,
    days: np.ndarray,
    rules: ListingRules,
    calendar: TradingCalendar,
) -> tuple[np.ndarray, np.ndarray]:
    """Limit-up and limit-down prices (yuan; NaN where no limit applies).

    No limit for non-stocks, where ``preclose`` is NaN, and in each board's IPO no-limit
    period; the old first-day cap (+44%/-36% of the issue price) where it applied.
    """
    pct = limit_pct_table(rules.boards, st, days)
    age = day_index(calendar, days)[:, None] - rules.list_pos[None, :]
    fresh = (age >= 0) & (age < rules.ipo_days[None, :])
    capped = (age == 0) & (rules.cap_up[None, :] >= 0)
    pct_up = np.where(capped, rules.cap_up[None, :], pct)
    pct_down = np.where(capped, rules.cap_down[None, :], pct)
    valid = np.isfinite(preclose) & (pct > 0) & (~fresh | capped)
    fen = np.where(valid, to_fen(np.nan_to_num(preclose)), 0)
    up_fen, _ = limit_prices_fen(fen, pct_up)
    _, down_fen = limit_prices_fen(fen, pct_down)
    return np.where(valid, up_fen / 100.0, np.nan), np.where(valid, down_fen / 100.0, np.nan)


def forward_fill(values: np.ndarray, initial: np.ndarray) -> np.ndarray:
    """Fill NaN cells down each column, starting from ``initial`` (one value per column)."""
    filled = values.copy()
    last = initial.astype(np.float64).copy()
    for row in range(filled.shape[0]):
        current = filled[row]
        missing = np.isnan(current)
        current[missing] = last[missing]
        last = np.where(np.isnan(current), last, current)
    return filled


def ex_rights_preclose(
    close: np.ndarray, factor: np.ndarray, last_close: np.ndarray, last_factor: np.ndarray
) -> np.ndarray:
    """Ex-rights reference price: the previous traded close scaled by the factor change.

    ``preclose[t] = close[t-1] * factor[t-1] / factor[t]`` with the previous close carried
    over suspensions; rounded to the fen as the exchanges publish it.
    """
    prev_close = forward_fill(np.vstack([last_close[None, :], close]), last_close)[:-1]
    prev_factor = np.vstack([last_factor[None, :], factor])[:-1]
    with np.errstate(invalid="ignore", divide="ignore"):
        reference = prev_close * prev_factor / factor
    return np.where(np.isfinite(reference), np.rint(reference * 100.0) / 100.0, np.nan)
