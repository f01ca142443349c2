"""Events survive a dropped link: replayed once and in order, or resynced after a gap."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from quantlib.broker.bridge.client import BridgeBroker
from quantlib.broker.bridge.log import EventLog, Subscriber
from quantlib.broker.codec import decode
from quantlib.broker.errors import BrokerUnavailableError
from quantlib.broker.events import (
    BrokerEvent,
    BrokerNotice,
    ConnectionEvent,
    ConnectionState,
    EventQueue,
    NoticeKind,
    OrderEvent,
    TradeEvent,
)
from quantlib.broker.paper.broker import PaperBroker
from quantlib.model.enums import Side
from quantlib.model.status import BrokerOrderStatus as S
from quantlib.model.trading import OrderRequest
from tests.integration.broker.harness import DAY, HELD_SYMBOL, at, quote
from tests.integration.broker.test_contract_bridge import (
    WAIT,
    BridgeHarness,
    venue_harness,
    wait_until,
)


def buy(quantity: int, price: str) -> OrderRequest:
    return OrderRequest(HELD_SYMBOL, Side.BUY, quantity, limit_price=Decimal(price))


def order_events(events: EventQueue) -> list[tuple[str, S, int]]:
    return [
        (e.order.client_order_id, e.order.status, e.order.filled)
        for e in events.seen
        if isinstance(e, OrderEvent)
    ]


def connected(harness: BridgeHarness, events: EventQueue) -> BridgeBroker:
    client = harness.open(events)
    assert isinstance(client, BridgeBroker)
    client.connect()
    harness.quote(quote(HELD_SYMBOL, at(DAY, 10, 0), "10.00"))
    return client


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[BridgeHarness]:
    harness = BridgeHarness(venue_harness(tmp_path))
    yield harness
    harness.close()


@pytest.fixture
def small_harness(tmp_path: Path) -> Iterator[BridgeHarness]:
    harness = BridgeHarness(venue_harness(tmp_path), capacity=3)
    yield harness
    harness.close()


def venue_broker(harness: BridgeHarness) -> PaperBroker:
    broker = harness.server.broker
    assert isinstance(broker, PaperBroker), "these scenarios drive the paper venue"
    return broker


def test_a_request_returns_after_the_events_it_caused_were_reported(
    harness: BridgeHarness,
) -> None:
    events = EventQueue()
    client = connected(harness, events)
    order = client.place_order(buy(100, "9.50"))
    reported = events.drain()
    assert any(
        isinstance(e, OrderEvent) and e.order.client_order_id == order.client_order_id
        for e in reported
    )


def test_events_while_the_stream_is_down_arrive_once_in_order_after_reconnecting(
    harness: BridgeHarness,
) -> None:
    events = EventQueue()
    client = connected(harness, events)
    first = client.place_order(buy(100, "9.50"))
    harness.drop_link(client)
    with pytest.raises(BrokerUnavailableError, match="reconnect"):
        client.place_order(buy(100, "9.50"))
    venue = venue_broker(harness)
    placed = [venue.place_order(buy(100, price)) for price in ("9.60", "9.70", "9.80")]
    venue.cancel_order(first.client_order_id)
    expected = [
        (e.order.client_order_id, e.order.status, e.order.filled)
        for e in logged_since(harness, 0)
        if isinstance(e, OrderEvent)
    ]
    harness.restore_link(client)
    wait_until(lambda: len(order_events(_drained(events))) >= len(expected), what="replay")
    assert order_events(events) == expected
    states = [e.state for e in events.seen if isinstance(e, ConnectionEvent)]
    assert states[-2:] == [ConnectionState.RECONNECTING, ConnectionState.CONNECTED]
    assert {p.client_order_id for p in placed} <= {o[0] for o in order_events(events)}
    client.disconnect()


def test_a_reconnect_past_the_buffer_reports_a_gap_and_resyncs_without_losing_a_fill(
    small_harness: BridgeHarness,
) -> None:
    events = EventQueue()
    client = connected(small_harness, events)
    resting = client.place_order(buy(300, "9.95"))
    small_harness.drop_link(client)
    venue = venue_broker(small_harness)
    for price in ("9.50", "9.51", "9.52", "9.53"):
        venue.place_order(buy(100, price))
    small_harness.quote(quote(HELD_SYMBOL, at(DAY, 10, 5), "9.93", ask="9.94"))
    small_harness.restore_link(client)

    gap = events.wait_for(lambda e: isinstance(e, BrokerNotice), WAIT)
    assert isinstance(gap, BrokerNotice) and gap.kind is NoticeKind.REPLAY_GAP
    events.wait_for(
        lambda e: (
            isinstance(e, OrderEvent)
            and e.order.client_order_id == resting.client_order_id
            and e.order.status is S.SUCCEEDED
        ),
        WAIT,
    )
    small_harness.quote(quote(HELD_SYMBOL, at(DAY, 10, 6), "9.93", ask="9.94"))
    client.query_account()
    events.drain()
    fills = [
        e.fill
        for e in events.seen
        if isinstance(e, TradeEvent) and e.fill.client_order_id == resting.client_order_id
    ]
    assert [f.quantity for f in fills] == [300]
    assert len({o[0] for o in order_events(events)}) == 5
    client.disconnect()


def test_unknown_query_answers_travel_as_none(tmp_path: Path) -> None:
    class BlindHarness(BridgeHarness):
        pass

    venue = venue_harness(tmp_path)
    harness = BlindHarness(venue)
    try:
        client = connected(harness, EventQueue())
        broker = venue_broker(harness)
        for name in ("query_account", "query_positions", "query_orders", "query_trades"):
            setattr(broker, name, lambda: None)
        assert client.query_account() is None
        assert client.query_positions() is None
        assert client.query_orders() is None
        assert client.query_trades() is None
        client.disconnect()
    finally:
        harness.close()


def test_event_log_replays_after_a_number_and_reports_a_gap_before_its_oldest() -> None:
    log = EventLog(capacity=3)
    for _ in range(5):
        log(ConnectionEvent(ConnectionState.CONNECTED))

    subscriber = Quiet.__new__(Quiet)
    replay = log.subscribe(subscriber, since=2)
    assert (replay.gap, len(replay.messages), replay.first, replay.last) == (False, 3, 3, 5)
    assert log.subscribe(subscriber, since=1).gap
    assert log.subscribe(subscriber, since=6).gap
    assert log.subscribe(subscriber, since=5, server_id="another-run").gap
    assert log.subscribe(subscriber, since=None).messages == []


def logged_since(harness: BridgeHarness, seq: int) -> list[BrokerEvent]:
    """The events the server logged after ``seq``, oldest first."""
    log = harness.server.log
    listener = Quiet.__new__(Quiet)
    replay = log.subscribe(listener, since=seq)
    log.unsubscribe(listener)
    return [decode(json.loads(message)["event"]) for message in replay.messages]


class Quiet(Subscriber):
    """A subscriber that only takes the replay (no event loop)."""

    def push(self, message: str) -> None:
        pass


def _drained(events: EventQueue) -> EventQueue:
    events.drain()
    return events
