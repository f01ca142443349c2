import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from quantlib.core.errors import UnknownSymbolError
from quantlib.market.boards import (
    Board,
    board_of,
    buy_quantity_error,
    ipo_rule,
    limit_pct,
    limit_prices,
    limit_prices_fen,
    round_buy_quantity,
    sell_quantity_error,
)


@pytest.mark.parametrize(
    ("symbol", "board"),
    [
        ("600000.SH", Board.MAIN),
        ("605599.SH", Board.MAIN),
        ("000001.SZ", Board.MAIN),
        ("002594.SZ", Board.MAIN),
        ("300750.SZ", Board.CHINEXT),
        ("301269.SZ", Board.CHINEXT),
        ("688981.SH", Board.STAR),
        ("689009.SH", Board.STAR),
        ("920118.BJ", Board.BSE),
        ("830799", Board.BSE),
    ],
)
def test_board_follows_the_code_prefix(symbol, board):
    assert board_of(symbol) is board


@pytest.mark.parametrize("symbol", ["000300.SH", "399001.SZ", "510300.SH"])
def test_indices_and_funds_have_no_board(symbol):
    with pytest.raises(UnknownSymbolError, match="not an A-share stock"):
        board_of(symbol)


@pytest.mark.parametrize(
    ("board", "st", "date", "pct"),
    [
        (Board.MAIN, False, dt.date(2024, 1, 2), 10),
        (Board.MAIN, True, dt.date(2026, 7, 3), 5),
        (Board.MAIN, True, dt.date(2026, 7, 6), 10),
        (Board.CHINEXT, False, dt.date(2020, 8, 21), 10),
        (Board.CHINEXT, False, dt.date(2020, 8, 24), 20),
        (Board.CHINEXT, True, dt.date(2020, 8, 21), 5),
        (Board.CHINEXT, True, dt.date(2020, 8, 24), 20),
        (Board.STAR, True, dt.date(2024, 1, 2), 20),
        (Board.BSE, False, dt.date(2024, 1, 2), 30),
    ],
)
def test_price_limit_percentage_is_dated(board, st, date, pct):
    assert limit_pct(board, st, date) == pct


def test_board_before_its_launch_has_no_rule():
    with pytest.raises(UnknownSymbolError, match="no price-limit rule"):
        limit_pct(Board.STAR, False, dt.date(2019, 1, 2))


@pytest.mark.parametrize(
    ("preclose", "board", "st", "expected"),
    [
        (10.05, Board.MAIN, False, (11.06, 9.05)),  # 11.055 and 9.045 round half up
        (10.00, Board.MAIN, True, (10.50, 9.50)),
        (9.99, Board.CHINEXT, False, (11.99, 7.99)),  # 11.988, 7.992
        (3.33, Board.BSE, False, (4.33, 2.33)),  # 4.329, 2.331
        (0.01, Board.MAIN, False, (0.01, 0.01)),  # never below one fen
    ],
)
def test_limit_prices_round_half_up_to_the_fen(preclose, board, st, expected):
    assert limit_prices(preclose, board, st, dt.date(2024, 3, 1)) == expected


@given(fen=st.integers(min_value=1, max_value=10_000_000), pct=st.sampled_from([5, 10, 20, 30]))
def test_integer_limit_prices_equal_decimal_half_up(fen, pct):
    up, down = limit_prices_fen(np.array([fen]), np.array([pct]))
    price = Decimal(fen) / 100
    want_up = (price * (100 + pct) / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    want_down = (price * (100 - pct) / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert Decimal(int(up[0])) / 100 == want_up
    assert Decimal(int(down[0])) / 100 == max(want_down, Decimal("0.01"))


@pytest.mark.parametrize(
    ("board", "listed", "days", "cap"),
    [
        (Board.MAIN, dt.date(2022, 6, 1), 1, (44, 36)),
        (Board.MAIN, dt.date(2023, 4, 10), 5, None),
        (Board.CHINEXT, dt.date(2020, 8, 21), 1, (44, 36)),
        (Board.CHINEXT, dt.date(2020, 8, 24), 5, None),
        (Board.STAR, dt.date(2019, 7, 22), 5, None),
        (Board.BSE, dt.date(2024, 5, 1), 1, None),
    ],
)
def test_ipo_no_limit_period_depends_on_board_and_listing_date(board, listed, days, cap):
    rule = ipo_rule(board, listed)
    assert rule is not None
    assert (rule.days, rule.first_day_cap) == (days, cap)


@pytest.mark.parametrize(
    ("board", "quantity", "fragment"),
    [
        (Board.MAIN, 100, None),
        (Board.MAIN, 1500, None),
        (Board.MAIN, 150, "not on the main lot grid"),
        (Board.MAIN, 50, "below the main minimum of 100"),
        (Board.CHINEXT, 300, None),
        (Board.STAR, 200, None),
        (Board.STAR, 201, None),
        (Board.STAR, 199, "below the star minimum of 200"),
        (Board.STAR, 100, "below the star minimum of 200"),
        (Board.BSE, 101, None),
        (Board.STAR, 100_001, "exceeds the per-order maximum"),
    ],
)
def test_buy_lot_rules_per_board(board, quantity, fragment):
    error = buy_quantity_error(board, quantity)
    if fragment is None:
        assert error is None
    else:
        assert error is not None and fragment in error


@pytest.mark.parametrize(
    ("board", "quantity", "sellable", "valid"),
    [
        (Board.MAIN, 100, 150, True),
        (Board.MAIN, 50, 150, True),  # the odd-lot remainder in one order
        (Board.MAIN, 150, 150, True),
        (Board.MAIN, 30, 150, False),  # part of the odd lot
        (Board.MAIN, 120, 250, False),
        (Board.MAIN, 200, 150, False),  # more than sellable (T+1)
        (Board.STAR, 250, 250, True),
        (Board.STAR, 150, 150, True),  # below 200 only as the whole holding
        (Board.STAR, 150, 400, False),
        (Board.STAR, 201, 400, True),
        (Board.MAIN, 0, 100, False),
    ],
)
def test_sell_rules_allow_odd_lots_only_as_a_whole_remainder(board, quantity, sellable, valid):
    assert (sell_quantity_error(board, quantity, sellable) is None) is valid


@pytest.mark.parametrize(
    ("board", "wanted", "rounded"),
    [
        (Board.MAIN, 1234.5, 1200),
        (Board.MAIN, 99, 0),
        (Board.STAR, 199.9, 0),
        (Board.STAR, 250.7, 250),
        (Board.BSE, 100.2, 100),
    ],
)
def test_buy_quantities_round_down_onto_the_lot_grid(board, wanted, rounded):
    assert round_buy_quantity(board, wanted) == rounded
