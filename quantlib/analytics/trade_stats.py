"""Trade statistics: FIFO round trips from the fills table, win/loss statistics, and
per-bar exposure, position counts and turnover.

Round trips pair each sell with the earliest open buys of the same symbol (first in,
first out). A sell that closes part of a lot splits it; fees (commission, stamp duty,
transfer and exchange fees) are spread over shares pro rata, so a round trip carries the
buy fees of its shares plus the sell fees of its shares. Shares still held at the end
are open lots, reported apart and not counted as wins or losses. Corporate actions
(bonus shares, splits, dividends paid in shares) scale the open lots when given; sold
shares with no recorded buy are reported as unmatched.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from quantlib.analytics.metrics import TRADING_DAYS
from quantlib.analytics.returns import equity_series
from quantlib.core.errors import DataValidationError

#: Fee columns of the trades table, summed into a trade's fees (missing ones count 0).
FEE_COLUMNS = ("commission", "stamp_duty", "transfer_fee", "exchange_fees")

#: Columns of :func:`round_trips`.
ROUND_TRIP_COLUMNS = (
    "symbol",
    "entry_time",
    "exit_time",
    "quantity",
    "entry_price",
    "exit_price",
    "fees",
    "pnl",
    "return",
    "holding_bars",
    "holding_days",
    "calendar_days",
)

#: Columns of open lots.
OPEN_LOT_COLUMNS = ("symbol", "entry_time", "quantity", "entry_price", "fees")

#: Round-trip statistic names, as in :func:`trade_statistics`.
TRADE_STAT_NAMES = (
    "win_rate",
    "profit_factor",
    "avg_win",
    "avg_loss",
    "payoff_ratio",
    "avg_holding_days",
    "n_round_trips",
)

_REQUIRED = ("time", "symbol", "side", "quantity", "price")
_ADJUST, _BUY, _SELL = 0, 1, 2
_EPS = 1e-9


@dataclass(frozen=True)
class Lots:
    """FIFO matching of a trades table: closed round trips, open lots at the end, and
    sells that found no open lot."""

    closed: pd.DataFrame
    open: pd.DataFrame
    unmatched: pd.DataFrame


def _checked_trades(trades: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in _REQUIRED if c not in trades.columns]
    if missing:
        raise DataValidationError(f"the trades table lacks column(s) {', '.join(missing)}")
    sides = set(trades["side"].unique()) - {"buy", "sell"}
    if sides:
        raise DataValidationError(f"trade sides must be 'buy' or 'sell', found {sorted(sides)}")
    qty = trades["quantity"].to_numpy(dtype=np.float64)
    if not (np.isfinite(qty) & (qty > 0)).all():
        raise DataValidationError("trade quantities must be positive and finite")
    fees = np.zeros(len(trades))
    for column in FEE_COLUMNS:
        if column in trades.columns:
            fees += trades[column].to_numpy(dtype=np.float64)
    return pd.DataFrame(
        {
            "time": pd.DatetimeIndex(trades["time"]),
            "symbol": trades["symbol"].to_numpy(),
            "kind": np.where(trades["side"].to_numpy() == "sell", _SELL, _BUY),
            "quantity": qty,
            "price": trades["price"].to_numpy(dtype=np.float64),
            "fees": fees,
            "bar": trades["bar"].to_numpy(np.float64) if "bar" in trades else np.nan,
            "cash": 0.0,
        }
    )


def _events(trades: pd.DataFrame, corporate_actions: pd.DataFrame | None) -> pd.DataFrame:
    """Trades and share adjustments in time order (adjustments first within a bar, as the
    backtester applies them at the bar's start; trades keep their table order)."""
    frame = _checked_trades(trades)
    if corporate_actions is not None and len(corporate_actions):
        in_lieu = corporate_actions.get("cash", 0.0)
        actions = pd.DataFrame(
            {
                "time": pd.DatetimeIndex(corporate_actions["time"]),
                "symbol": corporate_actions["symbol"].to_numpy(),
                "kind": _ADJUST,
                "quantity": corporate_actions["quantity"].to_numpy(dtype=np.float64),
                "price": np.nan,
                "fees": 0.0,
                "bar": np.nan,
                "cash": np.asarray(in_lieu, dtype=np.float64),
            }
        )
        frame = pd.concat([actions, frame], ignore_index=True)
    order = np.lexsort((frame["kind"].to_numpy() != _ADJUST, frame["time"].to_numpy()))
    return frame.iloc[order].reset_index(drop=True)


def _adjust(lots: deque[list[Any]], added: float, cash: float) -> None:
    """Scale open lots by a share adjustment (bonus shares, split, dividend paid in
    shares): more shares at a lower cost each, cash in lieu lowering the cost."""
    held = sum(lot[0] for lot in lots)
    if held <= _EPS:
        return
    factor = (held + added) / held
    cash_per_share = cash / (held + added)
    for lot in lots:
        lot[0] *= factor
        lot[1] = lot[1] / factor - cash_per_share
        lot[2] /= factor


def _holding(
    closed: pd.DataFrame, entry_bar: np.ndarray, exit_bar: np.ndarray, times: pd.Index | None
) -> pd.DataFrame:
    entry = pd.DatetimeIndex(closed["entry_time"])
    exit_ = pd.DatetimeIndex(closed["exit_time"])
    if times is not None and np.isnan(entry_bar).any():
        index = pd.Index(times)
        entry_bar = np.where(index.get_indexer(entry) >= 0, index.get_indexer(entry), np.nan)
        exit_bar = np.where(index.get_indexer(exit_) >= 0, index.get_indexer(exit_), np.nan)
    closed["holding_bars"] = exit_bar - entry_bar
    if times is not None:
        sessions = pd.DatetimeIndex(times).normalize().unique()
        closed["holding_days"] = (
            sessions.searchsorted(exit_.normalize()) - sessions.searchsorted(entry.normalize())
        ).astype(np.float64)
    else:
        daily = bool((entry == entry.normalize()).all() and (exit_ == exit_.normalize()).all())
        closed["holding_days"] = closed["holding_bars"] if daily else np.nan
    closed["calendar_days"] = (exit_ - entry).days.astype(np.float64)
    return closed


def fifo_lots(
    trades: pd.DataFrame,
    times: pd.Index | None = None,
    corporate_actions: pd.DataFrame | None = None,
) -> Lots:
    """Match ``trades`` first in, first out per symbol.

    ``trades`` needs columns time, symbol, side ('buy'/'sell'), quantity (> 0) and
    price; fee columns (:data:`FEE_COLUMNS`) and ``bar`` are used when present. Trades
    at the same time keep their table order. ``corporate_actions`` (time, symbol,
    quantity of shares added, optional cash in lieu; as
    ``BacktestResult.corporate_actions``) scale the open lots, so entry prices are
    per adjusted share. ``holding_bars`` comes from the ``bar`` column, else from the
    position of the times in ``times``; ``holding_days`` counts trading sessions (dates
    in ``times``; without ``times``, equal to ``holding_bars`` for daily trades and NaN
    otherwise); ``calendar_days`` counts calendar days.
    """
    events = _events(trades, corporate_actions)
    time = pd.DatetimeIndex(events["time"])
    symbols = events["symbol"].to_numpy()
    kinds = events["kind"].to_numpy()
    qty, price, fees, bars, cash = (
        events[c].to_numpy(dtype=np.float64) for c in ("quantity", "price", "fees", "bar", "cash")
    )
    closed: list[tuple[Any, ...]] = []
    unmatched: list[tuple[Any, ...]] = []
    book: dict[Any, deque[list[Any]]] = {}
    for i in range(len(events)):
        lots = book.setdefault(symbols[i], deque())
        if kinds[i] == _ADJUST:
            _adjust(lots, qty[i], cash[i])
            continue
        fee_per_share = fees[i] / qty[i]
        if kinds[i] == _BUY:
            lots.append([qty[i], price[i], fee_per_share, time[i], bars[i]])
            continue
        left = qty[i]
        while left > _EPS and lots:
            lot = lots[0]
            q = min(lot[0], left)
            entry_fee, exit_fee = lot[2] * q, fee_per_share * q
            pnl = (price[i] - lot[1]) * q - entry_fee - exit_fee
            cost = lot[1] * q + entry_fee
            closed.append(
                (symbols[i], lot[3], time[i], q, lot[1], price[i], entry_fee + exit_fee, pnl,
                 pnl / cost, lot[4], bars[i])
            )  # fmt: skip
            lot[0] -= q
            left -= q
            if lot[0] <= _EPS:
                lots.popleft()
        if left > _EPS:
            unmatched.append((symbols[i], time[i], left, price[i]))
    columns = [*ROUND_TRIP_COLUMNS[:9], "_entry_bar", "_exit_bar"]
    table = pd.DataFrame(closed, columns=columns)
    entry_bar = table.pop("_entry_bar").to_numpy(np.float64)
    exit_bar = table.pop("_exit_bar").to_numpy(np.float64)
    table = _holding(table, entry_bar, exit_bar, times)
    open_rows = [
        (symbol, lot[3], lot[0], lot[1], lot[2] * lot[0])
        for symbol, lots in book.items()
        for lot in lots
        if lot[0] > _EPS
    ]
    return Lots(
        closed=table[list(ROUND_TRIP_COLUMNS)],
        open=pd.DataFrame(open_rows, columns=list(OPEN_LOT_COLUMNS)),
        unmatched=pd.DataFrame(unmatched, columns=["symbol", "time", "quantity", "price"]),
    )


def round_trips(trades: pd.DataFrame, times: pd.Index | None = None) -> pd.DataFrame:
    """Closed FIFO round trips (:data:`ROUND_TRIP_COLUMNS`), one row per matched piece
    of a lot: ``pnl`` is net of the piece's buy and sell fees, ``return`` is ``pnl``
    over its cost (buy value plus buy fees). See :func:`fifo_lots`."""
    return fifo_lots(trades, times).closed


def open_lots(trades: pd.DataFrame) -> pd.DataFrame:
    """Shares bought and not sold by the last trade (:data:`OPEN_LOT_COLUMNS`; ``fees``
    are the buy fees of the remaining shares)."""
    return fifo_lots(trades).open


def trade_statistics(round_trips: pd.DataFrame) -> dict[str, float]:
    """Win rate, profit factor, average win and loss (money, loss negative), payoff
    ratio, average holding period (``holding_days``) and count of round trips.

    A round trip with pnl exactly 0 counts in the total but neither as a win nor as a
    loss. Undefined values are NaN: every rate without round trips, the profit factor
    and payoff ratio without losses, averages without wins or losses.
    """
    pnl = round_trips["pnl"].to_numpy(dtype=np.float64)
    wins, losses = pnl[pnl > 0], pnl[pnl < 0]
    nan = float("nan")
    gross_loss = float(-losses.sum())
    avg_win = float(wins.mean()) if wins.size else nan
    avg_loss = float(losses.mean()) if losses.size else nan
    holding = round_trips["holding_days"].to_numpy(dtype=np.float64)
    held = holding[~np.isnan(holding)]
    return {
        "win_rate": wins.size / pnl.size if pnl.size else nan,
        "profit_factor": float(wins.sum()) / gross_loss if gross_loss > 0 else nan,
        "avg_win": avg_win,
        "avg_loss": avg_loss,
        "payoff_ratio": avg_win / -avg_loss if losses.size else nan,
        "avg_holding_days": float(held.mean()) if held.size else nan,
        "n_round_trips": pnl.size,
    }


def _per_bar(
    frame: pd.DataFrame, column: str, equity: pd.Series, what: str, *, absolute: bool
) -> pd.Series:
    values = frame[column].to_numpy(dtype=np.float64)
    summed = (
        pd.Series(np.abs(values) if absolute else values)
        .groupby(pd.DatetimeIndex(frame["time"]) if len(frame) else pd.DatetimeIndex([]))
        .sum()
    )
    outside = summed.index.difference(equity.index)
    if len(outside):
        raise DataValidationError(
            f"{len(outside)} {what} time(s) are not bars of the equity curve, e.g. {outside[0]!s}"
        )
    return summed.reindex(equity.index, fill_value=0.0)


def exposure_series(positions: pd.DataFrame, equity: pd.Series | ArrayLike) -> pd.Series:
    """Gross exposure at each bar: sum of |holding value| / equity (0 with no holdings).

    ``positions`` is long format with columns time, symbol and value (as
    ``BacktestResult.positions``).
    """
    eq = equity_series(equity)
    gross = _per_bar(positions, "value", eq, "position", absolute=True)
    return (gross / eq).rename("exposure")


def position_count_series(positions: pd.DataFrame, equity: pd.Series | ArrayLike) -> pd.Series:
    """Number of symbols held at each bar (rows with non-zero shares)."""
    eq = equity_series(equity)
    held = positions.assign(n=(positions["shares"].to_numpy() != 0).astype(np.float64))
    return _per_bar(held, "n", eq, "position", absolute=False).astype(np.int64).rename("positions")


def turnover_series(trades: pd.DataFrame, equity: pd.Series | ArrayLike) -> pd.Series:
    """Traded value (buys plus sells) at each bar over that bar's equity."""
    eq = equity_series(equity)
    traded = _per_bar(trades, "value", eq, "trade", absolute=True)
    return (traded / eq).rename("turnover")


def exposure(positions: pd.DataFrame, equity: pd.Series | ArrayLike) -> float:
    """Average gross exposure over all bars of ``equity`` (see :func:`exposure_series`)."""
    return float(exposure_series(positions, equity).mean())


def time_in_market(positions: pd.DataFrame, equity: pd.Series | ArrayLike) -> float:
    """Fraction of bars with any holding."""
    return float((position_count_series(positions, equity) > 0).mean())


def turnover(
    trades: pd.DataFrame,
    equity: pd.Series | ArrayLike,
    *,
    periods_per_year: float = TRADING_DAYS,
) -> float:
    """Annualised two-sided turnover: total traded value / average equity ×
    ``periods_per_year`` / number of bars (selling everything and buying it back is 2)."""
    eq = equity_series(equity)
    traded = _per_bar(trades, "value", eq, "trade", absolute=True)
    return float(traded.sum() / eq.mean() * periods_per_year / len(eq))


__all__ = [
    "FEE_COLUMNS",
    "OPEN_LOT_COLUMNS",
    "ROUND_TRIP_COLUMNS",
    "TRADE_STAT_NAMES",
    "Lots",
    "exposure",
    "exposure_series",
    "fifo_lots",
    "open_lots",
    "position_count_series",
    "round_trips",
    "time_in_market",
    "trade_statistics",
    "turnover",
    "turnover_series",
]
