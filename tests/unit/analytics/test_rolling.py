"""Rolling metrics against empyrical's rolling functions."""

from __future__ import annotations

import empyrical as ep
import numpy as np
import pandas as pd
import pytest

from quantlib.analytics.metrics import period_rate
from quantlib.analytics.returns import simple_returns
from quantlib.analytics.rolling import rolling_beta, rolling_sharpe, rolling_volatility
from quantlib.core.errors import ConfigError
from tests.unit.analytics.conftest import ANN


def _check(ours: pd.Series, theirs: pd.Series, window: int) -> None:
    assert ours.iloc[: window - 1].isna().all()
    tail = ours.iloc[window - 1 :]
    assert tail.index.equals(theirs.index)
    np.testing.assert_allclose(tail.to_numpy(), theirs.to_numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("window", [63, 20])
def test_rolling_sharpe_and_volatility_match_empyrical(equity, window):
    rets = simple_returns(equity)
    rf = period_rate(0.02, ANN)
    _check(
        rolling_sharpe(equity, window, risk_free=0.02),
        ep.roll_sharpe_ratio(rets, window, risk_free=rf, annualization=ANN),
        window,
    )
    _check(
        rolling_volatility(equity, window),
        ep.roll_annual_volatility(rets, window, annualization=ANN),
        window,
    )
    assert rolling_sharpe(rets, window, kind="returns").equals(rolling_sharpe(equity, window))


def test_rolling_beta_matches_empyrical(equity, benchmark):
    rets, bench = simple_returns(equity), simple_returns(benchmark)
    _check(rolling_beta(equity, benchmark), ep.roll_beta(rets, bench, 63), 63)


def test_default_window_is_63_and_short_inputs_are_all_nan(equity):
    assert rolling_volatility(equity).iloc[:62].isna().all()
    assert rolling_volatility(equity).iloc[62:].notna().all()
    short = rolling_sharpe(equity.iloc[:30])
    assert len(short) == 29 and short.isna().all()


def test_flat_windows_have_zero_volatility_and_nan_sharpe():
    eq = pd.Series(np.r_[np.full(30, 100.0), 100.0 * 1.01 ** np.arange(1, 31)])
    assert rolling_volatility(eq, 10).iloc[9:20].eq(0).all()
    assert rolling_sharpe(eq, 10).iloc[9:20].isna().all()


@pytest.mark.parametrize("window", [1, 0, 2.5, True])
def test_bad_windows_are_refused(equity, window):
    with pytest.raises(ConfigError, match="window"):
        rolling_sharpe(equity, window)
