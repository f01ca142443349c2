"""Hand-computed scenarios of the market rules the backtester applies.

Every expected number is worked out by hand in the test from the public rules:
commission max(5, 0.025% x value) per order, transfer fee 0.001% (0.002% on SH/SZ
before 2022-04-29), stamp duty 0.1% on sells (0.05% from 2023-08-28), lots of 100
(STAR: at least 200, then steps of 1), T+1, limits and suspensions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from quantlib.backtest.market_data import MarketData
from quantlib.backtest.vectorised import run_signals, run_targets
from quantlib.core.errors import ConfigError, UnknownFieldError
from quantlib.model.orders import Reason

from .conftest import MAIN, MAIN_SZ, STAR, config, days, make_frames, make_market, weights

N = None  # no instruction (NaN) in target and signal tables
RATE = 0.00025  # commission rate
TRANSFER = 0.00001  # transfer fee from 2022-04-29


def cent(x: float) -> object:
    """Equal well within a fen (the kernels book exact floats unless round_fees)."""
    return pytest.approx(x, abs=1e-6)


def only_trade(result) -> pd.Series:
    assert len(result.trades) == 1, result.trades
    return result.trades.iloc[0]


def order_rows(result) -> list[tuple[str, str, str, str, int]]:
    """(day, symbol, side, status, reason) of every order."""
    return [
        (str(o.time.date()), o.symbol, o.side, o.status, int(o.reason))
        for o in result.orders.itertuples()
    ]


# -- limit up / limit down ---------------------------------------------------------------
# Day 0 closes at 10.00, so day 1's band is 9.00 .. 11.00; the target (half the equity)
# is decided at day 0's close and fills at day 1's open, which is the up limit.
def _limit_up_market(one_price: bool) -> MarketData:
    if one_price:  # 一字涨停: the whole bar at the limit
        o, h, lo, c = 11.00, 11.00, 11.00, 11.00
    else:  # opens at the limit, trades down to 10.50
        o, h, lo, c = 11.00, 11.00, 10.50, 10.80
    return make_market(
        open=[10.00, o, 11.00],
        high=[10.00, h, 11.00],
        low=[10.00, lo, 10.90],
        close=[10.00, c, 11.00],
        up_limit=[11.00, 11.00, 11.88 if not one_price else 12.10],
        down_limit=[9.00, 9.00, 9.72 if not one_price else 9.90],
    )


@pytest.mark.parametrize("one_price", [False, True])
def test_limit_up_open_blocks_the_buy(one_price):
    md = _limit_up_market(one_price)
    result = run_targets(md, weights([0.5, N, N]), config=config(limit_rule="block"))
    assert result.trades.empty
    assert order_rows(result) == [("2024-01-03", MAIN, "buy", "rejected", Reason.LIMIT_UP)]
    assert result.orders["reason_text"].iloc[0] == Reason.LIMIT_UP.message()
    assert list(result.cash) == [100_000.0] * 3
    assert list(result.equity) == [100_000.0] * 3


def test_limit_up_open_fills_at_the_limit_when_traded_away():
    md = _limit_up_market(one_price=False)
    result = run_targets(md, weights([0.5, N, N]), config=config(limit_rule="traded_away"))
    fill = only_trade(result)
    # budget 0.5 x 100,000 = 50,000 at 11.00 -> 45 lots (45 x 1,100 = 49,500; 46 lots > 50,000)
    assert (fill.side, fill.quantity, fill.price) == ("buy", 4500, 11.00)
    assert fill.value == cent(4500 * 11.00)
    assert fill.commission == cent(0.00025 * 49_500)  # 12.375
    assert fill.transfer_fee == cent(0.00001 * 49_500)  # 0.495
    assert fill.stamp_duty == 0.0
    cash = 100_000 - 49_500 - 12.375 - 0.495  # 50,487.13
    assert result.cash.iloc[1] == cent(50_487.13) == cash
    assert result.equity.iloc[1] == cent(50_487.13 + 4500 * 10.80)  # marked at the close
    assert result.equity.iloc[2] == cent(50_487.13 + 4500 * 11.00)


def test_one_price_limit_up_board_refuses_even_when_traded_away():
    md = _limit_up_market(one_price=True)
    result = run_targets(md, weights([0.5, N, N]), config=config(limit_rule="traded_away"))
    assert result.trades.empty
    assert order_rows(result) == [("2024-01-03", MAIN, "buy", "rejected", Reason.LIMIT_UP)]
    assert result.equity.iloc[-1] == 100_000.0


# Day 1 buys 5,000 at 10.00 (cash 100,000 - 50,000 - 12.5 - 0.5 = 49,987); the target of 0
# decided at day 1's close meets day 2's open at the down limit 9.00.
BUY_5000_CASH = 100_000 - 5000 * 10.00 - 0.00025 * 50_000 - 0.00001 * 50_000  # 49,987.00


def _limit_down_market(one_price: bool) -> MarketData:
    h, c = (9.00, 9.00) if one_price else (9.40, 9.20)
    return make_market(
        open=[10.00, 10.00, 9.00],
        high=[10.00, 10.00, h],
        low=[10.00, 10.00, 9.00],
        close=[10.00, 10.00, c],
        up_limit=[11.00, 11.00, 11.00],
        down_limit=[9.00, 9.00, 9.00],
    )


@pytest.mark.parametrize(
    ("rule", "one_price"), [("block", False), ("block", True), ("traded_away", True)]
)
def test_limit_down_open_blocks_the_sell(rule, one_price):
    md = _limit_down_market(one_price)
    result = run_targets(md, weights([0.5, 0.0, N]), config=config(limit_rule=rule))
    assert len(result.trades) == 1 and result.trades["side"].iloc[0] == "buy"
    assert result.trades["quantity"].iloc[0] == 5000
    assert order_rows(result)[1] == ("2024-01-04", MAIN, "sell", "rejected", Reason.LIMIT_DOWN)
    assert BUY_5000_CASH == 49_987.0
    assert result.cash.iloc[2] == cent(49_987.0)
    close = 9.00 if one_price else 9.20
    assert result.equity.iloc[2] == cent(49_987.0 + 5000 * close)
    last = result.positions.iloc[-1]
    assert (str(last.time.date()), last.shares) == ("2024-01-04", 5000)


def test_limit_down_open_sells_at_the_limit_when_traded_away():
    md = _limit_down_market(one_price=False)
    result = run_targets(md, weights([0.5, 0.0, N]), config=config(limit_rule="traded_away"))
    sell = result.trades.iloc[1]
    assert (sell.side, sell.quantity, sell.price) == ("sell", 5000, 9.00)
    assert sell.commission == cent(11.25)  # 0.025% x 45,000
    assert sell.stamp_duty == cent(22.50)  # 0.05% x 45,000 (2024)
    assert sell.transfer_fee == cent(0.45)  # 0.001% x 45,000
    assert result.cash.iloc[2] == cent(49_987.0 + 45_000 - 11.25 - 22.50 - 0.45)  # 94,952.80
    assert result.equity.iloc[2] == cent(94_952.80)
    assert result.positions["time"].max() == pd.Timestamp("2024-01-03")  # flat on day 2


# -- suspension ----------------------------------------------------------------------------
def _suspension_market() -> MarketData:
    # 000001.SZ is suspended on day 1, 600000.SH on day 2 (prices given but blanked).
    return make_market(
        (MAIN, MAIN_SZ),
        open=[[10.00, 20.00], [10.00, 20.00], [10.40, 21.00], [10.60, 21.00]],
        close=[[10.00, 20.00], [10.30, 20.00], [10.40, 21.00], [10.60, 21.00]],
        suspended=[[False, False], [False, True], [True, False], [False, False]],
    )


def test_suspension_refuses_orders_and_marks_at_the_last_close():
    md = _suspension_market()
    assert np.isnan(md.open[1, 1]) and np.isnan(md.close[2, 0])
    targets = weights([[0.5, 0.3], [0.0, N], [N, N], [N, N]], 2)
    result = run_targets(md, targets, config=config())
    assert order_rows(result) == [
        ("2024-01-03", MAIN, "buy", "filled", Reason.NONE),
        ("2024-01-03", MAIN_SZ, "buy", "rejected", Reason.SUSPENDED),
        ("2024-01-04", MAIN, "sell", "rejected", Reason.SUSPENDED),
    ]
    assert result.orders["reason_text"].iloc[2] == Reason.SUSPENDED.message()
    # day 1: 5,000 x 10.00 bought, cash 49,987.00; marked at 10.30
    assert result.equity.iloc[1] == cent(49_987.0 + 5000 * 10.30)  # 101,487
    # day 2: suspended, still marked at day 1's close 10.30 (not the blanked 10.40)
    assert result.equity.iloc[2] == cent(101_487.0)
    assert result.cash.iloc[2] == cent(49_987.0)
    # day 3: trading again at 10.60; no instruction, so still held
    assert result.equity.iloc[3] == cent(49_987.0 + 5000 * 10.60)
    held = result.positions.set_index("time")
    assert held.loc[pd.Timestamp("2024-01-04"), "value"] == cent(5000 * 10.30)


def test_suspension_refuses_signal_orders_in_sleeves():
    md = _suspension_market()
    signal = weights([[1, 1], [0, 1], [0, 1], [0, 1]], 2)
    result = run_signals(md, signal, size=0.5, config=config(cash_sharing=False))
    # each sleeve has 50,000; size 0.5 spends 25,000 of it
    # 600000.SH: 25,000 at 10.00 -> 2,500 shares; 000001.SZ: suspended on day 1, buys day 2
    rows = order_rows(result)
    assert ("2024-01-03", MAIN_SZ, "buy", "rejected", Reason.SUSPENDED) in rows
    assert ("2024-01-04", MAIN, "sell", "rejected", Reason.SUSPENDED) in rows
    sells = result.trades[result.trades["side"] == "sell"]
    assert list(zip(sells["time"].dt.strftime("%m-%d"), sells["quantity"], strict=True)) == [
        ("01-05", 2500)
    ]
    buys = result.trades[result.trades["side"] == "buy"].set_index("symbol")
    assert buys.loc[MAIN, "quantity"] == 2500 and buys.loc[MAIN, "price"] == 10.00
    # 000001.SZ buys on day 2 at 21.00: 25,000 / 2,100 = 11.9 -> 11 lots
    assert buys.loc[MAIN_SZ, "quantity"] == 1100 and buys.loc[MAIN_SZ, "price"] == 21.00
    main_cash = 50_000 - 25_000 - 6.25 - 0.25  # commission 0.025% x 25,000 = 6.25
    sz_cash = 50_000 - 23_100 - 5.775 - 0.231
    # day 2: 600000.SH suspended, marked at 10.30
    assert result.equity.iloc[2] == cent(main_cash + 2500 * 10.30 + sz_cash + 1100 * 21.00)


# -- odd lots after corporate actions ------------------------------------------------------
# Day 0 decides 10% of 100,000 -> day 1 buys 1,000 at 10.00 (commission 2.50 -> 5 minimum,
# transfer 0.10). Day 2 is the ex-date: the factor steps from 1.0 to ``factor``.
ODD_BUY_CASH = 100_000 - 10_000 - 5.0 - 0.10  # 89,994.90


def _bonus_market(factor: float) -> MarketData:
    return make_market(
        open=[10.00, 10.00, 9.10, 9.30],
        close=[10.00, 10.00, 9.20, 9.40],
        adj_factor=[1.0, 1.0, factor, factor],
    )


@pytest.mark.parametrize(
    ("factor", "held", "in_lieu"),
    [
        (1.1, 1100, 0.0),  # 10 bonus shares per 10: 1,000 -> 1,100
        (1.0333, 1033, 0.3 * 10.00 / 1.0333),  # 1,033.3 -> 1,033 + 0.3 share in cash
    ],
)
def test_odd_lot_after_a_bonus_issue_is_sold_in_one_order(factor, held, in_lieu):
    md = _bonus_market(factor)
    result = run_targets(md, weights([0.1, N, 0.0, N]), config=config())
    actions = result.corporate_actions
    assert list(actions["quantity"]) == [held - 1000]
    assert actions["cash"].iloc[0] == cent(in_lieu)
    assert result.positions.set_index("time").loc[pd.Timestamp("2024-01-04"), "shares"] == held
    assert result.cash.iloc[2] == cent(ODD_BUY_CASH + in_lieu)
    assert result.equity.iloc[2] == cent(ODD_BUY_CASH + in_lieu + held * 9.20)
    sell = result.trades.iloc[1]
    assert (sell.side, sell.quantity, sell.price) == ("sell", held, 9.30)
    value = held * 9.30  # 10,230.00 or 9,606.90
    fees = 5.0 + 0.0005 * value + 0.00001 * value  # commission at the 5 yuan minimum
    assert sell.commission == 5.0
    assert result.cash.iloc[3] == cent(ODD_BUY_CASH + in_lieu + value - fees)
    assert result.positions["time"].max() == pd.Timestamp("2024-01-04")  # flat on day 3


def test_odd_lot_exit_of_a_signal_sleeve_sells_everything():
    md = _bonus_market(1.1)
    result = run_signals(md, weights([1, 1, 0, 0]), size=0.1, config=config(cash_sharing=False))
    assert list(result.trades["quantity"]) == [1000, 1100]
    assert list(result.trades["side"]) == ["buy", "sell"]
    # 89,994.90 + 1,100 x 9.30 - 5 - 5.115 - 0.1023
    assert result.equity.iloc[3] == cent(89_994.90 + 10_230.0 - 5.0 - 5.115 - 0.1023)


def test_star_odd_holding_is_sold_whole():
    md = make_market((STAR,), open=[40.00, 40.00, 41.00], close=[40.00, 40.50, 41.00])
    result = run_targets(md, weights([1.0, 0.0, N]), config=config(cash=10_030.0))
    assert list(result.trades["quantity"]) == [250, 250]
    assert list(result.trades["side"]) == ["buy", "sell"]


# -- STAR board lots -----------------------------------------------------------------------
def _star_market() -> MarketData:
    return make_market((STAR,), open=[40.00, 40.00], close=[40.00, 40.50])


@pytest.mark.parametrize("runner", ["signals", "targets"])
def test_star_buys_at_least_200_then_any_share_count(runner):
    md = _star_market()
    if runner == "signals":
        result = run_signals(md, weights([1, 1]), config=config(cash=10_030.0, cash_sharing=False))
    else:
        result = run_targets(md, weights([1.0, N]), config=config(cash=10_030.0))
    fill = only_trade(result)
    # 10,030 / 40.00 = 250.75 shares -> 250 (STAR step 1); 10,000 + 5 + 0.10 <= 10,030
    assert (fill.quantity, fill.price) == (250, 40.00)
    assert fill.commission == 5.0
    assert fill.transfer_fee == cent(0.10)
    cash = 10_030 - 10_000 - 5.0 - 0.10  # 24.90
    assert result.equity.iloc[1] == cent(cash + 250 * 40.50)


@pytest.mark.parametrize(
    ("cash", "reason"),
    [
        (7_990.0, Reason.BELOW_ONE_LOT),  # 199.75 shares: below the 200 minimum
        (8_000.0, Reason.INSUFFICIENT_CASH),  # 200 shares cost 8,000 + 5 + 0.08 > 8,000
    ],
)
def test_star_below_200_affordable_buys_nothing(cash, reason):
    md = _star_market()
    result = run_signals(md, weights([1, 1]), config=config(cash=cash, cash_sharing=False))
    assert result.trades.empty
    assert order_rows(result) == [("2024-01-03", STAR, "buy", "rejected", reason)]
    assert result.equity.iloc[-1] == cash


def test_star_target_below_200_shares_buys_nothing():
    md = _star_market()
    result = run_targets(md, weights([1.0, N]), config=config(cash=7_990.0))
    assert result.trades.empty
    assert list(result.cash) == [7_990.0, 7_990.0]


def test_main_board_buys_whole_lots_only():
    md = make_market(open=[10.00, 10.00], close=[10.00, 10.00])
    # 10,999 / 10.00 = 1,099.9 shares -> 10 whole lots
    result = run_signals(md, weights([1, 1]), config=config(cash=10_999.0, cash_sharing=False))
    assert only_trade(result).quantity == 1000


# -- commission ----------------------------------------------------------------------------
def test_minimum_commission_on_a_small_order():
    md = make_market(open=[10.00, 10.00], close=[10.00, 10.00])
    result = run_targets(md, weights([0.1, N]), config=config())
    fill = only_trade(result)
    assert fill.value == 10_000.0
    assert cent(2.50) == 0.00025 * 10_000  # below the minimum
    assert fill.commission == 5.0
    assert result.cash.iloc[1] == cent(100_000 - 10_000 - 5.0 - 0.10)


def test_rate_commission_on_a_large_order_and_the_fees_limit_the_size():
    md = make_market(open=[10.00, 10.00], close=[10.00, 10.00])
    result = run_targets(md, weights([1.0, N]), config=config())
    fill = only_trade(result)
    # 10,000 shares would need 100,000 + 25 + 1 > 100,000: one lot less
    assert fill.quantity == 9900
    assert fill.commission == cent(0.00025 * 99_000)  # 24.75
    assert fill.transfer_fee == cent(0.99)
    assert result.cash.iloc[1] == cent(100_000 - 99_000 - 24.75 - 0.99)  # 974.26


def test_minimum_commission_can_be_waived():
    md = make_market(open=[10.00, 10.00], close=[10.00, 10.00])
    result = run_targets(md, weights([0.1, N]), config=config(min_commission=0.0))
    assert only_trade(result).commission == cent(2.50)


# -- stamp duty and transfer fee schedules ---------------------------------------------------
@pytest.mark.parametrize(
    ("start", "sell_day", "stamp"),
    [
        ("2023-08-23", "2023-08-25", 0.001 * 50_000),  # Friday before the cut: 0.1%
        ("2023-08-24", "2023-08-28", 0.0005 * 50_000),  # Monday 2023-08-28: 0.05%
    ],
)
def test_stamp_duty_on_sells_follows_the_dated_schedule(start, sell_day, stamp):
    md = make_market(start=start, open=[10.00] * 3, close=[10.00] * 3)
    result = run_targets(md, weights([0.5, 0.0, N]), config=config(stamp_duty=None))
    buy, sell = result.trades.iloc[0], result.trades.iloc[1]
    assert (buy.side, sell.side, str(sell.time.date())) == ("buy", "sell", sell_day)
    assert buy.stamp_duty == 0.0  # no stamp duty on buys
    assert sell.stamp_duty == cent(stamp)  # 50.00 or 25.00
    # 5,000 x 10.00 both ways: commission 12.50 and transfer 0.50 each way
    assert result.cash.iloc[2] == cent(100_000 - 12.5 - 0.5 - 12.5 - stamp - 0.5)


@pytest.mark.parametrize(
    ("start", "transfer"),
    [("2022-04-27", 0.00002 * 50_000), ("2022-04-28", 0.00001 * 50_000)],
)
def test_transfer_fee_halved_on_2022_04_29(start, transfer):
    # the buy fills on day 1: 2022-04-28 (0.002%) or 2022-04-29 (0.001%)
    md = make_market((MAIN_SZ,), start=start, open=[10.00] * 2, close=[10.00] * 2)
    result = run_targets(md, weights([0.5, N]), config=config())
    assert only_trade(result).transfer_fee == cent(transfer)  # 1.00 or 0.50


def test_fixed_stamp_duty_overrides_the_schedule():
    md = make_market(open=[10.00] * 3, close=[10.00] * 3)
    result = run_targets(md, weights([0.5, 0.0, N]), config=config(stamp_duty=0.001))
    assert list(result.trades["stamp_duty"]) == [0.0, cent(50.0)]


# -- participation cap -----------------------------------------------------------------------
def test_participation_caps_the_buy_and_the_order_shows_volume_cap():
    md = make_market(open=[10.00] * 2, close=[10.00] * 2, volume=[1_000_000, 1_000])
    result = run_targets(md, weights([0.5, N]), config=config(participation=0.1))
    fill = only_trade(result)
    assert fill.quantity == 100  # 0.1 x 1,000 shares traded; wanted 5,000
    order = result.orders.iloc[0]
    assert (order.status, order.filled, int(order.reason)) == ("filled", 100, Reason.VOLUME_CAP)
    assert order.reason_text == Reason.VOLUME_CAP.message()
    assert result.cash.iloc[1] == cent(100_000 - 1_000 - 5.0 - 0.01)  # 98,994.99


def test_participation_caps_the_sell_to_whole_lots():
    md = make_market(open=[10.00] * 3, close=[10.00] * 3, volume=[10**6, 10**6, 1_550])
    result = run_targets(md, weights([0.5, 0.0, N]), config=config(participation=0.1))
    sell = result.trades.iloc[1]
    # cap floor(0.1 x 1,550) = 155 shares -> one lot of the 5,000 held
    assert (sell.side, sell.quantity) == ("sell", 100)
    assert int(result.orders.iloc[1].reason) == Reason.VOLUME_CAP
    assert result.positions.iloc[-1].shares == 4900


def test_participation_caps_a_signal_buy():
    md = make_market(open=[10.00] * 2, close=[10.00] * 2, volume=[1_000, 1_000])
    result = run_signals(md, weights([1, 1]), config=config(participation=0.1, cash_sharing=False))
    assert only_trade(result).quantity == 100
    assert int(result.orders.iloc[0].reason) == Reason.VOLUME_CAP


# -- slippage ---------------------------------------------------------------------------------
def _round_trip_market(o1: float, o2: float, up: float = 11.00, dn: float = 9.00) -> MarketData:
    return make_market(
        open=[10.00, o1, o2],
        close=[10.00, 10.00, 10.00],
        up_limit=[11.00, up, 11.00],
        down_limit=[9.00, 9.00, dn],
    )


def test_slippage_ticks_move_buys_up_and_sells_down():
    md = _round_trip_market(10.00, 10.50)
    result = run_targets(md, weights([0.5, 0.0, N]), config=config(slippage_ticks=2))
    buy, sell = result.trades.iloc[0], result.trades.iloc[1]
    assert buy.price == cent(10.02) and sell.price == cent(10.48)
    # budget 50,000 at 10.02 -> 49 lots (49 x 1,002 = 49,098)
    assert buy.quantity == 4900
    cash1 = 100_000 - 49_098 - 0.00025 * 49_098 - 0.00001 * 49_098  # 50,889.23452
    assert result.cash.iloc[1] == cent(cash1)
    value = 4900 * 10.48  # 51,352
    assert result.cash.iloc[2] == cent(cash1 + value - 12.838 - 25.676 - 0.51352)


def test_slippage_bps_rounds_to_the_tick_against_the_order():
    md = _round_trip_market(10.00, 10.50)
    result = run_targets(md, weights([0.5, 0.0, N]), config=config(slippage_bps=25))
    # 10.00 x 1.0025 = 10.025 -> 10.03 (up); 10.50 x 0.9975 = 10.47375 -> 10.47 (down)
    assert list(result.trades["price"]) == [cent(10.03), cent(10.47)]


def test_slippage_never_goes_beyond_the_limits():
    md = _round_trip_market(10.99, 9.01, up=11.00, dn=9.00)
    result = run_targets(md, weights([0.5, 0.0, N]), config=config(slippage_ticks=5))
    # 10.99 + 5 ticks = 11.04 > 11.00 up limit; 9.01 - 5 ticks = 8.96 < 9.00 down limit
    assert list(result.trades["price"]) == [cent(11.00), cent(9.00)]


# -- fee rounding -----------------------------------------------------------------------------
def test_round_fees_rounds_each_fee_to_the_fen_half_up():
    md = make_market(open=[11.00, 11.00, 10.02], close=[11.00, 11.00, 10.02])
    targets = weights([0.5, 0.0, N])
    exact = run_targets(md, targets, config=config())
    rounded = run_targets(md, targets, config=config(round_fees=True))
    buy, sell = rounded.trades.iloc[0], rounded.trades.iloc[1]
    # buy 4,500 x 11.00 = 49,500: commission 12.375 -> 12.38, transfer 0.495 -> 0.50
    assert exact.trades["commission"].iloc[0] == cent(12.375)
    assert (buy.commission, buy.transfer_fee, buy.stamp_duty) == (12.38, 0.50, 0.0)
    # sell 4,500 x 10.02 = 45,090: commission 11.2725 -> 11.27, stamp 22.545 -> 22.55,
    # transfer 0.4509 -> 0.45
    assert (sell.commission, sell.stamp_duty, sell.transfer_fee) == (11.27, 22.55, 0.45)
    assert rounded.cash.iloc[1] == cent(100_000 - 49_500 - 12.38 - 0.50)  # 50,487.12
    assert rounded.cash.iloc[2] == cent(50_487.12 + 45_090 - 11.27 - 22.55 - 0.45)
    assert exact.cash.iloc[2] == cent(50_487.13 + 45_090 - 11.2725 - 22.545 - 0.4509)


def test_round_fees_keeps_the_minimum_commission():
    md = make_market(open=[10.01, 10.01], close=[10.01, 10.01])
    result = run_targets(md, weights([0.1, N]), config=config(round_fees=True))
    fill = only_trade(result)
    # 9 lots x 10.01 = 9,009: commission 2.25 -> 5.00; transfer 0.09009 -> 0.09
    assert (fill.quantity, fill.commission, fill.transfer_fee) == (900, 5.0, 0.09)


# -- fill modes -------------------------------------------------------------------------------
def test_close_fill_trades_on_the_same_bar():
    md = make_market(open=[10.00, 10.40], close=[10.20, 10.50])
    result = run_targets(md, weights([0.5, 0.0]), config=config(fill="close"))
    buy, sell = result.trades.iloc[0], result.trades.iloc[1]
    assert (str(buy.time.date()), buy.price, buy.quantity) == ("2024-01-02", 10.20, 4900)
    assert (str(sell.time.date()), sell.price, sell.quantity) == ("2024-01-03", 10.50, 4900)
    # 50,000 / 1,020 = 49.0 lots -> 49: value 49,980, commission 12.495, transfer 0.4998
    cash0 = 100_000 - 49_980 - 12.495 - 0.4998  # 50,007.0052
    assert result.cash.iloc[0] == cent(cash0)
    assert result.equity.iloc[0] == cent(cash0 + 49_980)
    # sell 4,900 x 10.50 = 51,450: commission 12.8625, stamp 25.725, transfer 0.5145
    assert result.equity.iloc[1] == cent(cash0 + 51_450 - 12.8625 - 25.725 - 0.5145)


def test_close_fill_of_signals_trades_on_the_signal_bar():
    md = make_market(open=[10.00, 10.40], close=[10.20, 10.50])
    result = run_signals(md, weights([1, 0]), config=config(fill="close", cash_sharing=False))
    assert list(result.trades["price"]) == [10.20, 10.50]
    # 100,000 / 1,020 = 98.04 lots -> 98: 99,960 + 24.99 + 0.9996 <= 100,000
    assert list(result.trades["quantity"]) == [9800, 9800]
    cash0 = 100_000 - 99_960 - 24.99 - 0.9996
    value = 9800 * 10.50  # 102,900
    assert result.equity.iloc[1] == cent(cash0 + value - 25.725 - 51.45 - 1.029)


def test_vwap_fill_uses_the_given_vwap_of_the_next_bar():
    md = MarketData.from_frames(
        make_frames(open=[10.00, 10.00], close=[10.00, 10.30], vwap=[10.00, 10.13])
    )
    result = run_targets(md, weights([0.5, N]), config=config(fill="vwap"))
    fill = only_trade(result)
    # 50,000 / 1,013 = 49.4 lots -> 49: value 49,637
    assert (str(fill.time.date()), fill.price, fill.quantity) == ("2024-01-03", 10.13, 4900)
    assert result.cash.iloc[1] == cent(100_000 - 49_637 - 12.40925 - 0.49637)


def test_vwap_fill_defaults_to_the_mean_of_ohlc():
    md = make_market(
        open=[10.00, 10.00], high=[10.00, 10.40], low=[10.00, 9.90], close=[10.00, 10.30]
    )
    result = run_signals(md, weights([1, 1]), config=config(fill="vwap", cash_sharing=False))
    fill = only_trade(result)
    price = (10.00 + 10.40 + 9.90 + 10.30) / 4  # 10.15
    assert fill.price == cent(10.15) == price
    # 100,000 / 1,015 = 98.5 lots -> 98: 99,470 + 24.8675 + 0.9947 <= 100,000
    assert fill.quantity == 9800
    assert fill.commission == cent(24.8675)


def test_next_open_is_the_default_fill():
    md = make_market(open=[10.00, 10.10], close=[10.00, 10.30])
    result = run_targets(md, weights([0.5, N]), config=config())
    fill = only_trade(result)
    assert (str(fill.time.date()), fill.price) == ("2024-01-03", 10.10)
    assert result.equity.iloc[0] == 100_000.0


# -- bad input ----------------------------------------------------------------------------------
@pytest.fixture
def md3() -> MarketData:
    return make_market((MAIN, MAIN_SZ), open=[[10.0, 20.0]] * 3, close=[[10.0, 20.0]] * 3)


@pytest.mark.parametrize("shape", [(3,), (2, 2), (3, 3), (2, 3)])
def test_misshaped_signal_is_refused(md3, shape):
    with pytest.raises(ConfigError, match=r"signal has shape .*expected \(3, 2\)"):
        run_signals(md3, np.ones(shape), config=config(cash_sharing=False))


@pytest.mark.parametrize("shape", [(3,), (2, 2), (3, 1)])
def test_misshaped_targets_are_refused(md3, shape):
    with pytest.raises(ConfigError, match=r"targets has shape .*expected \(3, 2\)"):
        run_targets(md3, np.full(shape, 0.5), config=config())


def test_misshaped_signal_frame_is_refused(md3):
    frame = pd.DataFrame(np.ones((2, 2)), columns=[MAIN, MAIN_SZ])
    with pytest.raises(ConfigError, match="signal index does not match"):
        run_signals(md3, frame, config=config(cash_sharing=False))


def test_negative_weights_are_refused(md3):
    targets = weights([[0.5, N], [-0.1, 0.2], [N, N]], 2)
    with pytest.raises(ConfigError, match="must not be negative"):
        run_targets(md3, targets, config=config())


@pytest.mark.parametrize("size", [0.0, -0.5, 1.0001, 2.0])
def test_size_outside_zero_one_is_refused(md3, size):
    with pytest.raises(ConfigError, match=r"size must be in \(0, 1\]"):
        run_signals(md3, np.ones((3, 2)), size=size, config=config(cash_sharing=False))


def test_targets_need_shared_cash(md3):
    with pytest.raises(ConfigError, match="cash_sharing"):
        run_targets(md3, np.full((3, 2), 0.5), config=config(cash_sharing=False))


def test_unaligned_dates_are_refused():
    frames = make_frames(open=[10.0] * 3, close=[10.0] * 3)
    frames["open"] = frames["open"].set_axis(days(3, "2024-02-01"))
    with pytest.raises(ConfigError, match="'open' is not aligned with 'close'"):
        MarketData.from_frames(frames)


def test_unaligned_symbols_are_refused():
    frames = make_frames((MAIN, MAIN_SZ), open=[[10.0, 20.0]] * 2, close=[[10.0, 20.0]] * 2)
    frames["up_limit"] = frames["open"][[MAIN_SZ, MAIN]] * 1.1
    with pytest.raises(ConfigError, match="'up_limit' is not aligned"):
        MarketData.from_frames(frames)


def test_missing_close_frame_is_refused():
    frames = make_frames(open=[10.0] * 2, close=[10.0] * 2)
    del frames["close"]
    with pytest.raises(UnknownFieldError, match="close"):
        MarketData.from_frames(frames)


def test_non_numeric_volume_is_refused():
    frames = make_frames(open=[10.0] * 2, close=[10.0] * 2)
    frames["volume"] = frames["close"].astype(str)
    with pytest.raises(ConfigError, match="volume must be numeric"):
        MarketData.from_frames(frames)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("fill", "tomorrow"),
        ("limit_rule", "ignore"),
        ("participation", 1.5),
        ("cash", 0.0),
        ("slippage_ticks", -1),
        ("unknown_setting", 1),
    ],
)
def test_bad_settings_are_refused_with_the_field_named(field, value):
    with pytest.raises(ValidationError, match=field):
        config(**{field: value})


# -- regressions: bugs found by review, fixed -----------------------------------------------
def test_round_fees_half_up_of_the_true_value():
    md = make_market(open=[17.81, 17.81], close=[17.81, 17.81])
    result = run_targets(md, weights([0.36, N]), config=config(round_fees=True))
    fill = only_trade(result)
    # 36,000 / 1,781 = 20.2 lots -> 2,000 shares, value 35,620.00
    assert (fill.quantity, fill.value) == (2000, cent(35_620.0))
    assert fill.commission == 8.91  # 0.025% x 35,620 = 8.905 exactly -> 8.91 half up


def test_vwap_fill_refuses_a_suspended_bar():
    frames = make_frames(
        open=[10.0, 10.0], close=[10.0, 10.0], vwap=[10.0, 10.0], suspended=[False, True]
    )
    md = MarketData.from_frames(frames)
    result = run_targets(md, weights([0.5, N]), config=config(fill="vwap"))
    assert result.trades.empty
    assert order_rows(result) == [("2024-01-03", MAIN, "buy", "rejected", Reason.SUSPENDED)]


@pytest.mark.parametrize("bad", [np.inf, -np.inf])
def test_infinite_weights_are_refused(bad):
    md = make_market(open=[10.0] * 3, close=[10.0] * 3)
    with pytest.raises(ConfigError):
        run_targets(md, weights([0.5, bad, N]), config=config())


def test_signal_frame_in_another_column_order_is_not_misapplied():
    md = make_market((MAIN, MAIN_SZ), open=[[10.0, 20.0]] * 3, close=[[10.0, 20.0]] * 3)
    signal = pd.DataFrame(
        [[1.0, 0.0]] * 3, index=md.times, columns=[MAIN_SZ, MAIN]
    )  # long 000001.SZ only
    try:
        result = run_signals(md, signal, config=config(cash_sharing=False))
    except ConfigError:
        return  # refusing the misaligned frame is fine too
    assert set(result.trades["symbol"]) == {MAIN_SZ}


def test_positions_value_after_an_ex_date_on_a_suspended_day():
    md = make_market(
        open=[10.0, 10.0, 10.0, 9.2],
        close=[10.0, 10.0, 10.0, 9.3],
        suspended=[False, False, True, False],
        adj_factor=[1.0, 1.0, 1.1, 1.1],
    )
    result = run_targets(md, weights([0.1, N, N, N]), config=config())
    # 1,000 bought at 10.00 become 1,100 worth 10.00 / 1.1 each on the suspended ex-date
    assert result.equity.iloc[2] - result.cash.iloc[2] == cent(1100 * 10.0 / 1.1)
    held = result.positions.set_index("time").loc[pd.Timestamp("2024-01-04")]
    assert held.shares == 1100
    assert held.value == cent(10_000.0)


def test_shared_cash_signals_do_not_rebalance_while_long():
    md = make_market(
        (MAIN, MAIN_SZ),
        open=[[10.0, 20.0], [10.0, 20.0], [12.0, 20.0], [14.0, 20.0]],
        close=[[10.0, 20.0], [10.0, 20.0], [12.0, 20.0], [14.0, 20.0]],
    )
    result = run_signals(md, weights([[1, 1]] * 4, 2), config=config(cash_sharing=True))
    # one entry per symbol on day 1, then nothing while the signal stays long
    assert list(result.trades["time"].dt.strftime("%m-%d")) == ["01-03", "01-03"]


def test_signal_frame_columns_in_vendor_forms_are_aligned():
    md = make_market((MAIN, MAIN_SZ), open=[[10.0, 20.0]] * 3, close=[[10.0, 20.0]] * 3)
    signal = pd.DataFrame([[1.0, 0.0]] * 3, index=md.times, columns=["sz000001", "600000.XSHG"])
    result = run_signals(md, signal, config=config(cash_sharing=False))
    assert set(result.trades["symbol"]) == {MAIN_SZ}


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        ([MAIN, "000002.SZ"], "not in the market: 000002.SZ.*missing: 000001.SZ"),
        ([MAIN, MAIN], "names a symbol twice"),
        ([MAIN, "banana"], "not a symbol"),
    ],
)
def test_signal_frame_with_wrong_columns_is_refused(md3, columns, message):
    frame = pd.DataFrame(np.ones((3, 2)), index=md3.times, columns=columns)
    with pytest.raises(ConfigError, match=message):
        run_signals(md3, frame, config=config(cash_sharing=False))


# -- T+1 inside a day of minute bars, in the vectorised forms ---------------------------------
def _minute_market() -> MarketData:
    index = pd.DatetimeIndex(
        ["2024-01-02 09:31", "2024-01-02 09:32", "2024-01-02 09:33", "2024-01-03 09:31"]
    )
    md = MarketData.from_frames(make_frames(index=index, open=[10.0] * 4, close=[10.0] * 4))
    assert md.freq == "1m"
    return md


@pytest.mark.parametrize("cash_sharing", [False, True])
def test_minute_signals_cannot_sell_the_day_they_bought(cash_sharing):
    # long on the first bar (bought at the second bar's open), flat from the second bar
    result = run_signals(
        _minute_market(), weights([1, 0, 0, 0]), config=config(cash_sharing=cash_sharing)
    )
    trades = result.trades
    assert list(trades["side"]) == ["buy", "sell"]
    assert list(trades["time"].dt.strftime("%d %H:%M")) == ["02 09:32", "03 09:31"]
    refused = result.orders[result.orders["status"] == "rejected"]
    assert set(refused["reason"]) == {Reason.T_PLUS_ONE}
    assert list(refused["time"].dt.strftime("%H:%M")) == ["09:33"]


def test_minute_targets_cannot_sell_the_day_they_bought():
    result = run_targets(_minute_market(), weights([0.5, 0.0, N, N]), config=config())
    assert list(result.trades["time"].dt.strftime("%d %H:%M")) == ["02 09:32"]
    assert order_rows(result)[-1][3:] == ("rejected", Reason.T_PLUS_ONE)


# -- order sizes ------------------------------------------------------------------------------
def test_target_entry_below_one_lot_is_refused_not_dropped():
    md = make_market(open=[10.0] * 2, close=[10.0] * 2)
    result = run_targets(md, weights([0.0005, N]), config=config())  # 50 yuan: 5 shares
    assert result.trades.empty
    assert order_rows(result) == [("2024-01-03", MAIN, "buy", "rejected", Reason.BELOW_ONE_LOT)]


def test_target_entry_without_any_price_is_refused():
    md = make_market(open=[N, N, 10.0], close=[N, N, 10.0])
    result = run_targets(md, weights([0.5, N, N]), config=config())
    assert result.trades.empty
    assert order_rows(result) == [("2024-01-03", MAIN, "buy", "rejected", Reason.NO_PRICE)]


def _engine_run(source: str, md: MarketData, **overrides: object):
    from quantlib.backtest import run_backtest

    return run_backtest(source, md, config=config(**overrides))


def test_selling_more_than_held_sells_the_position_and_says_so():
    md = make_market(open=[10.0] * 4, close=[10.0] * 4)
    source = """
def initialize(context):
    pass
def handle_data(context, data):
    if context.bar == 0:
        order('600000.SH', 1000)
    if context.bar == 2:
        order('600000.SH', -2000)
"""
    result = _engine_run(source, md)
    assert list(result.trades["quantity"]) == [1000, 1000]
    sell = result.orders.iloc[-1]
    assert (sell.filled, int(sell.reason)) == (1000, Reason.EXCEEDS_POSITION)
    assert "exceeds the position" in sell.reason_text or "超过持仓" in sell.reason_text


def test_buy_above_the_per_order_maximum_is_cut_and_says_so():
    # STAR limit orders: at most 100,000 shares each
    md = make_market((STAR,), open=[10.0] * 3, close=[10.0] * 3)
    source = """
def initialize(context):
    pass
def handle_data(context, data):
    if context.bar == 0:
        order('688981.SH', 150000)
"""
    result = _engine_run(source, md, cash=2_000_000.0)
    assert list(result.trades["quantity"]) == [100_000]
    buy = result.orders.iloc[-1]
    assert buy.status == "expired"
    assert int(buy.reason) == Reason.ORDER_SIZE_CAP


def test_sweep_refuses_a_signal_function_of_another_shape(md3):
    from numba import njit

    from quantlib.backtest.vectorised import sweep_signals

    @njit
    def two_arguments(close, params):  # no output array
        return close * params[0]

    params = pd.DataFrame({"fast": [5.0]})
    with pytest.raises(
        ConfigError, match="does not compile as fn\\(close_column, params_row, out\\)"
    ):
        sweep_signals(md3, two_arguments, params, config=config(cash_sharing=False))
