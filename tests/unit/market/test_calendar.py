import datetime as dt

import pytest

from quantlib.core.dates import SHANGHAI
from quantlib.core.errors import DateError, NotATradingDayError
from quantlib.market.calendar import SessionPhase, TradingCalendar, default_calendar
from quantlib.market.symbols import Exchange


@pytest.fixture(scope="module")
def cal() -> TradingCalendar:
    return default_calendar()


def test_national_day_week_is_closed(cal):
    assert not cal.is_trading_day("2026-10-01")
    assert cal.next_trading_day("2026-09-30") == dt.date(2026, 10, 8)
    assert cal.previous_trading_day("2026-10-08") == dt.date(2026, 9, 30)


def test_weekends_are_closed_and_counting_moves_by_trading_days(cal):
    assert not cal.is_trading_day("2024-01-06")
    assert cal.offset("2024-01-05", 1) == dt.date(2024, 1, 8)
    assert cal.offset("2024-01-08", -1) == dt.date(2024, 1, 5)
    assert len(cal.trading_days("2024-01-01", "2024-01-31")) == 22


def test_non_trading_day_is_refused_with_the_previous_trading_day(cal):
    with pytest.raises(NotATradingDayError, match="2024-02-08"):
        cal.require_trading_day("2024-02-12")


def test_dates_outside_the_published_calendar_are_refused(cal):
    with pytest.raises(DateError, match="outside the trading calendar"):
        cal.is_trading_day("2031-01-02")
    with pytest.raises(DateError, match="outside the trading calendar"):
        cal.is_trading_day("1985-01-02")


@pytest.mark.parametrize(
    ("clock", "phase"),
    [
        ((9, 16), SessionPhase.OPENING_AUCTION),
        ((9, 22), SessionPhase.OPENING_AUCTION_NO_CANCEL),
        ((9, 27), SessionPhase.PRE_OPEN),
        ((10, 0), SessionPhase.CONTINUOUS),
        ((12, 0), SessionPhase.LUNCH_BREAK),
        ((14, 58), SessionPhase.CLOSING_AUCTION),
        ((15, 10), SessionPhase.AFTER_HOURS_FIXED_PRICE),
        ((20, 0), SessionPhase.CLOSED),
    ],
)
def test_session_phases(cal, clock, phase):
    moment = dt.datetime(2024, 3, 1, *clock, tzinfo=SHANGHAI)
    assert cal.phase_at(moment) is phase


def test_sse_had_no_closing_auction_before_2018_08_20(cal):
    moment = dt.datetime(2018, 8, 17, 14, 58, tzinfo=SHANGHAI)
    assert cal.phase_at(moment, Exchange.SH) is SessionPhase.CONTINUOUS
    assert cal.phase_at(moment, Exchange.SZ) is SessionPhase.CLOSING_AUCTION


def test_holiday_and_naive_moments(cal):
    assert cal.phase_at(dt.datetime(2026, 10, 1, 10, tzinfo=SHANGHAI)) is SessionPhase.CLOSED
    with pytest.raises(DateError, match="naive"):
        cal.phase_at(dt.datetime(2024, 3, 1, 10))


def test_a_day_has_240_minute_bars_labelled_by_their_end(cal):
    ends = cal.minute_bar_ends("2024-03-01")
    assert len(ends) == 240
    assert [t.strftime("%H:%M") for t in ends[[0, 119, 120, 239]]] == [
        "09:31",
        "11:30",
        "13:01",
        "15:00",
    ]
    assert str(ends.tz) == "Asia/Shanghai"


def test_merging_extends_into_newly_published_years(cal):
    extended = cal.merged(["2027-01-04", "2027-01-05"])
    assert extended.last == dt.date(2027, 1, 5)
    assert extended.next_trading_day(cal.last) == dt.date(2027, 1, 4)
    assert len(extended) == len(cal) + 2
