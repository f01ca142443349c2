"""Returns from equity curves, NaN handling, validation and calendar tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quantlib.analytics.returns import (
    as_returns,
    equity_series,
    monthly_returns_table,
    returns_series,
    simple_returns,
    yearly_returns,
)
from quantlib.core.errors import DataValidationError


def test_simple_returns_of_a_series_and_an_array():
    idx = pd.bdate_range("2024-01-02", periods=3)
    rets = simple_returns(pd.Series([100.0, 110.0, 99.0], index=idx))
    assert rets.index.equals(idx[1:])
    np.testing.assert_allclose(rets.to_numpy(), [0.1, -0.1])
    np.testing.assert_allclose(simple_returns([100.0, 110.0, 99.0]).to_numpy(), [0.1, -0.1])


def test_suspension_nans_are_forward_filled_and_count_as_zero_returns():
    idx = pd.bdate_range("2024-01-02", periods=6)
    raw = pd.Series([np.nan, 100.0, np.nan, np.nan, 120.0, 114.0], index=idx)
    clean = equity_series(raw)
    assert clean.index[0] == idx[1]  # the leading NaN is before the curve starts
    np.testing.assert_allclose(clean.to_numpy(), [100.0, 100.0, 100.0, 120.0, 114.0])
    np.testing.assert_allclose(simple_returns(raw).to_numpy(), [0.0, 0.0, 0.2, -0.05])


def test_one_point_has_no_returns():
    assert simple_returns([5.0]).empty


@pytest.mark.parametrize(
    ("values", "index", "problem"),
    [
        ([], None, "empty"),
        ([np.nan, np.nan], None, "all NaN"),
        ([1.0, 0.0, 2.0], None, "positive"),
        ([1.0, -3.0], None, "positive"),
        ([1.0, np.inf], None, "infinite"),
        ([1.0, 2.0], ["2024-01-03", "2024-01-02"], "sorted"),
        ([1.0, 2.0], ["2024-01-02", "2024-01-02"], "duplicate"),
    ],
)
def test_bad_equity_is_refused_naming_the_problem(values, index, problem):
    data = pd.Series(values, index=pd.DatetimeIndex(index) if index else None, dtype=float)
    with pytest.raises(DataValidationError, match=problem):
        equity_series(data)


def test_returns_series_counts_nan_as_zero_and_refuses_total_losses():
    np.testing.assert_allclose(returns_series([0.1, np.nan, -0.2]).to_numpy(), [0.1, 0.0, -0.2])
    with pytest.raises(DataValidationError, match="greater than -1"):
        returns_series([0.1, -1.0])


def test_auto_kind_tells_equity_from_returns():
    np.testing.assert_allclose(as_returns([1.0, 1.1]).to_numpy(), [0.1])
    np.testing.assert_allclose(as_returns([0.01, -0.02]).to_numpy(), [0.01, -0.02])
    # all positive but small: returns; forced: equity
    np.testing.assert_allclose(as_returns([0.01, 0.02]).to_numpy(), [0.01, 0.02])
    np.testing.assert_allclose(as_returns([0.01, 0.02], kind="equity").to_numpy(), [1.0])


def test_monthly_table_by_hand():
    idx = pd.DatetimeIndex(["2023-12-29", "2024-01-02", "2024-01-31", "2024-03-01", "2025-01-02"])
    eq = pd.Series([100.0, 110.0, 121.0, 108.9, 119.79], index=idx)
    table = monthly_returns_table(eq)
    assert list(table.columns) == [*range(1, 13), "year"]
    assert list(table.index) == [2024, 2025]
    assert table.loc[2024, 1] == pytest.approx(0.21)
    assert np.isnan(table.loc[2024, 2])
    assert table.loc[2024, 3] == pytest.approx(-0.1)
    assert table.loc[2024, "year"] == pytest.approx(0.089)
    assert table.loc[2025, 1] == pytest.approx(0.1)
    # the same table from the returns
    pd.testing.assert_frame_equal(monthly_returns_table(simple_returns(eq)), table)
    yearly = yearly_returns(eq)
    assert yearly.to_dict() == pytest.approx({2024: 0.089, 2025: 0.1})


def test_calendar_tables_compound_to_the_total_return(equity):
    total = equity.iloc[-1] / equity.iloc[0] - 1
    table = monthly_returns_table(equity)
    assert np.prod(1 + table["year"]) - 1 == pytest.approx(total, rel=1e-12)
    months = table[list(range(1, 13))].to_numpy()
    assert np.nanprod(1 + months) - 1 == pytest.approx(total, rel=1e-12)
    assert np.prod(1 + yearly_returns(equity)) - 1 == pytest.approx(total, rel=1e-12)


def test_calendar_tables_need_dates():
    with pytest.raises(DataValidationError, match="DatetimeIndex"):
        monthly_returns_table([1.0, 1.1, 1.2])
    with pytest.raises(DataValidationError, match="DatetimeIndex"):
        yearly_returns([1.0, 1.1, 1.2])


def test_calendar_tables_of_a_single_point_are_empty():
    eq = pd.Series([1.0], index=pd.DatetimeIndex(["2024-01-02"]))
    assert monthly_returns_table(eq).empty
    assert yearly_returns(eq).empty
