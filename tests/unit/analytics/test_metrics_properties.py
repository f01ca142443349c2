"""Property tests: bounds and identities that hold for any equity curve."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from quantlib.analytics import metrics as mt
from quantlib.analytics.drawdown import drawdown_periods, drawdown_series
from quantlib.analytics.returns import monthly_returns_table, simple_returns, yearly_returns

returns_arrays = arrays(
    np.float64,
    st.integers(2, 300),
    elements=st.floats(-0.2, 0.2, allow_nan=False, allow_subnormal=False),
)


def _curve(rets: np.ndarray, start: str = "2023-11-01") -> pd.Series:
    values = 100.0 * np.concatenate([[1.0], np.cumprod(1.0 + rets)])
    return pd.Series(values, index=pd.bdate_range(start, periods=len(values)))


@settings(max_examples=60, deadline=None)
@given(returns_arrays)
def test_drawdowns_lie_in_minus_one_to_zero(rets):
    curve = _curve(rets)
    dd = drawdown_series(curve)
    assert ((dd <= 0) & (dd >= -1)).all()
    mdd = mt.max_drawdown(curve.to_numpy())
    assert -1 <= mdd <= 0
    periods = drawdown_periods(curve.to_numpy(), top=None).sort_values("peak")
    assert np.isclose(periods["depth"].min(), mdd) if len(periods) else mdd == 0
    # peak < trough < recovery, and each period ends before the next one starts
    peak, trough = periods["peak"].to_numpy(), periods["trough"].to_numpy()
    end = periods["recovery"].fillna(len(curve) - 1).to_numpy(dtype=np.int64)
    assert (peak < trough).all() and (trough <= end).all()
    assert (end[:-1] <= peak[1:]).all()
    assert periods["recovered"].iloc[:-1].all()


@settings(max_examples=60, deadline=None)
@given(returns_arrays, st.sampled_from(["2023-11-01", "2023-12-28", "2024-02-29"]))
def test_calendar_tables_compound_to_the_total_return(rets, start):
    curve = _curve(rets, start)
    total = curve.iloc[-1] / curve.iloc[0] - 1
    table = monthly_returns_table(curve)
    months = table[list(range(1, 13))].to_numpy()
    assert np.isclose(np.nanprod(1 + months) - 1, total, rtol=1e-9, atol=1e-12)
    assert np.isclose(np.prod(1 + table["year"]) - 1, total, rtol=1e-9, atol=1e-12)
    assert np.allclose(yearly_returns(curve).to_numpy(), table["year"].to_numpy())


@settings(max_examples=60, deadline=None)
@given(returns_arrays, st.floats(0.5, 0.99))
def test_cvar_is_at_most_var_and_both_lie_within_the_returns(rets, level):
    var = mt.value_at_risk(rets, level)
    cvar = mt.conditional_value_at_risk(rets, level)
    eps = 1e-12  # the mean of equal values can differ from them in the last bit
    assert rets.min() - eps <= cvar <= var + eps
    assert rets.min() - eps <= var <= rets.max() + eps


@settings(max_examples=40, deadline=None)
@given(returns_arrays)
def test_summary_table_is_row_independent(rets):
    curve = _curve(rets).to_numpy()
    rising = np.linspace(100.0, 150.0, len(curve))
    both = mt.summary_table(np.stack([curve, rising]))
    alone = mt.summary_table(curve[None, :])
    np.testing.assert_array_equal(both.iloc[[0]].to_numpy(), alone.to_numpy())
    assert np.allclose(simple_returns(curve).to_numpy(), rets, atol=1e-12)
