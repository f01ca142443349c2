"""The ``qmt`` gateway passes the broker contract on the MiniQMT simulator, and keeps
its books right under the simulator's faults.

The real ``xtquant.xttrader`` code runs here; only the native client and xtdata are the
simulator's (:mod:`quantlib.broker.qmt.simulator`).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from quantlib.broker.errors import BrokerUnavailableError
from quantlib.broker.events import (
    BrokerEvent,
    BrokerNotice,
    ConnectionEvent,
    ConnectionState,
    EventQueue,
    EventSink,
    NoticeKind,
    OrderEvent,
    QuoteEvent,
    TradeEvent,
)
from quantlib.broker.paper.broker import PaperBroker
from quantlib.broker.paper.engine import PaperConfig
from quantlib.broker.protocol import Broker
from quantlib.broker.qmt.gateway import QmtBroker
from quantlib.broker.qmt.simulator import MiniQmtSimulator, install, uninstall
from quantlib.broker.registry import open_broker
from quantlib.model.enums import Side
from quantlib.model.orders import Reason
from quantlib.model.status import BrokerOrderStatus as S
from quantlib.model.trading import OrderRequest, PriceType, Quote
from tests.integration.broker.contract import BrokerContract, buy, order_reaches
from tests.integration.broker.harness import (
    DAY,
    HELD_COST,
    HELD_QUANTITY,
    HELD_SYMBOL,
    OTHER_SYMBOL,
    START_CASH,
    BrokerHarness,
    at,
    quote,
)

WAIT = 10.0
ACCOUNT = "8886660001"


class QmtHarness(BrokerHarness):
    """``qmt`` gateways over one simulated MiniQMT (one account, many sessions)."""

    name = "qmt"

    def __init__(self, root: Path) -> None:
        self.userdata = str(root / "userdata_mini")
        self.simulator = install(
            MiniQmtSimulator(self.userdata, PaperConfig(cash=START_CASH, account_id=ACCOUNT))
        )
        self.simulator.set_position(HELD_SYMBOL, HELD_QUANTITY, HELD_COST)
        self.opened: list[Broker] = []

    def open(self, events: EventSink) -> Broker:
        broker = open_broker(
            self.name,
            {
                "userdata_path": self.userdata,
                "account_id": ACCOUNT,
                "reconnect_interval": 0.05,
                "request_timeout": 5,
            },
            events=events,
        )
        self.opened.append(broker)
        return broker

    def quote(self, quote: Quote) -> None:
        self.simulator.feed(quote)

    def next_day(self, day: dt.date) -> None:
        self.simulator.start_day(day)

    def drop_link(self, broker: Broker) -> None:
        assert isinstance(broker, QmtBroker)
        assert self.simulator.drop_link(broker.session_id)
        self.wait_until_down(broker)

    def wait_until_down(self, broker: Broker) -> None:
        """Wait until ``broker`` has noticed its link is gone."""
        deadline = time.monotonic() + WAIT
        while broker.state is ConnectionState.CONNECTED:
            if time.monotonic() > deadline:
                raise TimeoutError("the gateway did not notice the dropped link")
            time.sleep(0.005)

    def close(self) -> None:
        for broker in self.opened:
            broker.disconnect()
        uninstall(self.simulator)


@pytest.fixture
def qmt_harness(tmp_path: Path) -> Iterator[QmtHarness]:
    harness = QmtHarness(tmp_path)
    yield harness
    harness.close()


class TestQmtContract(BrokerContract):
    @pytest.fixture
    def harness(self, qmt_harness: QmtHarness) -> QmtHarness:
        return qmt_harness


# ---- faults and QMT specifics ------------------------------------------------------
@pytest.fixture
def events() -> EventQueue:
    return EventQueue()


@pytest.fixture
def broker(qmt_harness: QmtHarness, events: EventQueue) -> Iterator[QmtBroker]:
    broker = qmt_harness.open(events)
    assert isinstance(broker, QmtBroker)
    broker.connect()
    qmt_harness.quote(quote(HELD_SYMBOL, at(DAY, 10, 0), "10.00"))
    yield broker
    broker.disconnect()


def settle(events: EventQueue, quiet: float = 0.2) -> None:
    """Take events until none arrives for ``quiet`` seconds (bounded by WAIT)."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        try:
            events.wait_for(lambda event: True, quiet)
        except TimeoutError:
            return


def trades_seen(events: EventQueue, client_order_id: str) -> list[int]:
    return [
        e.fill.quantity
        for e in events.seen
        if isinstance(e, TradeEvent) and e.fill.client_order_id == client_order_id
    ]


def held(broker: QmtBroker, symbol: str = HELD_SYMBOL) -> int:
    positions = broker.query_positions()
    assert positions is not None
    return sum(p.quantity for p in positions if p.symbol == symbol)


def test_link_drop_with_resting_order_and_fill_while_down_counts_the_fill_once(
    qmt_harness: QmtHarness, broker: QmtBroker, events: EventQueue
) -> None:
    order = broker.place_order(buy(300, "9.95"))
    order_reaches(events, order.client_order_id, lambda o: o.status is S.REPORTED)
    first_session = broker.session_id
    qmt_harness.simulator.shut_down()
    qmt_harness.wait_until_down(broker)
    qmt_harness.quote(quote(HELD_SYMBOL, at(DAY, 10, 5), "9.93", ask="9.94"))
    time.sleep(0.2)
    assert broker.state is ConnectionState.RECONNECTING
    with pytest.raises(BrokerUnavailableError):
        broker.place_order(buy(100, "9.50"))
    qmt_harness.simulator.start_up()
    qmt_harness.restore_link(broker)

    done = order_reaches(events, order.client_order_id, lambda o: o.status is S.SUCCEEDED)
    settle(events)
    assert broker.session_id != first_session
    assert done.filled == 300
    assert trades_seen(events, order.client_order_id) == [300]
    assert held(broker) == HELD_QUANTITY + 300
    states = [e.state for e in events.seen if isinstance(e, ConnectionEvent)]
    assert states[-2:] == [ConnectionState.RECONNECTING, ConnectionState.CONNECTED]


def test_duplicated_pushes_are_counted_once(
    qmt_harness: QmtHarness, broker: QmtBroker, events: EventQueue
) -> None:
    qmt_harness.simulator.duplicate_next_pushes(20)
    order = broker.place_order(buy(200, "10.02"))
    order_reaches(events, order.client_order_id, lambda o: o.status is S.SUCCEEDED)
    settle(events)
    assert trades_seen(events, order.client_order_id) == [200]
    assert [
        o.filled for o in broker.tracker.orders() if o.client_order_id == order.client_order_id
    ] == [200]
    assert held(broker) == HELD_QUANTITY + 200


def test_delayed_trade_push_arriving_after_the_filled_state_is_counted_once(
    qmt_harness: QmtHarness, broker: QmtBroker, events: EventQueue
) -> None:
    qmt_harness.quote(quote(HELD_SYMBOL, at(DAY, 10, 1), "10.00", ask_size=300))
    order = broker.place_order(buy(500, "10.01"))
    order_reaches(events, order.client_order_id, lambda o: o.filled == 300)
    qmt_harness.simulator.delay_next_pushes(1)  # the trade push comes after the order's
    qmt_harness.quote(
        quote(HELD_SYMBOL, at(DAY, 10, 2), "10.00", ask="10.01", ask_size=200, volume=800)
    )
    done = order_reaches(events, order.client_order_id, lambda o: o.status is S.SUCCEEDED)
    settle(events)
    assert done.filled == 500
    assert trades_seen(events, order.client_order_id) == [300, 200]
    late = [
        i for i, e in enumerate(events.seen) if isinstance(e, TradeEvent) and e.fill.quantity == 200
    ]
    assert (
        late
        and events.seen.index(
            next(e for e in events.seen if isinstance(e, OrderEvent) and e.order is done)
        )
        < late[0]
    )
    final = broker.tracker.get(order.client_order_id)
    assert (final.status, final.filled, final.avg_price) == (S.SUCCEEDED, 500, Decimal("10.01"))
    invalid = [
        e
        for e in events.seen
        if isinstance(e, BrokerNotice) and e.kind is NoticeKind.INVALID_REPORT
    ]
    assert not invalid


def test_query_answering_none_is_unknown_with_a_notice_not_flat(
    qmt_harness: QmtHarness, broker: QmtBroker, events: EventQueue
) -> None:
    qmt_harness.simulator.answer_none_to_next_queries()
    assert broker.query_positions() is None
    unknown = events.wait_for(
        lambda e: isinstance(e, BrokerNotice) and e.kind is NoticeKind.QUERY_UNKNOWN, WAIT
    )
    assert "positions" in unknown.message  # type: ignore[union-attr]
    assert held(broker) == HELD_QUANTITY


def test_insufficient_cash_is_rejected_with_its_reason_and_cash_untouched(
    broker: QmtBroker, events: EventQueue
) -> None:
    order = broker.place_order(buy(200_000, "10.01"))
    rejected = order_reaches(events, order.client_order_id, lambda o: o.status is S.JUNK)
    assert rejected.reason is Reason.INSUFFICIENT_CASH
    assert "资金不足" in rejected.message
    account = broker.query_account()
    assert account is not None and account.cash == START_CASH
    assert held(broker) == HELD_QUANTITY


def test_account_status_not_ok_refuses_new_orders_until_ok(
    qmt_harness: QmtHarness, broker: QmtBroker, events: EventQueue
) -> None:
    qmt_harness.simulator.set_account_status(5)
    note = events.wait_for(
        lambda e: isinstance(e, BrokerNotice) and e.kind is NoticeKind.ACCOUNT_STATUS, WAIT
    )
    assert "CORRECTING" in note.message or "5" in note.message  # type: ignore[union-attr]
    with pytest.raises(BrokerUnavailableError, match="CORRECTING"):
        broker.place_order(buy(100, "9.50"))
    qmt_harness.simulator.set_account_status(0)
    events.wait_for(
        lambda e: isinstance(e, BrokerNotice) and e.kind is NoticeKind.ACCOUNT_STATUS, WAIT
    )
    order = broker.place_order(buy(100, "9.50"))
    order_reaches(events, order.client_order_id, lambda o: o.status is S.REPORTED)


def test_market_type_not_on_the_exchange_is_refused_before_sending(
    broker: QmtBroker, events: EventQueue
) -> None:
    order = broker.place_order(
        OrderRequest(
            HELD_SYMBOL,
            Side.BUY,
            100,
            PriceType.FILL_OR_KILL,
            limit_price=Decimal("10.05"),
        )
    )
    assert order.status is S.JUNK
    assert order.reason is Reason.PRICE_TYPE_NOT_ON_EXCHANGE
    assert not broker.tracker.get(order.client_order_id).broker_order_id


def test_connect_fails_once_when_miniqmt_is_down(
    qmt_harness: QmtHarness, events: EventQueue
) -> None:
    qmt_harness.simulator.shut_down()
    broker = qmt_harness.open(events)
    with pytest.raises(BrokerUnavailableError, match="refused session"):
        broker.connect()
    assert broker.state is ConnectionState.FAILED


def test_quotes_arrive_from_xtdata(
    qmt_harness: QmtHarness, broker: QmtBroker, events: EventQueue
) -> None:
    broker.subscribe_quotes([OTHER_SYMBOL])
    qmt_harness.quote(quote(OTHER_SYMBOL, at(DAY, 10, 3), "12.34", volume=5000))
    event = events.wait_for(lambda e: isinstance(e, QuoteEvent), WAIT)
    assert isinstance(event, QuoteEvent)
    assert event.quote.symbol == OTHER_SYMBOL
    assert (event.quote.last, event.quote.best_ask, event.quote.volume) == (
        Decimal("12.34"),
        Decimal("12.35"),
        5000,
    )
    assert event.quote.time == at(DAY, 10, 3)


def test_query_from_inside_an_event_handler_answers_none_instead_of_deadlocking(
    qmt_harness: QmtHarness,
) -> None:
    answers: list[object] = []
    queue = EventQueue()

    def sink(event: BrokerEvent) -> None:
        queue(event)
        if isinstance(event, OrderEvent) and event.order.status is S.REPORTED and not answers:
            answers.append(gateway.query_account())

    gateway = qmt_harness.open(sink)
    assert isinstance(gateway, QmtBroker)
    gateway.connect()
    qmt_harness.quote(quote(HELD_SYMBOL, at(DAY, 10, 0), "10.00"))
    started = time.monotonic()
    order = gateway.place_order(buy(100, "9.50"))
    order_reaches(queue, order.client_order_id, lambda o: o.status is S.REPORTED)
    assert answers == [None]
    assert time.monotonic() - started < 2
    queue.wait_for(
        lambda e: isinstance(e, BrokerNotice) and e.kind is NoticeKind.QUERY_UNKNOWN, WAIT
    )


def test_paper_broker_follows_live_quotes_from_qmt(qmt_harness: QmtHarness) -> None:
    paper_events = EventQueue()
    paper = PaperBroker(PaperConfig(), events=paper_events)
    paper.connect()
    gateway = qmt_harness.open(paper.follow)
    gateway.connect()
    gateway.subscribe_quotes([HELD_SYMBOL])
    qmt_harness.quote(quote(HELD_SYMBOL, at(DAY, 10, 0), "10.00"))
    deadline = time.monotonic() + WAIT
    while HELD_SYMBOL not in paper.engine.quotes:
        assert time.monotonic() < deadline, "no live quote reached the paper broker"
        time.sleep(0.01)
    order = paper.place_order(buy(100, "10.02"))
    done = order_reaches(paper_events, order.client_order_id, lambda o: o.status.is_terminal)
    assert (done.status, done.filled) == (S.SUCCEEDED, 100)
    gateway.disconnect()
