"""xtquant objects to and from broker records: exact money, real constants, remarks."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from quantlib.broker.qmt import mapping
from quantlib.broker.qmt.simulator import counter_message
from quantlib.core.dates import SHANGHAI
from quantlib.core.vendor import import_submodule
from quantlib.model.enums import Side
from quantlib.model.orders import Reason
from quantlib.model.status import BrokerOrderStatus, InvalidTransitionError
from quantlib.model.trading import PriceType, Quote


@pytest.fixture(scope="module", autouse=True)
def vendor() -> Iterator[None]:
    """The wheel's pure-Python modules, removed again afterwards."""
    global xtconstant, xttype
    before = {name for name in sys.modules if name.startswith("xtquant")}
    xtconstant = import_submodule("xtquant", "xtconstant")
    xttype = import_submodule("xtquant", "xttype")
    yield
    for name in [name for name in sys.modules if name.startswith("xtquant")]:
        if name not in before:
            del sys.modules[name]


xtconstant: Any = None
xttype: Any = None

MOMENT = dt.datetime(2026, 11, 24, 10, 0, tzinfo=SHANGHAI)


def xt_order(status: int = 50, traded: int = 0, remark: str = "T0ABC", price_type: int = 11):
    return xttype.XtOrder(
        "8880001", "600000.SH", 7, "700007", int(MOMENT.timestamp()), 23, 500,
        price_type, 10.01, traded, 10.01 if traded else 0.0, status, "", "quantlib",
        remark, 48, 48, "", "",
    )  # fmt: skip


def test_constants_are_the_wheels() -> None:
    assert (mapping.STOCK_BUY, mapping.STOCK_SELL) == (xtconstant.STOCK_BUY, xtconstant.STOCK_SELL)
    assert mapping.FIX_PRICE == xtconstant.FIX_PRICE
    assert mapping.SECURITY_ACCOUNT == xtconstant.SECURITY_ACCOUNT
    assert mapping.DIRECTION_FLAG_LONG == xtconstant.DIRECTION_FLAG_LONG
    assert mapping.OFFSET_FLAGS[Side.BUY] == xtconstant.OFFSET_FLAG_OPEN
    assert mapping.OFFSET_FLAGS[Side.SELL] == xtconstant.OFFSET_FLAG_CLOSE
    assert mapping.ACCOUNT_STATUS_OK == xtconstant.ACCOUNT_STATUS_OK
    assert (mapping.SH_MARKET, mapping.SZ_MARKET) == (xtconstant.SH_MARKET, xtconstant.SZ_MARKET)
    shanghai = mapping.PRICE_TYPES["SH"]
    assert shanghai[PriceType.BEST5_CANCEL] == xtconstant.MARKET_SH_CONVERT_5_CANCEL
    assert shanghai[PriceType.BEST5_LIMIT] == xtconstant.MARKET_SH_CONVERT_5_LIMIT
    shenzhen = mapping.PRICE_TYPES["SZ"]
    assert shenzhen[PriceType.COUNTERPARTY_BEST] == xtconstant.MARKET_PEER_PRICE_FIRST
    assert shenzhen[PriceType.OWN_BEST] == xtconstant.MARKET_MINE_PRICE_FIRST
    assert shenzhen[PriceType.IMMEDIATE_OR_CANCEL] == xtconstant.MARKET_SZ_INSTBUSI_RESTCANCEL
    assert shenzhen[PriceType.BEST5_CANCEL] == xtconstant.MARKET_SZ_CONVERT_5_CANCEL
    assert shenzhen[PriceType.FILL_OR_KILL] == xtconstant.MARKET_SZ_FULL_OR_CANCEL


@pytest.mark.parametrize(
    ("price_type", "symbol", "code"),
    [
        (PriceType.LIMIT, "600000.SH", 11),
        (PriceType.LIMIT, "000001.SZ", 11),
        (PriceType.BEST5_CANCEL, "600000.SH", 42),
        (PriceType.BEST5_LIMIT, "600000.SH", 43),
        (PriceType.COUNTERPARTY_BEST, "600000.SH", 44),
        (PriceType.OWN_BEST, "000001.SZ", 45),
        (PriceType.IMMEDIATE_OR_CANCEL, "000001.SZ", 46),
        (PriceType.BEST5_CANCEL, "000001.SZ", 47),
        (PriceType.FILL_OR_KILL, "000001.SZ", 48),
        (PriceType.FILL_OR_KILL, "600000.SH", None),
        (PriceType.IMMEDIATE_OR_CANCEL, "688001.SH", None),
        (PriceType.BEST5_LIMIT, "000001.SZ", None),
    ],
)
def test_price_types_map_per_exchange(price_type: PriceType, symbol: str, code: int | None) -> None:
    assert mapping.xt_price_type(price_type, symbol) == code
    if code is not None:
        assert mapping.price_type_of(code, symbol) is price_type


def test_order_from_xt_reads_prices_exactly_and_keeps_pending_cancel() -> None:
    order = mapping.order_from_xt(xt_order(status=52, traded=200), "T0ABC", now=MOMENT)
    assert order.limit_price == Decimal("10.01") and order.avg_price == Decimal("10.01")
    assert order.status is BrokerOrderStatus.PARTSUCC_CANCEL and not order.status.is_terminal
    assert (order.side, order.quantity, order.filled) == (Side.BUY, 500, 200)
    assert order.broker_order_id == "7" and order.created == MOMENT


@pytest.mark.parametrize("status", [53, 54, 56, 57])
def test_part_cancelled_cancelled_filled_and_junk_are_terminal(status: int) -> None:
    traded = {53: 200, 54: 0, 56: 500, 57: 0}[status]
    order = mapping.order_from_xt(xt_order(status=status, traded=traded), "T0ABC", now=MOMENT)
    assert order.status.is_terminal


def test_unknown_status_255_is_refused() -> None:
    with pytest.raises(InvalidTransitionError, match="255"):
        mapping.order_from_xt(xt_order(status=255), "T0ABC", now=MOMENT)


def test_junk_order_reason_is_read_from_the_counter_message() -> None:
    xt = xt_order(status=57)
    xt.status_msg = "[COUNTER] [-150906130][可用资金不足]"
    order = mapping.order_from_xt(xt, "T0ABC", now=MOMENT)
    assert order.reason is Reason.INSUFFICIENT_CASH and "可用资金不足" in order.message


def test_fill_from_xt_takes_commission_as_exact_fees() -> None:
    trade = xttype.XtTrade(
        "8880001", "000001.SZ", 24, "T123", int(MOMENT.timestamp()), 12.35, 300, 3705.0,
        9, "700009", "quantlib", "T0ABC", 48, 49, 5.1, "", "",
    )  # fmt: skip
    fill = mapping.fill_from_xt(trade, "T0ABC")
    assert (fill.side, fill.quantity, fill.price, fill.fees) == (
        Side.SELL,
        300,
        Decimal("12.35"),
        Decimal("5.10"),
    )
    assert (fill.trade_id, fill.broker_order_id, fill.time) == ("T123", "9", MOMENT)


def test_position_sellable_is_can_use_volume_and_asset_cash_is_exact() -> None:
    xt_position = xttype.XtPosition(
        "8880001", "600000.SH", 1200, 1000, 10.0, 12012.0, 0, 0, 1000, 10.003, 48, 10.01,
        0.0, "", "",
    )  # fmt: skip
    position = mapping.position_from_xt(xt_position)
    assert (position.quantity, position.sellable, position.avg_cost) == (
        1200,
        1000,
        Decimal("10.003"),
    )
    assert position.market_value == Decimal("12012.00")
    account = mapping.account_from_xt(xttype.XtAsset("8880001", 998000.1, 0.3, 1.0, 2.0, 0.0))
    assert (account.cash, account.frozen_cash) == (Decimal("998000.10"), Decimal("0.30"))


@pytest.mark.parametrize(
    ("remark", "expected"),
    [("T0MFX3K2Q1A7H2C9", "T0MFX3K2Q1A7H2C9"), ("", None), ("手工单", None), (None, None)],
)
def test_only_a_client_order_id_in_the_remark_is_ours(remark: object, expected: str | None) -> None:
    assert mapping.client_id_of(remark) == expected


@pytest.mark.parametrize("reason", sorted({reason for _, reason in mapping.COUNTER_PHRASES}))
def test_simulator_messages_read_back_as_their_reason(reason: Reason) -> None:
    assert mapping.reason_from_message(counter_message(reason, "detail 11.5")) is reason


def test_unrecognised_message_is_a_broker_rejection() -> None:
    assert mapping.reason_from_message("柜台返回错误") is Reason.BROKER_REJECTED


def test_tick_round_trip_keeps_prices_levels_and_volume_in_shares() -> None:
    quote = Quote(
        "600000.SH",
        MOMENT,
        last=Decimal("10.00"),
        pre_close=Decimal("9.90"),
        volume=12_300,
        amount=Decimal("123000.00"),
        bids=((Decimal("9.99"), 500),),
        asks=((Decimal("10.01"), 700), (Decimal("10.02"), 100)),
    )
    back = mapping.quote_from_tick("600000.SH", mapping.tick_from_quote(quote))
    assert back == quote
