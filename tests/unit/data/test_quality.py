"""Each quality check finds its problem, and a clean store has none."""

import numpy as np
import pytest

from quantlib.data import check_store, open_store
from quantlib.data.layout import Status
from quantlib.data.quality import (
    check_bars,
    check_calendar,
    check_symbols,
    compare_sources,
)
from tests.unit.data.test_update import FrameSource, demo_of

DAYS = np.arange(np.datetime64("2024-03-01"), np.datetime64("2024-03-07")).astype("datetime64[D]")
SYMBOLS = np.array(["600000.SH", "000001.SZ"], dtype=object)


def clean_bars():
    shape = (len(DAYS), len(SYMBOLS))
    close = 10.0 + np.arange(shape[0])[:, None] * 0.1 + np.arange(shape[1])[None, :]
    return {
        "open": close - 0.05,
        "high": close + 0.1,
        "low": close - 0.1,
        "close": close,
        "volume": np.full(shape, 1000 * (1 + np.arange(shape[0])[:, None]), dtype=np.int64)
        + np.arange(shape[1])[None, :],
        "amount": close * 1000 * (1 + np.arange(shape[0])[:, None]),
        "up_limit": close * 1.1,
        "down_limit": close * 0.9,
        "status": np.full(shape, Status.TRADING, dtype=np.int8),
    }


def checks_of(bars):
    return {f.check for f in check_bars(DAYS, SYMBOLS, bars)}


def test_clean_bars_have_no_findings():
    assert checks_of(clean_bars()) == set()


@pytest.mark.parametrize(
    ("change", "check"),
    [
        (lambda b: b["high"].__setitem__((2, 0), b["close"][2, 0] - 0.5), "ohlc_inconsistent"),
        (lambda b: b["close"].__setitem__((2, 0), np.nan), "missing_price"),
        (lambda b: b["up_limit"].__setitem__((3, 1), b["close"][3, 1] - 0.01), "beyond_limit"),
        (lambda b: b["volume"].__setitem__((1, 1), -5), "negative_volume"),
        (lambda b: b["volume"].__setitem__((1, 1), 0), "zero_volume"),
        (lambda b: b["amount"].__setitem__((4, 0), b["amount"][4, 0] * 3), "vwap_outside_range"),
        (lambda b: b["status"].__setitem__((4, 0), Status.SUSPENDED), "traded_while_suspended"),
    ],
)
def test_each_bar_check_finds_its_problem(change, check):
    bars = clean_bars()
    change(bars)
    assert check in checks_of(bars)


def test_a_feed_repeating_the_same_bar_is_stale():
    bars = clean_bars()
    for name in ("open", "high", "low", "close", "volume", "amount"):
        bars[name][2:5, 1] = bars[name][2, 1]
    found = [f for f in check_bars(DAYS, SYMBOLS, bars) if f.check == "stale_price"]
    assert [(f.symbol, f.date) for f in found] == [("000001.SZ", "2024-03-05")]


def test_calendar_and_symbol_checks():
    expected = DAYS
    findings = check_calendar(DAYS[[0, 1, 3, 3]], expected)
    assert {f.check for f in findings} == {"duplicate_day", "missing_day"}
    assert {
        f.check for f in check_calendar(np.append(DAYS, np.datetime64("2024-03-09", "D")), expected)
    } == {"not_a_trading_day"}
    assert [f.symbol for f in check_symbols(np.array(["A", "B", "A"], dtype=object))] == ["A"]


def test_cross_source_comparison_names_the_differences():
    ours = {"close": np.array([[10.0, 5.0]]), "volume": np.array([[100, 200]])}
    theirs = {"close": np.array([[10.01, np.nan]]), "volume": np.array([[100, 0]])}
    found = {f.check for f in compare_sources(DAYS[:1], SYMBOLS, ours, theirs, "tushare")}
    assert found == {"close_differs", "only_in_store"}


def test_the_demo_store_is_clean_and_agrees_with_a_second_source(demo_store_template):
    assert check_store(demo_store_template).empty
    second = FrameSource(demo_of(demo_store_template))
    assert check_store(demo_store_template, compare=second).empty


def test_a_second_source_with_different_closes_is_reported(demo_store_template):
    class Shifted(FrameSource):
        def daily_bars(self, start, end, symbols=None):
            bars = super().daily_bars(start, end, symbols)
            bars.loc[bars.index[:4], "close"] += 0.05
            return bars

    store = open_store(demo_store_template)
    findings = check_store(
        demo_store_template,
        compare=Shifted(demo_of(demo_store_template)),
        start=store.trading_days()[-5].date(),
    )
    assert set(findings["check"]) == {"close_differs"}
    assert len(findings) == 4
