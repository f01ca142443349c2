"""Small helpers to build hand-sized markets for the backtester's tests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from quantlib.backtest.config import BacktestConfig
from quantlib.backtest.market_data import MarketData

MAIN = "600000.SH"
MAIN_SZ = "000001.SZ"
STAR = "688981.SH"
CHINEXT = "300750.SZ"


def days(n: int, start: str = "2024-01-02") -> pd.DatetimeIndex:
    """``n`` weekdays from ``start`` (the backtester needs no exchange calendar)."""
    return pd.bdate_range(start, periods=n)


def wide(values: Any, index: pd.DatetimeIndex, symbols: Sequence[str]) -> pd.DataFrame:
    """A (days x symbols) frame: a scalar, one column as a flat list, or rows of lists."""
    array = np.asarray(values)
    if array.ndim == 0:
        array = np.full((len(index), len(symbols)), values)
    elif array.ndim == 1:
        array = array.reshape(len(index), len(symbols))
    return pd.DataFrame(array, index=index, columns=list(symbols))


def make_frames(
    symbols: Sequence[str] = (MAIN,),
    start: str = "2024-01-02",
    index: pd.DatetimeIndex | None = None,
    **fields: Any,
) -> dict[str, pd.DataFrame]:
    """Frames named like the store's fields; every field is given as for :func:`wide`.

    The number of days is taken from the ``close`` field.
    """
    if index is None:
        n = len(np.asarray(fields["close"]).reshape(-1, len(symbols)))
        index = days(n, start)
    out: dict[str, pd.DataFrame] = {}
    for name, values in fields.items():
        frame = wide(values, index, symbols)
        if name == "suspended":
            frame = frame.astype(bool)
        elif name != "volume":
            frame = frame.astype(np.float64)
        out[name] = frame
    return out


def make_market(
    symbols: Sequence[str] = (MAIN,), start: str = "2024-01-02", **fields: Any
) -> MarketData:
    """:func:`make_frames` turned into :class:`MarketData`."""
    return MarketData.from_frames(make_frames(symbols, start, **fields))


def config(**overrides: Any) -> BacktestConfig:
    """A config without a benchmark (the markets here have none) and 100,000 yuan."""
    base: dict[str, Any] = {"cash": 100_000.0, "benchmark": None}
    base.update(overrides)
    return BacktestConfig(**base)


def weights(rows: Sequence[Sequence[float]] | Sequence[float], n_symbols: int = 1) -> np.ndarray:
    """Target weights or signals as a (days x symbols) float array; None means NaN."""
    flat = [np.nan if v is None else v for v in np.ravel(np.asarray(rows, dtype=object))]
    return np.asarray(flat, dtype=np.float64).reshape(-1, n_symbols)


def random_market(symbols: Sequence[str], n_days: int = 120, seed: int = 5) -> MarketData:
    """Prices on the tick with +-10% limits and a few suspended days."""
    rng = np.random.default_rng(seed)
    days = pd.bdate_range("2024-01-02", periods=n_days)
    n = len(symbols)
    close = np.empty((n_days, n))
    price = rng.uniform(5, 30, n)
    for t in range(n_days):
        price = np.round(price * np.exp(rng.normal(0, 0.02, n)), 2)
        close[t] = price
    prev = np.vstack([close[:1], close[:-1]])
    open_ = np.round(prev * np.exp(rng.normal(0, 0.01, close.shape)), 2)
    up = np.floor(prev * 110 + 0.5) / 100
    down = np.floor(prev * 90 + 0.5) / 100
    open_, close = np.clip(open_, down, up), np.clip(close, down, up)
    suspended = rng.random(close.shape) < 0.02

    def frame(values: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(values, index=days, columns=list(symbols))

    return MarketData.from_frames(
        {
            "open": frame(np.where(suspended, np.nan, open_)),
            "close": frame(np.where(suspended, np.nan, close)),
            "high": frame(np.maximum(open_, close)),
            "low": frame(np.minimum(open_, close)),
            "volume": frame(np.full(close.shape, 1e6)),
            "up_limit": frame(up),
            "down_limit": frame(down),
            "suspended": frame(suspended),
        }
    )
