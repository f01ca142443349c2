"""Shared inputs for the analytics tests: seeded equity curves on trading dates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

#: empyrical's annualisation matching quantlib's default (A-share trading days).
ANN = 242


def random_equity(
    n: int = 500, seed: int = 1, drift: float = 4e-4, vol: float = 0.013
) -> pd.Series:
    """A seeded random-walk equity curve on business days from 2021-01-04."""
    rng = np.random.default_rng(seed)
    rets = rng.normal(drift, vol, n - 1)
    values = 1_000_000.0 * np.concatenate([[1.0], np.cumprod(1.0 + rets)])
    return pd.Series(values, index=pd.bdate_range("2021-01-04", periods=n), name="equity")


@pytest.fixture
def equity() -> pd.Series:
    """500 bars of a random equity curve."""
    return random_equity()


@pytest.fixture
def benchmark() -> pd.Series:
    """A benchmark level on the same dates, correlated with :func:`equity`."""
    eq = random_equity()
    noise = random_equity(seed=2, drift=0.0, vol=0.008)
    level = 3000.0 * (eq / eq.iloc[0]) ** 0.6 * (noise / noise.iloc[0])
    return level.rename("benchmark")
