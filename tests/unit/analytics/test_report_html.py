"""The HTML tearsheet, the comparison report and the Jupyter display, on real backtests
of the demo store; and the bad inputs they must refuse or report on."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from quantlib.analytics.report import (
    ReportError,
    comparison_html,
    report_language,
    summary_html,
    tearsheet_html,
    write_comparison,
    write_tearsheet,
)
from quantlib.backtest import BacktestResult, MarketData, run_backtest
from quantlib.backtest.engine import backtest_metrics
from quantlib.backtest.sweep import grid, run_sweep

DUAL_MA = Path(__file__).resolve().parents[3] / "quantlib" / "backtest" / "examples" / "dual_ma.py"

ZH_HEADINGS = (
    "核心指标",
    "运行信息",
    "净值与基准",
    "回撤（水下曲线）",
    "月度收益",
    "滚动夏普与贝塔",
    "仓位与持仓数",
    "换手率",
    "交易费用",
    "成交记录",
)
EN_HEADINGS = (
    "Headline metrics",
    "Run identity",
    "Equity vs benchmark",
    "Underwater (drawdown)",
    "Monthly returns",
    "Rolling Sharpe and beta",
    "Exposure and positions",
    "Turnover",
    "Fees",
    "Trades",
)


@pytest.fixture(scope="module")
def market(demo_store_template: Path) -> MarketData:
    symbols = ["000001.SZ", "600000.SH", "600519.SH", "300750.SZ"]
    from quantlib.data import open_store

    listed = open_store(demo_store_template).instruments(kind="stock")
    symbols += [s for s in listed.index if s not in symbols][:8]
    return MarketData.from_store(demo_store_template, symbols, benchmark="000300.SH")


@pytest.fixture(scope="module")
def runs(market: MarketData) -> list[BacktestResult]:
    return [
        run_backtest(DUAL_MA, market, params={"fast": 5, "slow": 20}),
        run_backtest(DUAL_MA, market, params={"fast": 10, "slow": 40}),
    ]


@pytest.fixture
def no_language_setting(monkeypatch):
    monkeypatch.delenv("QUANTLIB_REPORT_LANG", raising=False)
    monkeypatch.delenv("QUANTLIB_LANG", raising=False)


def _headings(html: str) -> list[str]:
    return re.findall(r"<h2>(.*?)</h2>", html)


def _in_charts(text: str, html: str) -> bool:
    """Whether ``text`` is in the page, also as escaped in bokeh's JSON."""
    escaped = json.dumps(text)[1:-1]
    return any(form in html for form in (text, escaped, escaped.replace("\\", "\\\\")))


def assert_self_contained(html: str) -> None:
    """No script, stylesheet or image is fetched: bokeh's JavaScript is in the file."""
    assert not re.search(r"<script[^>]+src=", html, re.I)
    assert not re.search(r"<link[^>]+href=[\"']?https?:", html, re.I)
    assert not re.search(r"<img[^>]+src=[\"']?https?:", html, re.I)
    assert "cdn.bokeh.org/bokeh/release" not in re.sub(r"<script.*?</script>", "", html, flags=re.S)
    assert "Bokeh" in html and len(html) > 500_000  # the inlined bokeh bundle


def test_tearsheet_is_one_offline_file_with_every_section_in_chinese_by_default(
    runs, no_language_setting, tmp_path
):
    result = runs[0]
    path = result.report(tmp_path / "out" / "tearsheet.html")
    html = path.read_text(encoding="utf-8")
    assert_self_contained(html)
    assert '<html lang="zh-CN">' in html
    assert list(ZH_HEADINGS) == [h for h in _headings(html) if h in ZH_HEADINGS]
    for section in (
        "summary",
        "identity",
        "equity",
        "drawdown",
        "monthly",
        "rolling",
        "exposure",
        "turnover",
        "fees",
        "trades",
    ):
        assert f'<section id="{section}"' in html
    assert _in_charts("对数坐标", html) and _in_charts("线性坐标", html)  # the scale tabs
    assert ">nan<" not in html.lower()


def test_english_by_argument_or_setting(runs, monkeypatch):
    html = tearsheet_html(runs[0], language="en")
    assert [h for h in _headings(html) if h in EN_HEADINGS] == list(EN_HEADINGS)
    assert not any("\u4e00" <= ch <= "\u9fff" for h in _headings(html) for ch in h)
    monkeypatch.setenv("QUANTLIB_LANG", "en")
    assert report_language() == "en"
    monkeypatch.setenv("QUANTLIB_REPORT_LANG", "zh")
    assert report_language() == "zh"
    with pytest.raises(ReportError, match="zh"):
        report_language("fr")


def test_identity_fees_and_trade_list_carry_the_runs_numbers(runs):
    result = runs[0]
    html = tearsheet_html(result, language="en")
    ident = result.identity
    assert ident.code_hash[:16] in html
    assert "fast=5, slow=20" in html
    assert f"{ident.start} → {ident.end}" in html
    assert str(ident.snapshot) in html
    fees = result.fees()
    for kind, label in (
        ("commission", "Commission"),
        ("stamp_duty", "Stamp duty"),
        ("transfer_fee", "Transfer fee"),
    ):
        assert fees[kind] > 0
        assert re.search(rf"<th>{label}</th><td>{fees[kind]:,.2f}</td>", html)
    data = json.loads(re.search(r"class='trade-data'>(.*?)</script>", html, re.S).group(1))
    assert len(data["rows"]) == len(result.trades)
    first = result.trades.iloc[0]
    assert data["rows"][0][:3] == [str(first["time"].date()), first["symbol"], first["side"]]
    assert "data-filter='symbol'" in html and "data-filter='side'" in html


def test_print_layout_shortens_the_trade_list_and_drops_the_tools(runs):
    base = runs[0]
    trades = pd.concat([base.trades, base.trades], ignore_index=True).sort_values("time")
    many = BacktestResult(
        base.equity,
        identity=base.identity,
        trades=trades,
        orders=base.orders,
        positions=base.positions,
        benchmark=base.benchmark,
    )
    html = tearsheet_html(many, language="en", for_print=True)
    assert '<body class="print"' in html
    assert "data-filter" not in html
    assert f"The first 100 of {len(trades)} trades are listed" in html
    assert html.count("<tr>") < 100 + 60


def test_log_scale_opens_the_log_tab_on_screen_and_prints_it(runs):
    screen = tearsheet_html(runs[0], language="en", log_scale=True)
    assert '"active":1' in screen.replace(" ", "")
    printed = tearsheet_html(runs[0], language="en", for_print=True, log_scale=True)
    assert _in_charts("Equity vs benchmark · Log", printed)
    assert not _in_charts("Equity vs benchmark · Linear", printed)


def test_repr_html_shows_headline_metrics_and_a_sparkline_without_scripts(
    runs, no_language_setting
):
    html = runs[0]._repr_html_()
    assert "<svg" in html and "<polyline" in html and "<script" not in html
    total = runs[0].equity.iloc[-1] / runs[0].equity.iloc[0] - 1
    assert f"{total:.2%}" in html
    assert "总收益率" in html and "夏普比率" in html
    assert "Sharpe ratio" in summary_html(runs[0], language="en")


def test_saved_and_loaded_result_reports_the_same_numbers(runs, tmp_path):
    loaded = BacktestResult.load(runs[0].save(tmp_path / "run"))
    one = re.search(r"<table class='metrics'>.*?</table>", tearsheet_html(runs[0])).group(0)
    two = re.search(r"<table class='metrics'>.*?</table>", tearsheet_html(loaded)).group(0)
    assert one == two


# -- comparison ------------------------------------------------------------------------


def test_comparison_of_two_runs_marks_differences(runs, tmp_path):
    path = write_comparison(tmp_path / "compare.html", runs, language="en")
    html = path.read_text(encoding="utf-8")
    assert_self_contained(html)
    assert _headings(html) == ["Metrics side by side", "Equity curves", "Parameters"]
    assert "dual_ma fast=5,slow=20" in html and "dual_ma fast=10,slow=40" in html
    a, b = (r.equity.iloc[-1] / r.equity.iloc[0] - 1 for r in runs)
    kind = "better" if b > a else "worse"
    assert re.search(rf"<td class='{kind}'>{b:.2%} <small>\({b - a:+.2%}\)</small></td>", html)
    assert html.count("<tr class='differs'>") == 2  # fast and slow differ; the code does not
    zh = comparison_html({"快": runs[0], "慢": runs[1]})
    assert "指标对比" in zh and "净值曲线对比" in zh and ">快" in zh


@pytest.fixture(scope="module")
def sweep_table(market: MarketData) -> pd.DataFrame:
    from quantlib.backtest.config import BacktestConfig

    params = grid({"fast": [5, 10, 20], "slow": [20, 40]})
    shared = {
        "source": DUAL_MA.read_text(),
        "name": "dual_ma",
        "data": market,
        "config": BacktestConfig(),
    }
    return run_sweep(backtest_metrics, params, shared=shared, progress=False)


def test_sweep_comparison_has_the_top_sets_and_a_parameter_heatmap(sweep_table, runs, tmp_path):
    # fast=20, slow=20 is refused by the strategy: its row fails and is left out
    assert sweep_table.attrs["n_failed"] == 1
    html = write_comparison(
        tmp_path / "sweep.html", sweep=sweep_table, metric="sharpe", top=3, language="en"
    ).read_text(encoding="utf-8")
    assert_self_contained(html)
    assert _headings(html)[-2:] == ["Top parameter sets", "Parameter heatmap"]
    assert "1 parameter sets failed and are left out." in html
    assert "Top 3 of 5 parameter sets by Sharpe ratio" in html
    best = sweep_table.dropna(subset=["sharpe"]).sort_values("sharpe", ascending=False).iloc[0]
    rows = re.findall(r"<tr><th>(\d+)</th><td>(\d+)</td>", html)
    assert rows[0] == (str(best["fast"]), str(best["slow"]))
    assert "Sharpe ratio by fast and slow" in html
    both = comparison_html(runs, sweep=sweep_table, language="zh")
    assert {"指标对比", "最优参数组合", "参数热力图"} <= set(_headings(both))


def test_sweep_with_one_parameter_draws_bars(sweep_table):
    one = sweep_table[sweep_table["slow"] == 40].drop(columns=["slow"])
    one.attrs = {}
    html = comparison_html(sweep=one.drop(columns=["error"]), language="en")
    assert "Sharpe ratio by fast" in html


# -- bad input -----------------------------------------------------------------------------


def _result(equity: pd.Series, runs, **changes) -> BacktestResult:
    base = runs[0]
    return BacktestResult(
        equity,
        identity=base.identity,
        trades=changes.get("trades", base.trades.iloc[:0]),
        orders=base.orders.iloc[:0],
        benchmark=changes.get("benchmark"),
        positions=changes.get("positions", base.positions.iloc[:0]),
    )


def test_empty_result_is_a_clear_error(runs, tmp_path):
    empty = _result(pd.Series([], dtype=float, index=pd.DatetimeIndex([])), runs)
    with pytest.raises(ReportError, match="no equity curve"):
        write_tearsheet(empty, tmp_path / "empty.html")
    assert not (tmp_path / "empty.html").exists()
    assert "no equity curve" in summary_html(empty, language="en")
    all_nan = _result(pd.Series(np.nan, index=pd.bdate_range("2024-01-01", periods=5)), runs)
    with pytest.raises(ReportError, match="valid values"):
        tearsheet_html(all_nan)


def test_nans_in_equity_are_stated_and_never_printed(runs):
    equity = runs[0].equity.copy()
    equity.iloc[[0, 1, 50, 51]] = np.nan
    result = _result(equity, runs, benchmark=runs[0].benchmark)
    html = tearsheet_html(result, language="en")
    assert "The equity curve has 4 missing values" in html
    assert ">nan<" not in html.lower() and "NaN" not in re.sub(
        r"<script.*?</script>", "", html, flags=re.S
    )
    for name in ("Total return", "Sharpe ratio", "Max drawdown", "Beta"):
        assert re.search(rf"<(th|b)>{name}</\1>(</th>)?<td class='num'>-?[0-9]", html), name


def test_mismatched_benchmark_dates_are_stated(runs):
    equity = runs[0].equity
    shifted = runs[0].benchmark.iloc[100:]
    html = tearsheet_html(_result(equity, runs, benchmark=shifted), language="en")
    assert f"The benchmark covers {len(equity) - 100} of {len(equity)} bars" in html
    later = shifted.copy()
    later.index = later.index + pd.DateOffset(years=5)
    html = tearsheet_html(_result(equity, runs, benchmark=later), language="en")
    assert "The benchmark shares no dates with the equity curve" in html
    assert "Tracking error" not in html
    with pytest.raises(ReportError, match="benchmark"):
        tearsheet_html(_result(equity, runs, benchmark=pd.Series([1.0, 2.0])))


def test_no_trades_and_no_benchmark_give_a_report_that_says_so(runs):
    html = tearsheet_html(_result(runs[0].equity, runs), language="en")
    assert "No trades: the trade list and fees are empty." in html
    assert "No benchmark:" in html
    assert "No positions recorded" in html


def test_unwritable_paths_and_unknown_formats_are_clear_errors(runs, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(ReportError, match="cannot create the folder"):
        runs[0].report(blocker / "report.html")
    with pytest.raises(ReportError, match="is a directory"):
        runs[0].report(tmp_path, format="html")
    with pytest.raises(ReportError, match=r"\.html or \.pdf"):
        runs[0].report(tmp_path / "report.docx")


def test_comparison_needs_two_runs_and_known_columns(runs, sweep_table):
    with pytest.raises(ReportError, match="at least two runs"):
        comparison_html(runs[:1])
    with pytest.raises(ReportError, match="no metric column 'calmarish'"):
        comparison_html(sweep=sweep_table, metric="calmarish")
    with pytest.raises(ReportError, match="no parameter column 'lookback'"):
        comparison_html(sweep=sweep_table, heatmap=("fast", "lookback"))
    with pytest.raises(ReportError, match="names for"):
        comparison_html(runs, names=["only one"])
    renamed = replace(runs[1].identity, code_hash="0" * 64)
    other = BacktestResult(
        runs[1].equity,
        identity=renamed,
        trades=runs[1].trades,
        orders=runs[1].orders,
        positions=runs[1].positions,
    )
    html = comparison_html([runs[0], other], language="en")
    assert html.count("<tr class='differs'>") == 3
