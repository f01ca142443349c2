"""Fields derived by the market's rules: status, reference price, limits."""

import datetime as dt

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from quantlib.data.derive import (
    ex_rights_preclose,
    limit_bands,
    listing_rules,
    listing_status,
)
from quantlib.data.layout import Status
from quantlib.market.boards import Board, ipo_rule
from quantlib.market.calendar import default_calendar


@settings(max_examples=50, deadline=None)
@given(
    boards=st.lists(st.sampled_from(list(Board)), min_size=1, max_size=20),
    days=st.lists(st.dates(dt.date(2010, 1, 1), dt.date(2026, 12, 31)), min_size=20, max_size=20),
)
def test_vectorised_ipo_rules_agree_with_the_scalar_rule(boards, days):
    dates = np.array(days[: len(boards)], dtype="datetime64[D]")
    rules = listing_rules(
        np.array([b.value for b in boards], dtype=object), dates, default_calendar()
    )
    for index, (board, day) in enumerate(zip(boards, days, strict=False)):
        rule = ipo_rule(board, day)
        expected_days = rule.days if rule else 0
        expected_cap = rule.first_day_cap if rule and rule.first_day_cap else (-1, -1)
        assert rules.ipo_days[index] == expected_days
        assert (rules.cap_up[index], rules.cap_down[index]) == expected_cap


def test_status_distinguishes_unlisted_trading_suspended_and_delisted():
    days = np.array(["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05"], dtype="datetime64[D]")
    list_dates = np.array(["2024-01-03"], dtype="datetime64[D]")
    delist_dates = np.array(["2024-01-05"], dtype="datetime64[D]")
    traded = np.array([[False], [True], [False], [False]])
    status = listing_status(days, list_dates, delist_dates, traded)
    assert status[:, 0].tolist() == [
        Status.NOT_LISTED,
        Status.TRADING,
        Status.SUSPENDED,
        Status.DELISTED,
    ]


def test_reference_price_carries_over_suspensions_and_scales_by_the_factor():
    close = np.array([[np.nan], [10.0], [np.nan]])
    factor = np.array([[1.0], [1.0], [1.1]])  # ex-date on the third day
    preclose = ex_rights_preclose(close, factor, np.array([9.5]), np.array([1.0]))
    assert preclose[:, 0].tolist() == [9.5, 9.5, round(10.0 / 1.1, 2)]


def test_star_ipo_has_no_limit_for_five_days_then_twenty_percent():
    calendar = default_calendar()
    listed = np.datetime64("2024-03-01", "D")
    days = calendar.trading_days("2024-03-01", "2024-03-12")
    rules = listing_rules(np.array(["star"], dtype=object), np.array([listed]), calendar)
    preclose = np.full((len(days), 1), 10.0)
    up, down = limit_bands(preclose, np.zeros_like(preclose, dtype=np.int8), days, rules, calendar)
    assert np.isnan(up[:5, 0]).all() and np.isnan(down[:5, 0]).all()
    assert up[5, 0] == 12.0 and down[5, 0] == 8.0


def test_old_main_board_ipo_day_is_capped_at_44_percent():
    calendar = default_calendar()
    days = calendar.trading_days("2022-06-01", "2022-06-02")
    rules = listing_rules(
        np.array(["main"], dtype=object), np.array(["2022-06-01"], dtype="datetime64[D]"), calendar
    )
    preclose = np.array([[10.0], [14.4]])
    up, down = limit_bands(preclose, np.zeros((2, 1), dtype=np.int8), days, rules, calendar)
    assert (up[0, 0], down[0, 0]) == (14.4, 6.4)
    assert (up[1, 0], down[1, 0]) == (15.84, 12.96)
