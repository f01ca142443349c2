"""FIFO round trips (partial closes, fees, open lots) and per-bar trade series, by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quantlib.analytics.trade_stats import (
    ROUND_TRIP_COLUMNS,
    TRADE_STAT_NAMES,
    exposure,
    exposure_series,
    fifo_lots,
    open_lots,
    position_count_series,
    round_trips,
    time_in_market,
    trade_statistics,
    turnover,
    turnover_series,
)
from quantlib.core.errors import DataValidationError

DATES = pd.bdate_range("2024-01-02", periods=5)  # Tue 2 .. Mon 8 Jan


def _trade(bar, symbol, side, qty, price, commission, stamp=0.0):
    return {
        "time": DATES[bar],
        "symbol": symbol,
        "side": side,
        "quantity": float(qty),
        "price": price,
        "value": qty * price,
        "commission": commission,
        "stamp_duty": stamp,
        "transfer_fee": 0.0,
        "exchange_fees": 0.0,
        "bar": bar,
    }


TRADES = pd.DataFrame(
    [
        _trade(0, "600000.SH", "buy", 1000, 10.0, 5.0),
        _trade(1, "600000.SH", "buy", 500, 12.0, 3.0),
        _trade(2, "000001.SZ", "buy", 100, 50.0, 1.0),
        _trade(3, "600000.SH", "sell", 1200, 13.0, 6.0, 7.8),
        _trade(4, "600000.SH", "sell", 300, 11.0, 3.0),
    ]
)


def test_fifo_round_trips_split_lots_and_allocate_fees_pro_rata():
    table = round_trips(TRADES)
    assert list(table.columns) == list(ROUND_TRIP_COLUMNS)
    assert table["symbol"].tolist() == ["600000.SH"] * 3
    assert table["quantity"].tolist() == [1000, 200, 300]
    assert table["entry_time"].tolist() == [DATES[0], DATES[1], DATES[1]]
    assert table["exit_time"].tolist() == [DATES[3], DATES[3], DATES[4]]
    # sell fees 13.8 for 1200 shares: 11.5 to the first lot's 1000, 2.3 to 200 of the second
    np.testing.assert_allclose(table["fees"], [5 + 11.5, 1.2 + 2.3, 1.8 + 3.0])
    np.testing.assert_allclose(table["pnl"], [3000 - 16.5, 200 - 3.5, -300 - 4.8])
    np.testing.assert_allclose(table["return"], [2983.5 / 10005.0, 196.5 / 2401.2, -304.8 / 3601.8])
    assert table["holding_bars"].tolist() == [3, 2, 3]
    assert table["holding_days"].tolist() == [3, 2, 3]  # daily trades: sessions = bars
    assert table["calendar_days"].tolist() == [3, 2, 5]


def test_open_lots_are_reported_apart():
    lots = open_lots(TRADES)
    assert lots.to_dict("records") == [
        {
            "symbol": "000001.SZ",
            "entry_time": DATES[2],
            "quantity": 100.0,
            "entry_price": 50.0,
            "fees": pytest.approx(1.0),
        }
    ]
    half = TRADES.iloc[:4]  # the second lot has 300 of 500 shares left
    left = open_lots(half).set_index("symbol")
    assert left.loc["600000.SH", "quantity"] == pytest.approx(300)
    assert left.loc["600000.SH", "fees"] == pytest.approx(1.8)


def test_trade_statistics_by_hand():
    stats = trade_statistics(round_trips(TRADES))
    assert set(stats) == set(TRADE_STAT_NAMES)
    assert stats["win_rate"] == pytest.approx(2 / 3)
    assert stats["profit_factor"] == pytest.approx(3180.0 / 304.8)
    assert stats["avg_win"] == pytest.approx(1590.0)
    assert stats["avg_loss"] == pytest.approx(-304.8)
    assert stats["payoff_ratio"] == pytest.approx(1590.0 / 304.8)
    assert stats["avg_holding_days"] == pytest.approx(8 / 3)
    assert stats["n_round_trips"] == 3


def test_statistics_without_losses_or_round_trips_are_nan():
    wins = trade_statistics(round_trips(TRADES.iloc[[0, 3]].assign(quantity=1000.0)))
    assert wins["win_rate"] == 1 and np.isnan(wins["profit_factor"])
    assert np.isnan(wins["avg_loss"]) and np.isnan(wins["payoff_ratio"])
    none = trade_statistics(round_trips(TRADES.iloc[:3]))
    assert none["n_round_trips"] == 0
    assert all(np.isnan(v) for k, v in none.items() if k != "n_round_trips")


def test_a_break_even_round_trip_is_neither_a_win_nor_a_loss():
    flat = pd.DataFrame(
        [_trade(0, "X", "buy", 100, 10.0, 0.0), _trade(1, "X", "sell", 100, 10.0, 0.0)]
    )
    stats = trade_statistics(round_trips(flat))
    assert stats["n_round_trips"] == 1 and stats["win_rate"] == 0
    assert np.isnan(stats["avg_win"]) and np.isnan(stats["avg_loss"])


def test_sells_without_a_buy_are_unmatched():
    extra = pd.concat([TRADES, pd.DataFrame([_trade(4, "600000.SH", "sell", 50, 11.0, 0.0)])])
    lots = fifo_lots(extra)
    assert len(lots.closed) == 3
    assert lots.unmatched[["symbol", "quantity"]].to_dict("records") == [
        {"symbol": "600000.SH", "quantity": 50.0}
    ]


def test_holding_periods_from_times_without_a_bar_column():
    times = DATES.append(pd.DatetimeIndex(["2024-01-09"]))
    table = round_trips(TRADES.drop(columns="bar"), times=times)
    assert table["holding_bars"].tolist() == [3, 2, 3]
    assert table["holding_days"].tolist() == [3, 2, 3]
    assert round_trips(TRADES.drop(columns="bar"))["holding_bars"].isna().all()


def test_minute_trades_count_sessions_not_bars():
    times = pd.DatetimeIndex(
        ["2024-01-02 09:31", "2024-01-02 14:00", "2024-01-03 09:31", "2024-01-03 10:00"]
    )
    trades = pd.DataFrame(
        [_trade(0, "X", "buy", 100, 10.0, 0.0), _trade(3, "X", "sell", 100, 11.0, 0.0)]
    ).assign(time=[times[0], times[3]])
    assert round_trips(trades, times=times)["holding_days"].tolist() == [1]
    assert round_trips(trades)["holding_days"].isna().all()
    assert round_trips(trades)["holding_bars"].tolist() == [3]


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"side": "hold"}, "sides"),
        ({"quantity": 0.0}, "positive"),
        ({"quantity": np.nan}, "positive"),
    ],
)
def test_bad_trades_are_refused(change, problem):
    bad = TRADES.copy()
    for column, value in change.items():
        bad.loc[0, column] = value
    with pytest.raises(DataValidationError, match=problem):
        round_trips(bad)
    with pytest.raises(DataValidationError, match="lacks column"):
        round_trips(TRADES.drop(columns="price"))


def test_an_empty_trades_table_has_no_round_trips():
    lots = fifo_lots(TRADES.iloc[:0])
    assert lots.closed.empty and lots.open.empty and lots.unmatched.empty


EQUITY = pd.Series([100_000.0, 101_000.0, 99_000.0, 103_000.0, 102_000.0], DATES)
POSITIONS = pd.DataFrame(
    {
        "time": [DATES[0], DATES[1], DATES[1], DATES[3]],
        "symbol": ["A", "A", "B", "B"],
        "shares": [100.0, 100.0, 200.0, 200.0],
        "value": [10_000.0, 20_000.0, 30_500.0, 51_500.0],
        "weight": [0.1, 0.2, 0.3, 0.5],
    }
)


def test_exposure_position_count_and_time_in_market():
    gross = exposure_series(POSITIONS, EQUITY)
    np.testing.assert_allclose(gross.to_numpy(), [0.1, 50_500 / 101_000, 0.0, 0.5, 0.0])
    assert exposure(POSITIONS, EQUITY) == pytest.approx(gross.mean())
    assert position_count_series(POSITIONS, EQUITY).tolist() == [1, 2, 0, 1, 0]
    assert time_in_market(POSITIONS, EQUITY) == pytest.approx(0.6)


def test_turnover_series_and_annual_turnover():
    daily = turnover_series(TRADES, EQUITY)
    np.testing.assert_allclose(
        daily.to_numpy(), [10_000 / 1e5, 6_000 / 101e3, 5_000 / 99e3, 15_600 / 103e3, 3_300 / 102e3]
    )
    expected = 39_900 / EQUITY.mean() * 242 / 5
    assert turnover(TRADES, EQUITY) == pytest.approx(expected)
    assert turnover(TRADES, EQUITY, periods_per_year=250) == pytest.approx(expected * 250 / 242)


def test_trades_off_the_equity_bars_are_refused():
    with pytest.raises(DataValidationError, match="1 trade time"):
        turnover_series(TRADES, EQUITY.iloc[:-1])
    with pytest.raises(DataValidationError, match="position time"):
        exposure_series(POSITIONS, EQUITY.iloc[:2])


def test_corporate_actions_scale_the_open_lots():
    trades = pd.DataFrame(
        [_trade(0, "X", "buy", 100, 10.0, 2.0), _trade(3, "X", "sell", 200, 5.5, 4.0)]
    )
    # 10-for-10 bonus shares on bar 3 (applied before that bar's trades), 6.0 cash in lieu
    bonus = pd.DataFrame({"time": [DATES[3]], "symbol": ["X"], "quantity": [100.0], "cash": [6.0]})
    lots = fifo_lots(trades, corporate_actions=bonus)
    assert lots.unmatched.empty and lots.open.empty
    (row,) = lots.closed.to_dict("records")
    assert row["quantity"] == 200 and row["entry_price"] == pytest.approx(5.0 - 0.03)
    # proceeds 1100 - cost (1000 - 6 in lieu) - fees 6
    assert row["pnl"] == pytest.approx(1100 - 994 - 6)
    assert row["return"] == pytest.approx(100 / (994 + 2))
    without = fifo_lots(trades)
    assert without.unmatched["quantity"].tolist() == [100.0]
