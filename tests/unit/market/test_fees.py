import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quantlib.core.errors import ConfigError
from quantlib.market.fees import FeeConfig, FeeSchedule
from quantlib.market.symbols import Exchange
from quantlib.model.enums import Side

BEFORE, AFTER = dt.date(2023, 8, 25), dt.date(2023, 8, 28)


@pytest.mark.parametrize(
    ("date", "stamp"), [(BEFORE, Decimal("100.00")), (AFTER, Decimal("50.00"))]
)
def test_stamp_duty_halved_on_2023_08_28_and_sell_only(date, stamp):
    fees = FeeSchedule()
    assert fees.compute(Side.SELL, Decimal("100000"), Exchange.SH, date).stamp_duty == stamp
    assert fees.compute(Side.BUY, Decimal("100000"), Exchange.SH, date).stamp_duty == 0


def test_minimum_commission_applies_per_order():
    fees = FeeSchedule()
    small = fees.compute(Side.BUY, Decimal("10000"), Exchange.SZ, AFTER)
    assert small.commission == Decimal("5.00")  # 2.5 instead of 5
    large = fees.compute(Side.BUY, Decimal("100000"), Exchange.SZ, AFTER)
    assert large.commission == Decimal("25.00")


def test_waived_minimum_commission_charges_the_rate_only():
    fees = FeeSchedule(FeeConfig(min_commission=Decimal(0)))
    assert fees.compute(Side.BUY, Decimal("10000"), Exchange.SZ, AFTER).commission == Decimal(
        "2.50"
    )


@pytest.mark.parametrize(
    ("date", "exchange", "fee"),
    [
        (dt.date(2022, 4, 28), Exchange.SH, Decimal("2.00")),
        (dt.date(2022, 4, 29), Exchange.SH, Decimal("1.00")),
        (dt.date(2022, 4, 28), Exchange.BJ, Decimal("0.00")),
        (dt.date(2024, 1, 2), Exchange.BJ, Decimal("1.00")),
    ],
)
def test_transfer_fee_history(date, exchange, fee):
    fees = FeeSchedule()
    assert fees.compute(Side.BUY, Decimal("100000"), exchange, date).transfer_fee == fee


def test_net_commission_accounts_add_exchange_fees():
    gross = FeeSchedule().compute(Side.BUY, Decimal("1000000"), Exchange.SH, AFTER)
    net = FeeSchedule(FeeConfig(commission_includes_exchange_fees=False)).compute(
        Side.BUY, Decimal("1000000"), Exchange.SH, AFTER
    )
    assert gross.exchange_fees == 0
    assert net.exchange_fees == Decimal("54.10")  # 0.00341% handling + 0.002% levy


def test_unrounded_fees_keep_full_precision():
    fees = FeeSchedule(FeeConfig(round_to_fen=False))
    result = fees.compute(Side.SELL, Decimal("12345.67"), Exchange.SH, AFTER)
    assert result.stamp_duty == Decimal("12345.67") * Decimal("0.0005")


def test_float_rates_match_the_schedule():
    rates = FeeSchedule().rates(AFTER, Exchange.SH)
    assert rates.stamp_duty_sell == 0.0005 and rates.stamp_duty_buy == 0.0
    assert rates.commission_rate == 0.00025 and rates.min_commission == 5.0
    assert rates.transfer_fee == 0.00001


def test_negative_value_is_refused():
    with pytest.raises(ConfigError, match="must not be negative"):
        FeeSchedule().compute(Side.BUY, Decimal("-1"), Exchange.SH, AFTER)


def test_unknown_config_keys_and_bad_rates_are_refused():
    with pytest.raises(ValueError, match="commision_rate"):
        FeeConfig(commision_rate=Decimal("0.0003"))  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="commission_rate"):
        FeeConfig(commission_rate=Decimal("-0.1"))


@given(
    value=st.decimals(min_value=0, max_value=10**9, places=2),
    side=st.sampled_from(list(Side)),
    exchange=st.sampled_from(list(Exchange)),
    date=st.dates(min_value=dt.date(2005, 1, 1), max_value=dt.date(2030, 1, 1)),
)
def test_fees_are_never_negative_and_total_adds_up(value, side, exchange, date):
    result = FeeSchedule(FeeConfig(commission_includes_exchange_fees=False)).compute(
        side, value, exchange, date
    )
    assert all(item >= 0 for item in result)
    assert result.total == sum(result, Decimal(0))
