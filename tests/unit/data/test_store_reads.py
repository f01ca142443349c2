"""The read API: shapes, adjustment, minute bars, and errors that name the problem."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from quantlib.core.errors import (
    DateError,
    InvalidRangeError,
    MalformedSymbolError,
    NotAStoreError,
    NotATradingDayError,
    StoreError,
    UnknownFieldError,
    UnknownSymbolError,
)
from quantlib.data import open_store
from quantlib.data.layout import Status


@pytest.fixture(scope="module")
def store(demo_store_template):
    return open_store(demo_store_template)


def _stock_with_dividend(store):
    factor = store.panel("adj_factor")
    jumps = (factor.diff() > 1e-9).sum()
    return jumps[jumps > 0].index[0]


def test_bars_return_a_labelled_dataset(store):
    symbols = store.symbols[:3]
    data = store.bars(symbols, "2025-07-01", "2025-07-31")
    assert isinstance(data, xr.Dataset)
    assert list(data.data_vars) == ["open", "high", "low", "close", "volume", "amount"]
    assert data.sizes == {"time": 23, "symbol": 3}
    assert list(data.symbol.values) == symbols
    assert data.attrs["snapshot"] == store.snapshot
    assert data.volume.dtype == np.int64


def test_symbols_in_any_vendor_form_and_order_are_accepted(store):
    stock = next(s for s in store.symbols if s.endswith(".SH") and s.startswith("60"))
    other = next(s for s in store.symbols if s.endswith(".SZ"))
    data = store.bars([other, f"{stock[:6]}.XSHG"], "2025-07-01", "2025-07-03", "close")
    assert list(data.symbol.values) == [other, stock]
    direct = store.bars([stock], "2025-07-01", "2025-07-03", "close")
    assert np.array_equal(
        data["close"].sel(symbol=stock), direct["close"].sel(symbol=stock), equal_nan=True
    )


def test_backward_adjustment_multiplies_by_the_factor(store):
    symbol = _stock_with_dividend(store)
    raw = store.bars(symbol, fields=["close", "adj_factor"])
    hfq = store.bars(symbol, fields=["close"], adjust="hfq")
    expected = raw["close"] * raw.adj_factor
    assert np.allclose(hfq["close"], expected, equal_nan=True)


def test_forward_adjustment_equals_raw_on_the_as_of_day_and_removes_ex_rights_gaps(store):
    symbol = _stock_with_dividend(store)
    raw = store.bars(symbol, fields=["close", "preclose", "adj_factor"])
    qfq = store.bars(symbol, fields=["close", "preclose"], adjust="qfq")
    last = raw["close"].isel(time=-1).item()
    if np.isfinite(last):
        assert qfq["close"].isel(time=-1).item() == pytest.approx(last)
    step = np.flatnonzero(np.diff(raw.adj_factor.values[:, 0]) > 1e-9)[0] + 1
    # across the ex-date the adjusted series moves by the day's real return, not the payout
    real_return = raw["close"].values[step, 0] / raw.preclose.values[step, 0]
    adjusted_return = qfq["close"].values[step, 0] / qfq["close"].values[step - 1, 0]
    if np.isfinite(real_return) and np.isfinite(adjusted_return):
        assert adjusted_return == pytest.approx(real_return, rel=1e-3)


def test_forward_adjustment_as_of_an_earlier_day(store):
    symbol = _stock_with_dividend(store)
    day = store.trading_days()[100].date()
    qfq = store.bars(symbol, "2025-07-01", day, ["close"], adjust="qfq", as_of=day)
    raw = store.bars(symbol, day, day, ["close"])
    assert qfq.attrs["as_of"] == str(day)
    assert qfq["close"].isel(time=-1).item() == pytest.approx(raw["close"].item(), nan_ok=True)


def test_derived_fields_and_pandas_forms(store):
    data = store.bars(store.symbols[:20], fields=["close", "suspended", "vwap", "status"])
    assert data.suspended.dtype == bool
    assert (data.suspended == (data.status == Status.SUSPENDED)).all()
    frame = store.bars(store.symbols[:5], "2025-07-01", "2025-07-10", as_pandas=True)
    assert frame.index.names == ["time", "symbol"]
    wide = store.panel("close", store.symbols[:5], "2025-07-01", "2025-07-10")
    assert wide.shape == (8, 5)
    assert isinstance(wide.index, pd.DatetimeIndex)


def test_cross_section_of_one_day(store):
    day = store.trading_days()[50].date()
    frame = store.cross_section(day, ["close", "up_limit", "down_limit", "status"])
    assert frame.index.name == "symbol" and len(frame) > 100
    traded = frame[frame.status == Status.TRADING]
    assert ((traded.close <= traded.up_limit + 1e-9) | traded.up_limit.isna()).all()


def test_lazy_reads_are_dask_backed_and_equal_eager_ones(store):
    lazy = store.bars(fields=["close"], lazy=True)
    assert lazy["close"].chunks is not None
    eager = store.bars(fields=["close"])
    assert np.array_equal(lazy["close"].values, eager["close"].values, equal_nan=True)


def test_minute_bars_decode_to_yuan_and_match_the_daily_bar(store):
    symbols = store.meta["minute"]["symbols"][:3]
    day = store.end
    minute = store.bars(symbols, day, day, freq="1m", fields="all")
    daily = store.bars(symbols, day, day, ["open", "close", "volume"])
    assert minute.sizes == {"time": 240, "symbol": 3}
    traded = daily.volume.values[0] > 0
    assert np.allclose(minute["close"].values[-1][traded], daily["close"].values[0][traded])
    assert np.array_equal(minute.volume.values.sum(axis=0)[traded], daily.volume.values[0][traded])
    hfq = store.bars(symbols, day, day, freq="1m", fields=["close"], adjust="hfq")
    factor = store.bars(symbols, day, day, ["adj_factor"]).adj_factor.values[0]
    assert np.allclose(
        hfq["close"].values[-1][traded], minute["close"].values[-1][traded] * factor[traded]
    )
    frame = store.bars(symbols, day, day, freq="1m", as_pandas=True)
    assert str(frame.index.get_level_values("time").tz) == "Asia/Shanghai"


def test_instruments_and_calendar(store):
    listed = store.instruments(as_of=store.end, kind="stock")
    assert {"name", "board", "exchange", "list_date"} <= set(listed.columns)
    assert (listed.list_date <= pd.Timestamp(store.end)).all()
    assert len(store.instruments()) >= len(listed)
    assert store.calendar.is_trading_day(store.end)
    assert not store.st_intervals().empty
    assert store.info()["daily"]["days"] == 300


@pytest.mark.parametrize(
    ("call", "error", "fragment"),
    [
        (lambda s: s.bars(["99999.SH"]), MalformedSymbolError, "99999"),
        (lambda s: s.bars(["999999.SH"]), UnknownSymbolError, "999999"),
        (lambda s: s.bars(["600001.SH", "000002.SZ"]), UnknownSymbolError, "not in store"),
        (lambda s: s.bars(fields=["close", "colse"]), UnknownFieldError, "colse"),
        (lambda s: s.bars(freq="5m"), UnknownFieldError, "frequency"),
        (lambda s: s.bars(adjust="front"), UnknownFieldError, "adjustment"),
        (lambda s: s.bars(start="2026-01-05", end="2025-12-31"), InvalidRangeError, "backwards"),
        (lambda s: s.bars(start="2015-01-05"), DateError, "before the store's first day"),
        (lambda s: s.bars(end="2031-01-02"), DateError, "outside the trading calendar"),
        (lambda s: s.bars(start="2025-13-01"), DateError, "2025-13-01"),
        (lambda s: s.cross_section("2025-10-01"), NotATradingDayError, "not a trading day"),
        (
            lambda s: s.bars(
                [x for x in s.symbols if x not in s.meta["minute"]["symbols"]][:1], freq="1m"
            ),
            UnknownSymbolError,
            "no minute bars",
        ),
    ],
)
def test_bad_requests_name_the_problem(store, call, error, fragment):
    with pytest.raises(error, match=fragment):
        call(store)


def test_a_directory_that_is_not_a_store_is_refused(tmp_path):
    with pytest.raises(NotAStoreError, match="does not exist"):
        open_store(tmp_path / "missing")
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(NotAStoreError, match="not a quantlib data store"):
        open_store(tmp_path)


def test_an_empty_store_says_how_to_fill_it(tmp_path):
    from quantlib.data.generations import init_store

    init_store(tmp_path / "empty")
    with pytest.raises(StoreError, match="quantlib data update"):
        open_store(tmp_path / "empty")


def test_repr_and_html_describe_the_snapshot(store):
    assert store.snapshot in repr(store)
    assert "quantlib data store" in store._repr_html_()
    assert dt.date.fromisoformat(store.info()["daily"]["end"]) == store.end
