"""Quality checks of daily data, shared by update-time validation and ``data check``.

Each check looks at ``days x symbols`` arrays and returns findings: a table a person can
read (check, severity, symbol, date, detail). ``error`` findings make an update refuse
its data; ``data check`` reports every finding and exits 1 when there is any.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from quantlib.data.layout import Status

ERROR, WARNING = "error", "warning"
_TOL = 1e-6  # yuan: float noise, far below one fen
#: Consecutive trading days with identical close and volume that count as a stale feed.
STALE_DAYS = 3
#: Most findings listed per check; the rest are summarised in one row.
MAX_PER_CHECK = 50


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem found in the data."""

    check: str
    severity: str
    symbol: str
    date: str
    detail: str


def findings_frame(findings: list[Finding]) -> pd.DataFrame:
    """Findings as a DataFrame with fixed columns."""
    columns = ["check", "severity", "symbol", "date", "detail"]
    return pd.DataFrame([asdict(f) for f in findings], columns=columns)


def _cells(
    check: str,
    severity: str,
    mask: np.ndarray,
    days: np.ndarray,
    symbols: np.ndarray,
    describe: Callable[[int, int], str],
) -> list[Finding]:
    rows, cols = np.nonzero(mask)
    found = [
        Finding(check, severity, str(symbols[c]), str(days[r])[:10], describe(r, c))
        for r, c in zip(rows[:MAX_PER_CHECK], cols[:MAX_PER_CHECK], strict=True)
    ]
    if rows.size > MAX_PER_CHECK:
        found.append(
            Finding(
                check,
                severity,
                "*",
                "*",
                f"{rows.size - MAX_PER_CHECK} more cells with the same problem",
            )
        )
    return found


def check_bars(
    days: np.ndarray,
    symbols: np.ndarray,
    f: Mapping[str, np.ndarray],
    stocks: np.ndarray | None = None,
) -> list[Finding]:
    """Checks of one block of bars: OHLC, limit band, volume, VWAP, stale prices.

    ``f`` holds ``open high low close volume amount up_limit down_limit status``;
    ``stocks`` marks the columns that are stocks (the VWAP check does not apply to an
    index, whose amount and volume are its members' sums).
    """
    stock = np.ones(len(symbols), dtype=bool) if stocks is None else np.asarray(stocks, bool)
    o, h, lo, c = f["open"], f["high"], f["low"], f["close"]
    volume, amount, status = f["volume"], f["amount"], f["status"]
    trading = status == Status.TRADING
    out: list[Finding] = []

    def fmt(r: int, col: int) -> str:
        return f"O {o[r, col]} H {h[r, col]} L {lo[r, col]} C {c[r, col]}"

    with np.errstate(invalid="ignore"):
        missing = trading & ~(np.isfinite(o) & np.isfinite(h) & np.isfinite(lo) & np.isfinite(c))
        out += _cells(
            "missing_price",
            ERROR,
            missing,
            days,
            symbols,
            lambda r, col: f"trading day without a full bar ({fmt(r, col)})",
        )
        bad = (
            trading
            & ~missing
            & ((h + _TOL < np.maximum(o, c)) | (lo - _TOL > np.minimum(o, c)) | (lo <= 0))
        )
        out += _cells(
            "ohlc_inconsistent",
            ERROR,
            bad,
            days,
            symbols,
            lambda r, col: f"high/low do not bound open/close ({fmt(r, col)})",
        )
        up, down = f["up_limit"], f["down_limit"]
        beyond = trading & np.isfinite(up) & ((h > up + _TOL) | (lo < down - _TOL))
        out += _cells(
            "beyond_limit",
            ERROR,
            beyond,
            days,
            symbols,
            lambda r, col: (
                f"range {lo[r, col]}..{h[r, col]} outside the limit band "
                f"{down[r, col]}..{up[r, col]}"
            ),
        )
        negative = (volume < 0) | (amount < 0)
        out += _cells(
            "negative_volume",
            ERROR,
            negative,
            days,
            symbols,
            lambda r, col: f"volume {volume[r, col]}, amount {amount[r, col]}",
        )
        zero = trading & (volume == 0)
        out += _cells(
            "zero_volume",
            WARNING,
            zero,
            days,
            symbols,
            lambda r, col: "a bar with prices but zero volume on a day not suspended",
        )
        vwap = np.where(volume > 0, amount / np.where(volume > 0, volume, 1), np.nan)
        off = (
            trading
            & stock[None, :]
            & (volume > 0)
            & ((vwap > h * 1.005 + _TOL) | (vwap < lo * 0.995 - _TOL))
        )
        out += _cells(
            "vwap_outside_range",
            WARNING,
            off,
            days,
            symbols,
            lambda r, col: f"amount/volume {vwap[r, col]:.4f} outside {lo[r, col]}..{h[r, col]}",
        )
        suspended_with_bar = (status == Status.SUSPENDED) & (volume > 0)
        out += _cells(
            "traded_while_suspended",
            ERROR,
            suspended_with_bar,
            days,
            symbols,
            lambda r, col: f"volume {volume[r, col]} on a suspended day",
        )
    out += _stale(days, symbols, c, volume, trading)
    return out


def _stale(
    days: np.ndarray,
    symbols: np.ndarray,
    close: np.ndarray,
    volume: np.ndarray,
    trading: np.ndarray,
) -> list[Finding]:
    if close.shape[0] < STALE_DAYS:
        return []
    same = trading[1:] & trading[:-1] & (close[1:] == close[:-1]) & (volume[1:] == volume[:-1])
    run = np.zeros(same.shape, dtype=np.int32)
    count = np.zeros(same.shape[1], dtype=np.int32)
    for r in range(same.shape[0]):
        count = np.where(same[r], count + 1, 0)
        run[r] = count
    ends = run == STALE_DAYS - 1
    mask = np.zeros(close.shape, dtype=bool)
    mask[1:] = ends
    return _cells(
        "stale_price",
        WARNING,
        mask,
        days,
        symbols,
        lambda r, col: (
            f"close {close[r, col]} and volume {volume[r, col]} repeated "
            f"for {STALE_DAYS} trading days"
        ),
    )


def check_calendar(days: np.ndarray, expected: np.ndarray) -> list[Finding]:
    """Stored days against the calendar's trading days over the same span."""
    out: list[Finding] = []
    if days.size > 1 and not np.all(days[1:] > days[:-1]):
        repeated = days[1:][days[1:] <= days[:-1]]
        out += [
            Finding("duplicate_day", ERROR, "*", str(d)[:10], "day stored twice or out of order")
            for d in repeated[:MAX_PER_CHECK]
        ]
    stored = set(days.astype("datetime64[D]").tolist())
    for day in expected.astype("datetime64[D]").tolist():
        if day not in stored:
            out.append(Finding("missing_day", ERROR, "*", str(day), "trading day not in the store"))
    for day in sorted(stored - set(expected.astype("datetime64[D]").tolist())):
        out.append(
            Finding("not_a_trading_day", ERROR, "*", str(day), "stored day is not a trading day")
        )
    return out


def check_symbols(symbols: np.ndarray) -> list[Finding]:
    """Duplicated instrument columns."""
    seen, out = set(), []
    for symbol in symbols.tolist():
        if symbol in seen:
            out.append(Finding("duplicate_symbol", ERROR, symbol, "*", "instrument stored twice"))
        seen.add(symbol)
    return out


def compare_sources(
    days: np.ndarray,
    symbols: np.ndarray,
    ours: Mapping[str, np.ndarray],
    theirs: Mapping[str, np.ndarray],
    label: str,
) -> list[Finding]:
    """Cross-source comparison of close and volume on cells either side traded."""
    out: list[Finding] = []
    a_close, b_close = ours["close"], theirs["close"]
    a_has, b_has = np.isfinite(a_close), np.isfinite(b_close)
    out += _cells(
        "only_in_store",
        WARNING,
        a_has & ~b_has,
        days,
        symbols,
        lambda r, c: f"bar in the store but not in {label}",
    )
    out += _cells(
        "only_in_other",
        WARNING,
        ~a_has & b_has,
        days,
        symbols,
        lambda r, c: f"bar in {label} but not in the store",
    )
    both = a_has & b_has
    with np.errstate(invalid="ignore"):
        price = both & (np.abs(a_close - b_close) > 0.005)
        out += _cells(
            "close_differs",
            WARNING,
            price,
            days,
            symbols,
            lambda r, c: f"close {a_close[r, c]} vs {b_close[r, c]} in {label}",
        )
        va, vb = ours["volume"].astype(float), theirs["volume"].astype(float)
        vol = both & (np.abs(va - vb) > 0.001 * np.maximum(va, vb))
        out += _cells(
            "volume_differs",
            WARNING,
            vol,
            days,
            symbols,
            lambda r, c: f"volume {int(va[r, c])} vs {int(vb[r, c])} in {label}",
        )
    return out
