"""Drawdown series and periods: hand-computed dates and durations, empyrical check."""

from __future__ import annotations

import empyrical as ep
import numpy as np
import pandas as pd
import pytest

from quantlib.analytics.drawdown import (
    PERIOD_COLUMNS,
    drawdown_periods,
    drawdown_series,
    max_drawdown_info,
)
from quantlib.analytics.returns import simple_returns
from quantlib.core.errors import ConfigError

#: Mon 2024-01-01 .. ; 10 business days
DATES = pd.bdate_range("2024-01-01", periods=10)
#: peak 100 on bar 1, trough 80 on bar 3 (-20%), recovered on bar 5 (100 again);
#: new peak 120 on bar 6, trough 108 on bar 8 (-10%), not recovered at bar 9 (110)
CURVE = pd.Series([90.0, 100.0, 90.0, 80.0, 95.0, 100.0, 120.0, 114.0, 108.0, 110.0], DATES)


def test_drawdown_series_by_hand():
    dd = drawdown_series(CURVE)
    expected = [0, 0, -0.1, -0.2, -0.05, 0, 0, -0.05, -0.1, -1 / 12]
    np.testing.assert_allclose(dd.to_numpy(), expected, atol=1e-15)
    assert dd.index.equals(DATES)


def test_drawdown_series_matches_empyrical(equity):
    rets = simple_returns(equity)
    np.testing.assert_allclose(
        drawdown_series(equity).iloc[1:].to_numpy(), ep.stats.drawdown_series(rets).to_numpy(),
        rtol=1e-9, atol=1e-12,
    )  # fmt: skip


def test_drawdown_periods_by_hand():
    table = drawdown_periods(CURVE)
    assert list(table.columns) == list(PERIOD_COLUMNS)
    assert len(table) == 2
    first, second = table.iloc[0], table.iloc[1]
    assert first["peak"] == DATES[1] and first["trough"] == DATES[3]
    assert first["recovery"] == DATES[5]
    assert first["depth"] == pytest.approx(-0.2)
    assert first["duration_days"] == 4 and first["recovery_days"] == 2
    assert first["calendar_days"] == 6 and first["recovered"]  # Tue 2 Jan to Mon 8 Jan
    assert second["peak"] == DATES[6] and second["trough"] == DATES[8]
    assert pd.isna(second["recovery"]) and not second["recovered"]
    assert second["depth"] == pytest.approx(-0.1)
    assert second["duration_days"] == 3 and np.isnan(second["recovery_days"])
    assert second["calendar_days"] == 3  # peak to the last date


def test_durations_count_calendar_days_across_a_weekend():
    dates = pd.DatetimeIndex(["2024-01-04", "2024-01-05", "2024-01-08", "2024-01-09"])
    row = drawdown_periods(pd.Series([1.0, 0.9, 0.95, 1.0], dates)).iloc[0]
    assert row["peak"] == dates[0] and row["recovery"] == dates[3]
    assert row["duration_days"] == 3 and row["calendar_days"] == 5


def test_top_limits_and_sorts_deepest_first(equity):
    everything = drawdown_periods(equity, top=None)
    top3 = drawdown_periods(equity, top=3)
    assert len(everything) > 3 and len(top3) == 3
    assert (np.diff(everything["depth"].to_numpy()) >= 0).all()
    pd.testing.assert_frame_equal(top3, everything.iloc[:3])
    assert everything["depth"].min() == pytest.approx(ep.max_drawdown(simple_returns(equity)))
    assert drawdown_periods(equity, top=0).empty
    with pytest.raises(ConfigError, match="top"):
        drawdown_periods(equity, top=-1)


def test_no_drawdown_and_undated_equity():
    rising = pd.Series([1.0, 1.1, 1.2], pd.bdate_range("2024-01-01", periods=3))
    assert drawdown_periods(rising).empty
    assert max_drawdown_info(rising) == {
        "depth": 0.0,
        "peak": None,
        "trough": None,
        "recovery": None,
        "duration_days": None,
        "recovery_days": None,
        "calendar_days": None,
    }
    undated = drawdown_periods(CURVE.to_numpy())
    assert undated["peak"].tolist() == [1, 6] and undated["trough"].tolist() == [3, 8]
    assert undated["recovery"].iloc[0] == 5 and pd.isna(undated["recovery"].iloc[1])
    assert undated["calendar_days"].isna().all()


def test_max_drawdown_info_by_hand():
    info = max_drawdown_info(CURVE)
    assert info == {
        "depth": pytest.approx(-0.2),
        "peak": DATES[1],
        "trough": DATES[3],
        "recovery": DATES[5],
        "duration_days": 4,
        "recovery_days": 2,
        "calendar_days": 6,
    }
    open_info = max_drawdown_info(CURVE.iloc[6:])
    assert open_info["recovery"] is None and open_info["recovery_days"] is None
    assert open_info["duration_days"] == 3
