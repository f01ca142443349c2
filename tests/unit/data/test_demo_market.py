"""The demo market looks like the A-share market where code depends on it."""

import datetime as dt

import numpy as np
import pytest

from quantlib.core.errors import ConfigError
from quantlib.data.derive import limit_bands, listing_rules
from quantlib.data.sources.demo import INDEX_SYMBOL, DemoSource
from quantlib.market.boards import Board


@pytest.fixture(scope="module")
def market() -> DemoSource:
    return DemoSource(seed=3, n_symbols=600, start="2018-01-02", minute_symbols=5)


@pytest.fixture(scope="module")
def panel(market):
    days = market.trading_days(market.start, market.calendar.offset(market.start, 1999))
    return market.daily_panel(days, market.universe.symbols)


def test_same_seed_gives_the_same_market_and_another_seed_does_not():
    a, b, c = (
        DemoSource(seed=1, n_symbols=50),
        DemoSource(seed=1, n_symbols=50),
        DemoSource(seed=2, n_symbols=50),
    )
    days = a.trading_days(a.start, a.calendar.offset(a.start, 30))
    assert np.array_equal(
        a.daily_panel(days, a.universe.symbols).fields["close"],
        b.daily_panel(days, b.universe.symbols).fields["close"],
        equal_nan=True,
    )
    assert not np.array_equal(a.universe.symbols, c.universe.symbols)


def test_market_is_prefix_stable():
    short, long = DemoSource(seed=5, n_symbols=80), DemoSource(seed=5, n_symbols=80)
    days = short.trading_days(short.start, short.calendar.offset(short.start, 99))
    first = short.daily_panel(days[:60], short.universe.symbols).fields["close"]
    whole = long.daily_panel(days, long.universe.symbols).fields["close"]
    assert np.array_equal(first, whole[:60], equal_nan=True)


def test_every_board_and_the_index_are_present(market):
    frame = market.instruments()
    boards = {Board.MAIN, Board.CHINEXT, Board.STAR, Board.BSE}
    from quantlib.market.boards import board_of

    seen = {board_of(s) for s in frame.loc[frame.kind == "stock", "symbol"]}
    assert seen == boards
    assert INDEX_SYMBOL in set(frame.symbol)


def test_prices_stay_inside_each_days_limit_band(market, panel):
    f = panel.fields
    u = market.universe
    st = (u.st_start[None, :] <= market.start_pos + np.arange(len(panel.days))[:, None]) & (
        market.start_pos + np.arange(len(panel.days))[:, None] <= u.st_end[None, :]
    )
    rules = listing_rules(
        u.boards,
        np.where(u.list_pos < 0, market.calendar.days[0], market._date_at(u.list_pos)),
        market.calendar,
    )
    up, down = limit_bands(f["preclose"], st.astype(np.int8), panel.days, rules, market.calendar)
    traded = np.isfinite(f["close"]) & np.isfinite(up)
    assert (f["high"][traded] <= up[traded] + 1e-9).all()
    assert (f["low"][traded] >= down[traded] - 1e-9).all()
    at_up = traded & (np.abs(f["close"] - up) < 1e-9)
    one_price = at_up & (f["open"] == f["high"]) & (f["low"] == f["close"])
    assert at_up.sum() > 100 and one_price.sum() > 20
    assert (traded & (np.abs(f["close"] - down) < 1e-9)).sum() > 30


def test_prices_stay_in_a_realistic_range(panel):
    close = panel.fields["close"][:, :-1]
    traded = np.isfinite(close)
    assert np.quantile(close[traded], 0.01) > 1.0
    assert np.quantile(close[traded], 0.99) < 500


def test_ohlc_are_consistent_and_on_the_fen_grid(panel):
    f = panel.fields
    traded = np.isfinite(f["close"])
    for name in ("open", "high", "low", "close"):
        values = f[name][traded]
        assert np.allclose(values * 100, np.rint(values * 100))
    assert (f["high"][traded] >= np.maximum(f["open"], f["close"])[traded]).all()
    assert (f["low"][traded] <= np.minimum(f["open"], f["close"])[traded]).all()
    assert (f["volume"][traded] % 100 == 0).all() and (f["volume"][traded] > 0).all()


def test_suspensions_ipos_delistings_and_st_names_occur(market, panel):
    u = market.universe
    listed_before = u.list_pos <= market.start_pos
    stocks = u.kinds == "stock"
    suspended = (~np.isfinite(panel.fields["close"])) & np.isfinite(panel.fields["preclose"])
    assert suspended[:, stocks].sum() > 200
    assert ((u.list_pos > market.start_pos) & stocks).sum() > 50
    assert (u.delist_pos < market.start_pos + len(panel.days)).sum() >= 3
    assert len(market.st_intervals()) > 10
    assert listed_before.sum() > 300


def test_ipo_days_have_no_limit_and_jump(market, panel):
    u = market.universe
    row = u.list_pos - market.start_pos
    fresh = np.flatnonzero((row > 0) & (row < len(panel.days)) & (u.boards == Board.STAR.value))
    assert fresh.size > 3
    first_day = (
        panel.fields["close"][row[fresh], fresh] / panel.fields["preclose"][row[fresh], fresh]
    )
    assert (first_day > 1.2).mean() > 0.8  # STAR IPOs trade far above the issue price


def test_dividends_move_the_factor_and_the_reference_price(panel):
    factor = panel.fields["adj_factor"]
    steps = np.isfinite(factor[1:]) & np.isfinite(factor[:-1]) & (factor[1:] > factor[:-1] * 1.001)
    assert steps.sum() > 300
    rows, cols = np.nonzero(steps)
    prev_close = panel.fields["close"][rows, cols]
    reference = panel.fields["preclose"][rows + 1, cols]
    ok = np.isfinite(prev_close)
    assert (reference[ok] < prev_close[ok]).all()


def test_index_tracks_its_members(panel, market):
    index = panel.fields["close"][:, -1]
    assert np.isfinite(index).all()
    assert 3000 < index[0] < 4000
    assert np.isfinite(panel.fields["preclose"][:, -1]).all()


def test_minute_bars_aggregate_to_the_daily_bar(market):
    days = market.trading_days(dt.date(2018, 3, 1), dt.date(2018, 3, 5))
    daily = market.daily_panel(days, market.minute_symbol_list())
    minute = market.minute_panel(days)
    assert minute.shape == (240 * len(days), 5)
    for d in range(len(days)):
        block = slice(240 * d, 240 * (d + 1))
        traded = np.isfinite(daily.fields["close"][d])
        m = {k: v[block][:, traded] for k, v in minute.fields.items()}
        assert np.allclose(m["open"][0], daily.fields["open"][d, traded])
        assert np.allclose(m["close"][-1], daily.fields["close"][d, traded])
        assert np.allclose(m["high"].max(axis=0), daily.fields["high"][d, traded])
        assert np.allclose(m["low"].min(axis=0), daily.fields["low"][d, traded])
        assert np.array_equal(m["volume"].sum(axis=0), daily.fields["volume"][d, traded])


@pytest.mark.parametrize(
    ("options", "fragment"),
    [({"seed": -1}, "seed"), ({"n_symbols": 0}, "n_symbols"), ({"minute_symbols": -2}, "minute")],
)
def test_bad_demo_options_are_refused(options, fragment):
    with pytest.raises(ConfigError, match=fragment):
        DemoSource(**options)
