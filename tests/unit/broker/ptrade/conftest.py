"""A small random-walk market for the PTrade tests (seconds, no store needed)."""

from __future__ import annotations

import pytest

from quantlib.backtest import BacktestConfig, MarketData
from tests.unit.backtest.conftest import random_market

SYMBOLS = ("600000.SH", "600001.SH", "600002.SH", "000001.SZ")


@pytest.fixture(autouse=True)
def english(monkeypatch: pytest.MonkeyPatch) -> None:
    """Messages in English, whatever the machine's locale."""
    monkeypatch.setenv("QUANTLIB_LANG", "en")


@pytest.fixture(scope="module")
def market() -> MarketData:
    """Four symbols, 120 days."""
    return random_market(SYMBOLS)


def config(**overrides: object) -> BacktestConfig:
    """600,000 yuan, no benchmark."""
    base: dict[str, object] = {"cash": 600_000.0, "benchmark": None}
    base.update(overrides)
    return BacktestConfig(**base)  # type: ignore[arg-type]
