"""Benchmark alignment and relative metrics, checked against empyrical."""

from __future__ import annotations

import empyrical as ep
import numpy as np
import pandas as pd
import pytest

from quantlib.analytics import benchmark as bm
from quantlib.analytics.metrics import annual_return, period_rate
from quantlib.core.errors import DataValidationError
from tests.unit.analytics.conftest import ANN

TOL = {"rel": 1e-9, "abs": 1e-12}


def _returns(equity, benchmark):
    return equity.pct_change().iloc[1:].to_numpy(), benchmark.pct_change().iloc[1:].to_numpy()


@pytest.mark.parametrize("risk_free", [0.0, 0.025])
def test_alpha_and_beta_match_empyrical(equity, benchmark, risk_free):
    r, b = _returns(equity, benchmark)
    rf = period_rate(risk_free, ANN)
    aligned = bm.align(equity, benchmark)
    e_alpha, e_beta = ep.alpha_beta(r, b, risk_free=rf, annualization=ANN)
    assert bm.beta(aligned) == pytest.approx(e_beta, **TOL)
    assert bm.alpha(aligned, risk_free=risk_free) == pytest.approx(e_alpha, **TOL)
    assert 0.3 < bm.beta(aligned) < 0.9


def test_information_ratio_is_empyricals_excess_sharpe_annualised(equity, benchmark):
    r, b = _returns(equity, benchmark)
    aligned = bm.align(equity, benchmark)
    assert bm.information_ratio(aligned) == pytest.approx(
        ep.excess_sharpe(r, b) * np.sqrt(ANN), **TOL
    )
    assert bm.tracking_error(aligned) == pytest.approx(
        ep.annual_volatility(r - b, annualization=ANN), **TOL
    )


def test_excess_return_is_the_difference_of_annual_returns(equity, benchmark):
    r, b = _returns(equity, benchmark)
    out = bm.relative_metrics(equity, benchmark)
    assert set(out) == set(bm.RELATIVE_NAMES)
    assert out["excess_return"] == pytest.approx(
        ep.annual_return(r, annualization=ANN) - ep.annual_return(b, annualization=ANN), **TOL
    )


def test_benchmark_with_different_dates_is_aligned_on_the_common_ones(equity, benchmark):
    shifted = benchmark.iloc[100:].copy()
    extra = pd.Series([1.0, 2.0], index=pd.DatetimeIndex(["2030-01-02", "2030-01-03"]))
    longer = pd.concat([shifted, extra * shifted.iloc[-1]])
    gappy = longer.drop(longer.index[[10, 20]])
    aligned = bm.align(equity, gappy)
    assert len(aligned.equity) == len(equity) - 102
    assert aligned.dropped_equity == 102 and aligned.dropped_benchmark == 2
    assert aligned.equity.index.equals(aligned.benchmark.index)
    note = aligned.note()
    assert note is not None and "102 equity dates" in note and "2 benchmark dates" in note
    common = aligned.equity.index
    r, b = _returns(equity.loc[common], benchmark.loc[common])
    assert bm.beta(aligned) == pytest.approx(ep.beta(r, b), **TOL)
    assert bm.excess_return(aligned) == pytest.approx(annual_return(r) - annual_return(b), **TOL)
    assert bm.align(equity, benchmark).note() is None


def test_benchmark_gaps_are_forward_filled_like_equity(equity, benchmark):
    holed = benchmark.copy()
    holed.iloc[50:53] = np.nan
    aligned = bm.align(equity, holed)
    assert aligned.dropped_equity == 0
    assert (aligned.benchmark.iloc[50:53] == benchmark.iloc[49]).all()


def test_benchmark_without_enough_common_dates_is_refused(equity, benchmark):
    later = benchmark.copy()
    later.index = later.index + pd.Timedelta(days=3650)
    with pytest.raises(DataValidationError, match="share 0 dates; at least 3"):
        bm.align(equity, later)
    with pytest.raises(DataValidationError, match="share 2 dates"):
        bm.align(equity, benchmark.iloc[-2:])
    with pytest.raises(DataValidationError, match="both be dated"):
        bm.align(equity, benchmark.to_numpy())
    with pytest.raises(DataValidationError, match="benchmark is all NaN"):
        bm.align(equity, benchmark * np.nan)


def test_flat_benchmark_has_undefined_beta(equity):
    flat = pd.Series(3000.0, index=equity.index)
    assert np.isnan(bm.beta(bm.align(equity, flat)))
