"""Book-keeping invariants of the vectorised backtester on random small markets.

Markets are random walks on the 0.01 tick inside +-10% limit bands (opens and closes
often at the limits), with random suspensions, volumes and bonus-share steps. Whatever
the targets or signals, the books must balance: equity is cash plus holdings at the
last close, cash is the start cash plus the trades' cash flows and never negative,
fees are never negative, holdings never go short, and nothing bought today is sold
today (T+1). Every fill respects the limit band, the lot grid and suspensions.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quantlib.backtest.config import BacktestConfig
from quantlib.backtest.market_data import MarketData
from quantlib.backtest.result import BacktestResult
from quantlib.backtest.vectorised import run_signals, run_targets

from .conftest import CHINEXT, MAIN, MAIN_SZ, STAR

POOL = (MAIN, MAIN_SZ, CHINEXT, STAR)
STARTS = ("2022-04-26", "2023-08-23", "2024-01-02")
FEES = ["commission", "stamp_duty", "transfer_fee", "exchange_fees"]
PROPERTY = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def half_up_fen(fen_x10: int) -> int:
    """Round a price given in tenths of a fen to whole fen, half up."""
    return (fen_x10 + 5) // 10


@dataclass
class Market:
    data: MarketData
    frames: dict[str, pd.DataFrame]


@st.composite
def markets(draw: st.DrawFn) -> Market:
    """1-3 symbols x 2-8 days; prices in fen, limits = prev close x 1.1 / 0.9 half up."""
    n_syms = draw(st.integers(1, 3))
    symbols = draw(st.permutations(POOL))[:n_syms]
    n_days = draw(st.integers(2, 8))
    index = pd.bdate_range(draw(st.sampled_from(STARTS)), periods=n_days)
    shape = (n_days, n_syms)
    o, h, lo, c, up, dn, vol = (np.full(shape, np.nan) for _ in range(7))
    suspended = np.zeros(shape, dtype=bool)
    factor = np.ones(shape)
    for j in range(n_syms):
        prev = draw(st.integers(300, 6000))  # fen
        f = 1.0
        for t in range(n_days):
            top, bottom = half_up_fen(prev * 11), half_up_fen(prev * 9)
            up[t, j], dn[t, j] = top / 100, bottom / 100
            if t > 0 and draw(st.integers(0, 5)) == 0:
                suspended[t, j] = True
                factor[t, j] = f
                continue
            if t > 0 and draw(st.integers(0, 7)) == 0:
                f = f * draw(st.sampled_from([1.1, 1.2, 1.05, 1.0333]))
            factor[t, j] = f
            price = st.one_of(st.just(top), st.just(bottom), st.integers(bottom, top))
            op, cl = draw(price), draw(price)
            hi = min(top, max(op, cl) + draw(st.integers(0, 30)))
            low = max(bottom, min(op, cl) - draw(st.integers(0, 30)))
            o[t, j], c[t, j], h[t, j], lo[t, j] = op / 100, cl / 100, hi / 100, low / 100
            vol[t, j] = draw(st.sampled_from([0, 150, 1_000, 25_000, 10**7]))
            prev = cl
    frame = lambda a: pd.DataFrame(a, index=index, columns=list(symbols))  # noqa: E731
    frames = {
        "open": frame(o),
        "high": frame(h),
        "low": frame(lo),
        "close": frame(c),
        "up_limit": frame(up),
        "down_limit": frame(dn),
        "volume": frame(np.nan_to_num(vol)),
        "suspended": frame(suspended),
        "adj_factor": frame(factor),
    }
    return Market(MarketData.from_frames(frames), frames)


configs = st.builds(
    BacktestConfig,
    cash=st.sampled_from([20_000.0, 100_000.0, 1_000_000.0]),
    fill=st.sampled_from(["next_open", "close", "vwap"]),
    limit_rule=st.sampled_from(["block", "traded_away"]),
    slippage_ticks=st.integers(0, 3),
    slippage_bps=st.sampled_from([0.0, 5.0, 30.0]),
    participation=st.sampled_from([0.0, 0.0, 0.1, 0.5]),
    round_fees=st.booleans(),
    min_commission=st.sampled_from([5.0, 0.0]),
    commission_includes_exchange_fees=st.booleans(),
    benchmark=st.just(None),
)

WEIGHT = st.one_of(
    st.just(np.nan), st.sampled_from([0.0, 0.1, 0.5, 1.0]), st.floats(0.0, 1.0, width=32)
)
SIGNAL = st.sampled_from([np.nan, 0.0, 1.0, 1.0])


def table(draw: st.DrawFn, md: MarketData, cell: st.SearchStrategy[float]) -> np.ndarray:
    shape = (len(md.times), len(md.symbols))
    values = draw(st.lists(cell, min_size=shape[0] * shape[1], max_size=shape[0] * shape[1]))
    return np.asarray(values, dtype=np.float64).reshape(shape)


# -- the books, rebuilt from the result's own tables --------------------------------------
def close_enough(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-6 + 1e-9 * max(abs(a), abs(b))


def check_books(market: Market, result: BacktestResult, config: BacktestConfig, sleeves: bool):
    md = market.data
    n_bars, n_syms = len(md.times), len(md.symbols)
    trades, corporate = result.trades, result.corporate_actions
    n_cash = n_syms if sleeves else 1
    cash = np.full(n_cash, config.cash / n_cash)
    shares = np.zeros(n_syms)
    marks = md.marks
    frames = market.frames
    tick_fills = config.fill != "vwap"

    # fees and fills, row by row
    assert (trades[FEES] >= 0).all(axis=None), trades[FEES]
    assert (trades["quantity"] > 0).all() and (trades["price"] > 0).all()
    if config.commission_includes_exchange_fees:
        assert (trades["exchange_fees"] == 0).all()

    equity = result.equity.to_numpy()
    by_bar = trades.groupby("bar")
    corp_by_bar = corporate.groupby("bar") if not corporate.empty else None
    for t in range(n_bars):
        # corporate actions at the start of the day
        if corp_by_bar is not None and t in corp_by_bar.groups:
            for row in corp_by_bar.get_group(t).itertuples():
                assert shares[row.sym] > 0
                shares[row.sym] += row.quantity
                cash[row.sym if sleeves else 0] += row.cash
        sellable = shares.copy()  # T+1: only what was held before today
        sold = np.zeros(n_syms)
        if t in by_bar.groups:
            for row in by_bar.get_group(t).itertuples():
                i, s = row.sym, (row.sym if sleeves else 0)
                symbol = md.symbols[i]
                assert not frames["suspended"].iloc[t, i], f"fill on a suspended bar {row}"
                fees = row.commission + row.stamp_duty + row.transfer_fee + row.exchange_fees
                assert close_enough(row.value, row.quantity * row.price)
                if row.side == "buy":
                    assert row.price <= md.up_limit[t, i] + 1e-9
                    rule_min = 200 if symbol.startswith("688") else 100
                    step = 1 if symbol.startswith("688") else 100
                    assert row.quantity >= rule_min and (row.quantity - rule_min) % step == 0
                    assert row.stamp_duty == 0.0
                    cash[s] -= row.value + fees
                    shares[i] += row.quantity
                else:
                    assert row.price >= md.down_limit[t, i] - 1e-9
                    sold[i] += row.quantity
                    assert sold[i] <= sellable[i], f"T+1 broken at bar {t}: {row}"
                    cash[s] += row.value - fees
                    shares[i] -= row.quantity
                if tick_fills:
                    assert abs(row.price * 100 - round(row.price * 100)) < 1e-6, row.price
                if config.slippage_ticks == 0 and config.slippage_bps == 0 and tick_fills:
                    assert md.low[t, i] - 1e-9 <= row.price <= md.high[t, i] + 1e-9
                assert cash[s] >= -1e-6, f"cash below zero after {row}"
                assert shares[i] >= 0
        # the day's close: equity is cash plus holdings at the last close
        held = shares != 0
        value = float(np.sum(shares[held] * marks[t, held]))
        assert close_enough(equity[t], cash.sum() + value), (t, equity[t], cash, shares)
        if result.cash is not None:
            assert close_enough(result.cash.iloc[t], cash[0])
    # the positions table agrees with the rebuilt holdings and the equity
    positions = result.positions
    last = positions[positions["time"] == md.times[-1]].set_index("symbol")["shares"]
    for i, symbol in enumerate(md.symbols):
        assert last.get(symbol, 0.0) == shares[i]
    if result.cash is not None:
        invested = positions.groupby("time")["value"].sum().reindex(md.times, fill_value=0.0)
        gap = (result.equity - result.cash - invested).abs()
        assert (gap <= 1e-6 + 1e-9 * result.equity.abs()).all(), gap


@PROPERTY
@given(market=markets(), config=configs, data=st.data())
def test_target_weights_keep_the_books_balanced(market, config, data):
    targets = table(data.draw, market.data, WEIGHT)
    result = run_targets(market.data, targets, config=config)
    check_books(market, result, config, sleeves=False)


@PROPERTY
@given(market=markets(), config=configs, data=st.data())
def test_signals_keep_the_books_balanced(market, config, data):
    signal = table(data.draw, market.data, SIGNAL)
    size = data.draw(st.sampled_from([1.0, 0.5, 0.3]))
    sleeves = data.draw(st.booleans())
    config = config.model_copy(update={"cash_sharing": not sleeves})
    result = run_signals(market.data, signal, size=size, config=config)
    check_books(market, result, config, sleeves=sleeves)
    if sleeves and config.participation == 0:
        # uncapped, a sleeve enters whole and exits whole: buys and sells alternate
        for _, fills in result.trades.groupby("sym"):
            sides = list(fills["side"])
            assert all(a != b for a, b in itertools.pairwise(sides)), sides


@PROPERTY
@given(market=markets(), data=st.data())
def test_refusals_only_where_the_rules_say(market, data):
    """Every refused order of a long/flat sleeve has a reason the bar explains."""
    md = market.data
    signal = table(data.draw, md, SIGNAL)
    rule = data.draw(st.sampled_from(["block", "traded_away"]))
    config = BacktestConfig(cash=300_000.0, cash_sharing=False, limit_rule=rule, benchmark=None)
    result = run_signals(md, signal, config=config)
    rejected = result.orders[result.orders["status"] == "rejected"]
    pos = {s: i for i, s in enumerate(md.symbols)}
    for row in rejected.itertuples():
        t, i = md.times.get_loc(row.time), pos[row.symbol]
        o, up, dn = md.open[t, i], md.up_limit[t, i], md.down_limit[t, i]
        reason = int(row.reason)
        if reason == 1:  # suspended
            assert np.isnan(o)
        elif reason == 2:  # limit up: open at the limit, and not traded away from it
            assert row.side == "buy" and o >= up
            assert rule == "block" or md.low[t, i] >= up
        elif reason == 3:
            assert row.side == "sell" and o <= dn
            assert rule == "block" or md.high[t, i] <= dn
        else:  # a sleeve of 100,000+ always affords one lot of these prices
            raise AssertionError(f"unexpected refusal {row}")
    # and the fills happened on bars that allowed them
    for row in result.trades.itertuples():
        o = md.open[row.bar, row.sym]
        if rule == "block":
            assert (o < md.up_limit[row.bar, row.sym]) if row.side == "buy" else True
            assert (o > md.down_limit[row.bar, row.sym]) if row.side == "sell" else True


@pytest.mark.parametrize("seed", range(3))
def test_an_empty_instruction_table_never_trades(seed):
    rng = np.random.default_rng(seed)
    n = 5
    close = np.round(10 + rng.integers(-50, 50, size=(n, 2)) / 100, 2)
    index = pd.bdate_range("2024-01-02", periods=n)
    frames = {k: pd.DataFrame(close, index=index, columns=[MAIN, STAR]) for k in ("open", "close")}
    md = MarketData.from_frames(frames)
    result = run_targets(md, np.full((n, 2), np.nan), config=BacktestConfig(benchmark=None))
    assert result.trades.empty and result.orders.empty
    assert (result.equity == 1_000_000.0).all()
