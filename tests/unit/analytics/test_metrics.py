"""Scalar metrics and the vectorised summary table, checked against empyrical."""

from __future__ import annotations

import empyrical as ep
import numpy as np
import pandas as pd
import pytest

from quantlib.analytics import metrics as mt
from quantlib.analytics.returns import simple_returns
from quantlib.core.errors import ConfigError, DataValidationError
from tests.unit.analytics.conftest import ANN, random_equity

TOL = {"rel": 1e-9, "abs": 1e-12}


@pytest.fixture
def rets(equity: pd.Series) -> np.ndarray:
    return simple_returns(equity).to_numpy()


def test_return_metrics_match_empyrical(rets):
    assert mt.total_return(rets) == pytest.approx(ep.cum_returns_final(rets), **TOL)
    assert mt.annual_return(rets) == pytest.approx(ep.annual_return(rets, annualization=ANN), **TOL)
    assert mt.volatility(rets) == pytest.approx(
        ep.annual_volatility(rets, annualization=ANN), **TOL
    )
    assert mt.calmar(rets) == pytest.approx(ep.calmar_ratio(rets, annualization=ANN), **TOL)


@pytest.mark.parametrize("risk_free", [0.0, 0.03])
def test_sharpe_and_sortino_match_empyrical_with_the_compounded_period_rate(rets, risk_free):
    rf = (1 + risk_free) ** (1 / ANN) - 1
    assert mt.period_rate(risk_free) == pytest.approx(rf, rel=1e-15)
    assert mt.sharpe(rets, risk_free=risk_free) == pytest.approx(
        ep.sharpe_ratio(rets, risk_free=rf, annualization=ANN), **TOL
    )
    # empyrical's Sortino: mean excess over the downside deviation below the required return
    assert mt.sortino(rets, risk_free=risk_free) == pytest.approx(
        ep.sortino_ratio(rets, required_return=rf, annualization=ANN), **TOL
    )


@pytest.mark.parametrize("level", [0.95, 0.99, 0.9])
def test_var_and_cvar_match_empyrical(rets, level):
    cutoff = 1 - level
    assert mt.value_at_risk(rets, level) == pytest.approx(
        ep.value_at_risk(rets, cutoff=cutoff), **TOL
    )
    assert mt.conditional_value_at_risk(rets, level) == pytest.approx(
        ep.conditional_value_at_risk(rets, cutoff=cutoff), **TOL
    )


def test_max_drawdown_matches_empyrical(equity, rets):
    assert mt.max_drawdown(equity.to_numpy()) == pytest.approx(ep.max_drawdown(rets), **TOL)


def test_periods_per_year_annualises(rets):
    assert mt.volatility(rets, periods_per_year=252) == pytest.approx(
        ep.annual_volatility(rets), **TOL
    )
    assert mt.sharpe(rets, periods_per_year=52) == pytest.approx(
        ep.sharpe_ratio(rets, period="weekly"), **TOL
    )


def test_summary_table_rows_equal_the_scalar_functions():
    curves = np.stack([random_equity(300, seed=s).to_numpy() for s in range(5)])
    table = mt.summary_table(curves, periods_per_year=ANN, risk_free=0.02, var_level=0.9)
    assert list(table.columns) == list(mt.METRIC_NAMES)
    for row, curve in zip(table.itertuples(), curves, strict=True):
        r = curve[1:] / curve[:-1] - 1
        assert row.final_equity == curve[-1]
        assert row.total_return == pytest.approx(mt.total_return(r), **TOL)
        assert row.annual_return == pytest.approx(mt.annual_return(r), **TOL)
        assert row.volatility == pytest.approx(mt.volatility(r), **TOL)
        assert row.sharpe == pytest.approx(mt.sharpe(r, risk_free=0.02), **TOL)
        assert row.sortino == pytest.approx(mt.sortino(r, risk_free=0.02), **TOL)
        assert row.max_drawdown == pytest.approx(ep.max_drawdown(r), **TOL)
        assert row.calmar == pytest.approx(ep.calmar_ratio(r, annualization=ANN), **TOL)
        assert row.var == pytest.approx(ep.value_at_risk(r, cutoff=0.1), **TOL)
        assert row.cvar == pytest.approx(ep.conditional_value_at_risk(r, cutoff=0.1), **TOL)


def test_summary_returns_plain_floats_under_the_metric_names(equity):
    out = mt.summary(equity)
    assert set(out) == set(mt.METRIC_NAMES)
    assert all(type(v) is float for v in out.values())


def test_summary_table_checks_times_and_records_the_range():
    times = pd.bdate_range("2024-01-02", periods=3)
    table = mt.summary_table(np.array([[1.0, 1.1, 1.2]]), times)
    assert table.attrs == {"start": times[0], "end": times[-1]}
    with pytest.raises(DataValidationError, match="2 times"):
        mt.summary_table(np.array([[1.0, 1.1, 1.2]]), times[:2])
    with pytest.raises(DataValidationError, match="no bars"):
        mt.summary_table(np.empty((2, 0)))


def test_flat_equity_has_zero_volatility_and_undefined_ratios():
    row = mt.summary(np.full(50, 1e6))
    assert row["total_return"] == 0 and row["annual_return"] == 0
    assert row["volatility"] == 0 and row["max_drawdown"] == 0
    for name in ("sharpe", "sortino", "calmar"):
        assert np.isnan(row[name])


def test_constant_returns_have_zero_volatility_and_an_undefined_sharpe():
    # the float residue of std(equal values) is ~1e-18 and counts as 0; empyrical then
    # divides by 0 and reports +inf where quantlib reports NaN
    r = np.full(100, 0.001)
    assert mt.volatility(r) == 0
    assert np.isnan(mt.sharpe(r))
    assert np.isposinf(ep.sharpe_ratio(r, annualization=ANN))
    # equal up to float noise (from compounding) is still constant
    curve = 100.0 * 1.001 ** np.arange(200)
    assert mt.summary(curve)["volatility"] == 0


def test_all_losses():
    curve = 100.0 * 0.99 ** np.arange(30)
    row = mt.summary(curve)
    r = curve[1:] / curve[:-1] - 1
    assert row["max_drawdown"] == pytest.approx(row["total_return"], **TOL)
    assert row["calmar"] == pytest.approx(ep.calmar_ratio(r, annualization=ANN), **TOL)
    assert np.isnan(row["sharpe"])  # every return is -1%: no dispersion
    assert row["sortino"] == pytest.approx(ep.sortino_ratio(r, annualization=ANN), **TOL)
    assert row["var"] == pytest.approx(-0.01) and row["cvar"] == pytest.approx(-0.01)
    varied = np.tile([-0.01, -0.03, -0.002], 10)
    assert mt.sharpe(varied) == pytest.approx(ep.sharpe_ratio(varied, annualization=ANN), **TOL)
    assert mt.sharpe(varied) < 0 and mt.sortino(varied) < 0


def test_no_return_below_the_risk_free_rate_gives_an_undefined_sortino():
    r = np.array([0.01, 0.02, 0.015])
    assert np.isnan(mt.sortino(r))
    assert np.isinf(ep.sortino_ratio(r, annualization=ANN))  # empyrical: +inf


def test_single_point_and_single_return():
    one = mt.summary(np.array([1e6]))
    assert one["total_return"] == 0 and one["max_drawdown"] == 0
    for name in ("annual_return", "volatility", "sharpe", "sortino", "var", "cvar", "calmar"):
        assert np.isnan(one[name]), name
    two = mt.summary(np.array([100.0, 101.0]))
    assert two["annual_return"] == pytest.approx(1.01**ANN - 1)
    assert np.isnan(two["volatility"]) and np.isnan(two["sharpe"])
    assert two["var"] == pytest.approx(0.01)


def test_suspension_nans_in_a_row_are_forward_filled():
    with_gap = np.array([[100.0, np.nan, np.nan, 110.0, 99.0]])
    filled = np.array([[100.0, 100.0, 100.0, 110.0, 99.0]])
    pd.testing.assert_frame_equal(mt.summary_table(with_gap), mt.summary_table(filled))
    r = np.array([0.0, 0.0, 0.1, -0.1])
    row = mt.summary_table(with_gap).iloc[0]
    assert row["sharpe"] == pytest.approx(ep.sharpe_ratio(r, annualization=ANN), **TOL)


def test_nan_returns_count_as_zero_where_empyrical_drops_them():
    r = np.array([0.01, np.nan, -0.02, 0.015, 0.0])
    zeroed = np.nan_to_num(r)
    dropped = r[~np.isnan(r)]
    assert mt.sharpe(r) == pytest.approx(ep.sharpe_ratio(zeroed, annualization=ANN), **TOL)
    assert ep.sharpe_ratio(r, annualization=ANN) == pytest.approx(
        ep.sharpe_ratio(dropped, annualization=ANN), **TOL
    )
    assert mt.sharpe(r) != pytest.approx(ep.sharpe_ratio(r, annualization=ANN))


def test_rows_that_start_late_or_hit_zero_get_nan_where_undefined():
    table = mt.summary_table(
        np.array([[np.nan, 1.0, 1.1, 1.0], [1.0, 0.5, 0.0, 0.0], [1.0, 1.1, 1.2, 1.1]])
    )
    assert np.isnan(table.loc[0, "total_return"]) and np.isnan(table.loc[0, "sharpe"])
    assert table.loc[1, "total_return"] == -1 and table.loc[1, "annual_return"] == -1
    assert table.loc[1, "max_drawdown"] == -1 and np.isnan(table.loc[1, "volatility"])
    assert np.isfinite(table.loc[2]).all()


def test_bad_options_are_refused(rets):
    with pytest.raises(ConfigError, match="periods_per_year"):
        mt.sharpe(rets, periods_per_year=0)
    with pytest.raises(ConfigError, match="VaR level"):
        mt.value_at_risk(rets, 1.5)


def test_max_drawdown_of_a_matrix_is_per_row():
    out = mt.max_drawdown(np.array([[1.0, 2.0, 1.0], [1.0, 0.8, 1.2]]))
    np.testing.assert_allclose(out, [-0.5, -0.2])
