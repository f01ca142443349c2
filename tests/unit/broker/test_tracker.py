"""The order tracker: duplicated and out-of-order pushes, fills counted once, broker
ids mapped, impossible reports turned into notices."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from quantlib.broker.errors import UnknownOrderError
from quantlib.broker.events import (
    BrokerNotice,
    CancelRejectedEvent,
    EventQueue,
    NoticeKind,
    OrderEvent,
    TradeEvent,
)
from quantlib.broker.tracker import OrderTracker
from quantlib.core.dates import SHANGHAI
from quantlib.model.enums import Side
from quantlib.model.orders import Reason
from quantlib.model.status import BrokerOrderStatus as S
from quantlib.model.trading import Fill, InvalidOrderError, OrderRequest

NOW = dt.datetime(2026, 11, 24, 10, 0, tzinfo=SHANGHAI)


def make() -> tuple[OrderTracker, EventQueue, str]:
    events = EventQueue()
    tracker = OrderTracker(events, clock=lambda: NOW)
    order = tracker.add(OrderRequest("600000.SH", Side.BUY, 300, limit_price=Decimal("10")))
    tracker.link(order.client_order_id, "42")
    return tracker, events, order.client_order_id


def fill(client_id: str, trade_id: str, quantity: int, price: str = "10.00") -> Fill:
    return Fill(trade_id, client_id, "600000.SH", Side.BUY, quantity, Decimal(price), NOW)


def test_new_order_gets_an_id_and_is_reported() -> None:
    _, events, client_id = make()
    assert len(client_id) <= 24
    [event] = events.drain()
    assert isinstance(event, OrderEvent) and event.order.status is S.UNREPORTED


def test_a_client_order_id_is_used_once() -> None:
    tracker, _, client_id = make()
    with pytest.raises(InvalidOrderError, match="already in use"):
        tracker.add(
            OrderRequest(
                "600000.SH", Side.BUY, 100, limit_price=Decimal(1), client_order_id=client_id
            )
        )


def test_duplicated_and_stale_pushes_raise_no_events() -> None:
    tracker, events, client_id = make()
    events.drain()
    tracker.report(client_id, S.REPORTED)
    tracker.report(client_id, S.REPORTED)
    tracker.report(client_id, S.PART_SUCC, 200)
    tracker.report(client_id, S.PART_SUCC, 100)
    tracker.report(client_id, S.REPORTED, 0)
    states = [(e.order.status, e.order.filled) for e in events.drain() if isinstance(e, OrderEvent)]
    assert states == [(S.REPORTED, 0), (S.PART_SUCC, 200)]


def test_each_trade_counts_once_and_sets_average_price_and_fees() -> None:
    tracker, events, client_id = make()
    assert tracker.fill(fill(client_id, "t1", 100, "10.00"))
    assert not tracker.fill(fill(client_id, "t1", 100, "10.00"))
    assert tracker.fill(fill(client_id, "t2", 200, "10.03"))
    order = tracker.get(client_id)
    assert (order.status, order.filled, order.avg_price) == (S.SUCCEEDED, 300, Decimal("10.020"))
    assert len([e for e in events.drain() if isinstance(e, TradeEvent)]) == 2


def test_trade_after_the_order_push_that_counted_it_still_arrives() -> None:
    tracker, _, client_id = make()
    tracker.report(client_id, S.SUCCEEDED, 300)
    assert tracker.fill(fill(client_id, "t1", 300))
    assert tracker.get(client_id).avg_price == Decimal("10.000")


def test_trade_matched_by_the_broker_order_id() -> None:
    tracker, _, client_id = make()
    stray = Fill("t9", "", "600000.SH", Side.BUY, 100, Decimal(10), NOW, broker_order_id="42")
    assert tracker.fill(stray)
    assert tracker.get(client_id).filled == 100


def test_overfill_and_impossible_reports_become_notices() -> None:
    tracker, events, client_id = make()
    tracker.fill(fill(client_id, "t1", 300))
    events.drain()
    assert not tracker.fill(fill(client_id, "t2", 100))
    tracker.report(client_id, S.CANCELED, 0)
    notices = [e for e in events.drain() if isinstance(e, BrokerNotice)]
    assert [n.kind for n in notices] == [NoticeKind.INVALID_REPORT] * 2
    assert tracker.get(client_id).status is S.SUCCEEDED


def test_unknown_order_reports_become_notices_and_lookups_raise() -> None:
    tracker, events, _ = make()
    events.drain()
    tracker.report("NOPE", S.REPORTED)
    [event] = events.drain()
    assert isinstance(event, BrokerNotice) and event.kind is NoticeKind.UNKNOWN_ORDER
    with pytest.raises(UnknownOrderError, match="NOPE"):
        tracker.get("NOPE")


def test_refused_cancel_returns_the_order_to_where_it_was() -> None:
    tracker, events, client_id = make()
    tracker.report(client_id, S.REPORTED)
    tracker.cancel_requested(client_id)
    assert tracker.get(client_id).status is S.REPORTED_CANCEL
    events.drain()
    tracker.cancel_rejected(client_id, Reason.CANCEL_NOT_ALLOWED, "closing auction")
    first, second = events.drain()
    assert isinstance(first, CancelRejectedEvent) and first.reason is Reason.CANCEL_NOT_ALLOWED
    assert isinstance(second, OrderEvent) and second.order.status is S.REPORTED


def test_an_order_ended_after_a_cancel_request_says_it_was_cancelled() -> None:
    tracker, _, client_id = make()
    tracker.report(client_id, S.REPORTED)
    tracker.cancel_requested(client_id)
    ended = tracker.report(client_id, S.CANCELED, 0)
    assert ended is not None and ended.reason is Reason.CANCELLED_BY_USER
