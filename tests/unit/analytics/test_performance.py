"""performance(): every metric under stable keys, missing inputs as None with notes."""

from __future__ import annotations

import json
from types import SimpleNamespace

import empyrical as ep
import numpy as np
import pandas as pd
import pytest

from quantlib.analytics import METRIC_KEYS, Performance, performance
from quantlib.analytics.drawdown import drawdown_periods
from quantlib.analytics.returns import simple_returns
from quantlib.backtest.result import BacktestResult, RunIdentity
from quantlib.core.errors import ConfigError, DataValidationError
from tests.unit.analytics.conftest import ANN
from tests.unit.analytics.test_trade_stats import DATES, EQUITY, POSITIONS, TRADES

#: keys the report relies on, exactly as agreed
AGREED = {
    "total_return", "annual_return", "volatility", "sharpe", "sortino", "calmar",
    "max_drawdown", "max_drawdown_peak", "max_drawdown_trough", "max_drawdown_recovery",
    "max_drawdown_days", "var", "cvar", "win_rate", "profit_factor", "avg_win", "avg_loss",
    "payoff_ratio", "avg_holding_days", "n_round_trips", "turnover", "exposure",
    "excess_return", "tracking_error", "information_ratio", "alpha", "beta", "final_equity",
    "start", "end", "n_bars",
}  # fmt: skip


def test_bare_equity_gives_return_metrics_and_none_for_the_rest(equity):
    perf = performance(equity)
    assert isinstance(perf, Performance)
    assert set(perf.metrics) >= AGREED and list(perf.metrics) == list(METRIC_KEYS)
    m = perf.metrics
    rets = simple_returns(equity).to_numpy()
    assert m["sharpe"] == pytest.approx(ep.sharpe_ratio(rets, annualization=ANN), rel=1e-9)
    assert m["max_drawdown"] == pytest.approx(ep.max_drawdown(rets), rel=1e-9)
    assert m["start"] == "2021-01-04" and m["end"] == str(equity.index[-1].date())
    assert m["n_bars"] == 500 and m["final_equity"] == equity.iloc[-1]
    peak = perf.drawdowns.iloc[0]
    assert m["max_drawdown_peak"] == str(peak["peak"].date())
    assert m["max_drawdown_days"] == peak["duration_days"]
    for key in ("win_rate", "turnover", "exposure", "beta", "alpha", "information_ratio"):
        assert m[key] is None
    assert any("no benchmark" in n for n in perf.notes)
    assert any("no trades" in n for n in perf.notes)
    assert any("no positions" in n for n in perf.notes)
    assert perf.round_trips.empty and perf.open_lots.empty
    pd.testing.assert_frame_equal(perf.drawdowns, drawdown_periods(equity, top=5))
    assert perf.yearly.index.tolist() == [2021, 2022]
    json.dumps(perf.to_dict())


def test_to_frame_and_to_dict(equity):
    perf = performance(equity)
    frame = perf.to_frame()
    assert frame.index.tolist() == list(METRIC_KEYS) and frame.columns.tolist() == ["value"]
    assert perf.to_dict() == perf.metrics and perf.to_dict() is not perf.metrics


def test_a_duck_typed_result_supplies_benchmark_trades_and_positions(benchmark):
    bench = pd.Series([3000.0, 3030.0, 2990.0, 3050.0, 3040.0], DATES)
    result = SimpleNamespace(equity=EQUITY, benchmark=bench, trades=TRADES, positions=POSITIONS)
    perf = performance(result, risk_free=0.02, var_level=0.9)
    m = perf.metrics
    assert m["n_round_trips"] == 3 and m["win_rate"] == pytest.approx(2 / 3)
    assert m["avg_holding_days"] == pytest.approx(8 / 3)
    assert m["exposure"] == pytest.approx(np.mean([0.1, 50_500 / 101_000, 0, 0.5, 0]))
    assert m["time_in_market"] == pytest.approx(0.6)
    assert m["turnover"] == pytest.approx(39_900 / EQUITY.mean() * 242 / 5)
    assert m["beta"] is not None and m["tracking_error"] is not None
    assert len(perf.round_trips) == 3 and len(perf.open_lots) == 1
    assert any("1 open lot" in n for n in perf.notes)
    # explicit arguments win over the result's own
    assert performance(result, trades=TRADES.iloc[:0]).metrics["n_round_trips"] == 0


def test_a_backtest_result_without_an_event_log_notes_what_is_missing():
    result = BacktestResult(EQUITY, identity=RunIdentity())
    perf = performance(result)
    assert perf.metrics["n_round_trips"] is None and perf.metrics["exposure"] is None
    assert any("trades: not available" in n for n in perf.notes)
    assert any("positions: not available" in n for n in perf.notes)
    full = BacktestResult(EQUITY, identity=RunIdentity(), trades=TRADES, positions=POSITIONS)
    assert performance(full).metrics["n_round_trips"] == 3


def test_backtest_result_metrics_agree_with_performance(equity):
    perf = performance(equity)
    legacy = BacktestResult(
        equity, identity=RunIdentity(), trades=TRADES.iloc[:0], orders=pd.DataFrame({"status": []})
    ).metrics()
    for key in ("total_return", "annual_return", "sharpe", "sortino", "calmar", "var", "cvar"):
        assert legacy[key] == pytest.approx(perf.metrics[key], rel=1e-12)


def test_benchmark_alignment_is_noted(equity, benchmark):
    perf = performance(equity, benchmark=benchmark.iloc[50:])
    assert any("dropped 50 equity dates" in n for n in perf.notes)
    with pytest.raises(DataValidationError, match="share 0 dates"):
        performance(equity, benchmark=benchmark.set_axis(benchmark.index + pd.Timedelta("3650D")))


def test_flat_equity_reports_none_for_undefined_ratios():
    flat = pd.Series(1e6, index=pd.bdate_range("2024-01-01", periods=30))
    perf = performance(flat)
    m = perf.metrics
    assert m["volatility"] == 0 and m["max_drawdown"] == 0 and m["total_return"] == 0
    assert m["sharpe"] is None and m["sortino"] is None and m["calmar"] is None
    assert m["max_drawdown_peak"] is None and m["max_drawdown_days"] is None
    assert any(n.startswith("sharpe is None") for n in perf.notes)
    assert perf.drawdowns.empty


def test_a_single_point_is_a_documented_none_not_an_error():
    one = pd.Series([1e6], index=pd.DatetimeIndex(["2024-01-02"]))
    m = performance(one).metrics
    assert m["total_return"] == 0 and m["n_bars"] == 1
    assert m["annual_return"] is None and m["volatility"] is None and m["var"] is None


def test_undated_equity_has_positions_for_dates_and_no_calendar_tables():
    perf = performance(np.array([100.0, 90.0, 95.0, 101.0]))
    assert perf.metrics["start"] == 0 and perf.metrics["end"] == 3
    assert perf.metrics["max_drawdown_peak"] == 0 and perf.metrics["max_drawdown_recovery"] == 3
    assert perf.monthly.empty and perf.yearly.empty
    assert any("no dates" in n for n in perf.notes)


@pytest.mark.parametrize(
    ("equity", "problem"),
    [
        (pd.Series([], dtype=float), "empty"),
        (pd.Series([np.nan, np.nan]), "all NaN"),
        (pd.Series([1.0, -1.0]), "positive"),
        (pd.Series([1.0, 2.0], index=pd.DatetimeIndex(["2024-01-03", "2024-01-02"])), "sorted"),
        (pd.Series([1.0, 2.0], index=pd.DatetimeIndex(["2024-01-02"] * 2)), "duplicate"),
    ],
)
def test_bad_equity_is_refused(equity, problem):
    with pytest.raises(DataValidationError, match=problem):
        performance(equity)


def test_an_object_without_equity_is_refused():
    with pytest.raises(ConfigError, match="equity attribute"):
        performance(SimpleNamespace(trades=TRADES))


def test_the_results_corporate_actions_reach_the_round_trips():
    trades = TRADES.iloc[[0, 3]].assign(quantity=[1000.0, 2000.0])
    bonus = pd.DataFrame({"time": [DATES[2]], "symbol": ["600000.SH"], "quantity": [1000.0]})
    result = SimpleNamespace(
        equity=EQUITY, benchmark=None, trades=trades, positions=None, corporate_actions=bonus
    )
    perf = performance(result)
    assert perf.metrics["n_round_trips"] == 1 and not any("no earlier buy" in n for n in perf.notes)
    assert any("no earlier buy" in n for n in performance(EQUITY, trades=trades).notes)
