"""Broker records and events survive JSON exactly; bad messages are named."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from quantlib.broker.codec import CodecError, decode, encode
from quantlib.broker.events import ConnectionEvent, ConnectionState, OrderEvent, QuoteEvent
from quantlib.core.dates import SHANGHAI
from quantlib.model.enums import Side
from quantlib.model.orders import Reason
from quantlib.model.status import BrokerOrderStatus
from quantlib.model.trading import BrokerOrder, OrderRequest, PriceType, Quote

NOW = dt.datetime(2026, 11, 24, 10, 0, 1, 500, tzinfo=SHANGHAI)


def test_records_and_events_round_trip_through_json() -> None:
    order = BrokerOrder(
        "T1",
        "600000.SH",
        Side.SELL,
        300,
        PriceType.BEST5_CANCEL,
        Decimal("9.80"),
        BrokerOrderStatus.PART_CANCEL,
        NOW,
        NOW,
        200,
        Decimal("9.815"),
        Decimal("5.98"),
        "77",
        Reason.IMMEDIATE_OR_CANCEL,
        "剩余撤销",
    )
    quote = Quote(
        "000001.SZ",
        NOW,
        Decimal("12.34"),
        Decimal("12.00"),
        1200,
        Decimal("14808"),
        ((Decimal("12.33"), 500),),
        ((Decimal("12.35"), 700),),
        Decimal("13.20"),
        Decimal("10.80"),
    )
    for item in (
        OrderEvent(order),
        QuoteEvent(quote),
        ConnectionEvent(ConnectionState.FAILED, "x", NOW),
    ):
        assert decode(json.loads(json.dumps(encode(item)))) == item


@pytest.mark.parametrize(
    ("message", "match"),
    [
        ({"type": "nope"}, "unknown record type"),
        (
            {
                "type": "order_request",
                "symbol": "600000.SH",
                "side": "buy",
                "quantity": 100,
                "limit_price": "10",
                "colour": 1,
            },
            "unknown fields colour",
        ),
        (
            {
                "type": "order_request",
                "symbol": "600000.SH",
                "side": "buy",
                "quantity": "100",
                "limit_price": "10",
            },
            "order_request.quantity",
        ),
        (
            {
                "type": "order_request",
                "symbol": "600000.SH",
                "side": "buy",
                "quantity": 100,
                "limit_price": "NaN",
            },
            "limit_price",
        ),
        (
            {"type": "connection_event", "state": "connected", "time": "2026-11-24T10:00:00"},
            "no UTC offset",
        ),
        ([1, 2], "expected an object"),
    ],
)
def test_bad_messages_are_refused_naming_the_problem(message: object, match: str) -> None:
    with pytest.raises(CodecError, match=match):
        decode(message)


def test_an_unexpected_type_is_refused() -> None:
    request = OrderRequest("600000.SH", Side.BUY, 100, limit_price=Decimal(10))
    with pytest.raises(CodecError, match="expected"):
        decode(encode(request), BrokerOrder)
