"""A small random-walk market for the PTrade tests (seconds, no store needed)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quantlib.backtest import BacktestConfig, MarketData

SYMBOLS = ("600000.SH", "600001.SH", "600002.SH", "000001.SZ")


def random_market(
    symbols: tuple[str, ...] = SYMBOLS, n_days: int = 120, seed: int = 5
) -> MarketData:
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


@pytest.fixture(autouse=True)
def english(monkeypatch: pytest.MonkeyPatch) -> None:
    """Messages in English, whatever the machine's locale."""
    monkeypatch.setenv("QUANTLIB_LANG", "en")


@pytest.fixture(scope="module")
def market() -> MarketData:
    """Four symbols, 120 days."""
    return random_market()


def config(**overrides: object) -> BacktestConfig:
    """600,000 yuan, no benchmark."""
    base: dict[str, object] = {"cash": 600_000.0, "benchmark": None}
    base.update(overrides)
    return BacktestConfig(**base)  # type: ignore[arg-type]
