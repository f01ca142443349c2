"""The contract every broker passes: the same scenarios through every harness.

Subclass :class:`BrokerContract` and provide a ``harness`` fixture yielding a
:class:`~harness.BrokerHarness`. Each scenario starts on :data:`~harness.DAY` with
:data:`~harness.START_CASH` and :data:`~harness.HELD_QUANTITY` sellable shares of
:data:`~harness.HELD_SYMBOL`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal

import pytest

from quantlib.broker.errors import BrokerUnavailableError, UnknownOrderError
from quantlib.broker.events import (
    BrokerEvent,
    ConnectionState,
    EventQueue,
    OrderEvent,
    TradeEvent,
)
from quantlib.broker.protocol import Broker
from quantlib.model.enums import Side
from quantlib.model.orders import Reason
from quantlib.model.status import BrokerOrderStatus as S
from quantlib.model.trading import BrokerOrder, InvalidOrderError, OrderRequest
from tests.integration.broker.harness import (
    DAY,
    HELD_QUANTITY,
    HELD_SYMBOL,
    NEXT_DAY,
    START_CASH,
    BrokerHarness,
    at,
    quote,
)

WAIT = 10.0


def buy(quantity: int, price: str, symbol: str = HELD_SYMBOL) -> OrderRequest:
    """A limit buy."""
    return OrderRequest(symbol, Side.BUY, quantity, limit_price=Decimal(price))


def sell(quantity: int, price: str, symbol: str = HELD_SYMBOL) -> OrderRequest:
    """A limit sell."""
    return OrderRequest(symbol, Side.SELL, quantity, limit_price=Decimal(price))


def order_reaches(
    events: EventQueue, client_order_id: str, check: Callable[[BrokerOrder], bool]
) -> BrokerOrder:
    """Wait for an order event of ``client_order_id`` satisfying ``check``."""

    def matches(event: BrokerEvent) -> bool:
        return (
            isinstance(event, OrderEvent)
            and event.order.client_order_id == client_order_id
            and check(event.order)
        )

    event = events.wait_for(matches, WAIT)
    assert isinstance(event, OrderEvent)
    return event.order


def fills_of(events: EventQueue, client_order_id: str) -> list[TradeEvent]:
    """Trade events seen so far for one order."""
    return [
        event
        for event in events.seen
        if isinstance(event, TradeEvent) and event.fill.client_order_id == client_order_id
    ]


class BrokerContract:
    """Scenarios every broker must pass."""

    @pytest.fixture
    def events(self) -> EventQueue:
        return EventQueue()

    @pytest.fixture
    def broker(self, harness: BrokerHarness, events: EventQueue) -> Iterator[Broker]:
        broker = harness.open(events)
        broker.connect()
        assert broker.state is ConnectionState.CONNECTED
        harness.quote(quote(HELD_SYMBOL, at(DAY, 10, 0), "10.00"))
        yield broker
        broker.disconnect()

    # ---- placing and filling -------------------------------------------------------
    def test_marketable_buy_fills_at_the_ask_and_books_cash_and_fees(
        self, broker: Broker, events: EventQueue
    ) -> None:
        order = broker.place_order(buy(200, "10.02"))
        done = order_reaches(events, order.client_order_id, lambda o: o.status is S.SUCCEEDED)
        assert (done.filled, done.avg_price) == (200, Decimal("10.01"))
        [trade] = fills_of(events, order.client_order_id)
        assert trade.fill.price == Decimal("10.01") and trade.fill.fees > 0
        account = broker.query_account()
        assert account is not None
        assert account.cash == START_CASH - Decimal("2002.00") - trade.fill.fees
        assert account.frozen_cash == 0
        [position] = [p for p in broker.query_positions() or [] if p.symbol == HELD_SYMBOL]
        assert (position.quantity, position.sellable) == (HELD_QUANTITY + 200, HELD_QUANTITY)

    def test_order_larger_than_the_ask_fills_partly_then_cancel_ends_it(
        self, harness: BrokerHarness, broker: Broker, events: EventQueue
    ) -> None:
        harness.quote(quote(HELD_SYMBOL, at(DAY, 10, 1), "10.00", ask_size=300))
        order = broker.place_order(buy(500, "10.01"))
        partial = order_reaches(events, order.client_order_id, lambda o: o.filled == 300)
        assert partial.status in (S.PART_SUCC, S.PARTSUCC_CANCEL)
        broker.cancel_order(order.client_order_id)
        ended = order_reaches(events, order.client_order_id, lambda o: o.status.is_terminal)
        assert (ended.status, ended.filled) == (S.PART_CANCEL, 300)
        assert sum(t.fill.quantity for t in fills_of(events, order.client_order_id)) == 300
        account = broker.query_account()
        assert account is not None and account.frozen_cash == 0

    def test_resting_order_is_cancelled_and_its_cash_released(
        self, broker: Broker, events: EventQueue
    ) -> None:
        order = broker.place_order(buy(100, "9.50"))
        order_reaches(events, order.client_order_id, lambda o: o.status is S.REPORTED)
        account = broker.query_account()
        assert account is not None and account.frozen_cash > Decimal("950")
        broker.cancel_order(order.client_order_id)
        ended = order_reaches(events, order.client_order_id, lambda o: o.status.is_terminal)
        assert (ended.status, ended.filled) == (S.CANCELED, 0)
        account = broker.query_account()
        assert account is not None
        assert (account.cash, account.frozen_cash) == (START_CASH, 0)

    def test_resting_order_fills_when_the_market_comes_to_it(
        self, harness: BrokerHarness, broker: Broker, events: EventQueue
    ) -> None:
        order = broker.place_order(buy(300, "9.95"))
        order_reaches(events, order.client_order_id, lambda o: o.status is S.REPORTED)
        harness.quote(quote(HELD_SYMBOL, at(DAY, 10, 5), "9.93", ask="9.94"))
        done = order_reaches(events, order.client_order_id, lambda o: o.status is S.SUCCEEDED)
        assert (done.filled, done.avg_price) == (300, Decimal("9.94"))

    def test_sell_fills_at_the_bid_and_credits_cash_less_stamp_duty(
        self, broker: Broker, events: EventQueue
    ) -> None:
        order = broker.place_order(sell(500, "9.99"))
        done = order_reaches(events, order.client_order_id, lambda o: o.status is S.SUCCEEDED)
        assert done.avg_price == Decimal("9.99")
        [trade] = fills_of(events, order.client_order_id)
        assert trade.fill.fees >= Decimal("5") + Decimal("4995") * Decimal("0.0005")
        account = broker.query_account()
        assert account is not None
        assert account.cash == START_CASH + Decimal("4995.00") - trade.fill.fees

    # ---- refusals ------------------------------------------------------------------
    def test_price_above_limit_up_is_rejected_with_its_reason(
        self, broker: Broker, events: EventQueue
    ) -> None:
        order = broker.place_order(buy(100, "11.50"))
        rejected = order_reaches(events, order.client_order_id, lambda o: o.status is S.JUNK)
        assert rejected.reason is Reason.PRICE_OUTSIDE_LIMITS
        assert "11.5" in rejected.message

    def test_buy_beyond_the_cash_is_rejected_for_insufficient_cash(
        self, broker: Broker, events: EventQueue
    ) -> None:
        order = broker.place_order(buy(100_000, "10.01"))
        rejected = order_reaches(events, order.client_order_id, lambda o: o.status is S.JUNK)
        assert rejected.reason is Reason.INSUFFICIENT_CASH
        account = broker.query_account()
        assert account is not None and account.cash == START_CASH

    def test_selling_shares_bought_today_is_refused_t_plus_one(
        self, broker: Broker, events: EventQueue
    ) -> None:
        bought = broker.place_order(buy(200, "10.02"))
        order_reaches(events, bought.client_order_id, lambda o: o.status is S.SUCCEEDED)
        order = broker.place_order(sell(HELD_QUANTITY + 200, "9.99"))
        rejected = order_reaches(events, order.client_order_id, lambda o: o.status is S.JUNK)
        assert rejected.reason is Reason.T_PLUS_ONE
        [position] = [p for p in broker.query_positions() or [] if p.symbol == HELD_SYMBOL]
        assert (position.quantity, position.sellable) == (HELD_QUANTITY + 200, HELD_QUANTITY)

    def test_shares_bought_yesterday_are_sellable_today(
        self, harness: BrokerHarness, broker: Broker, events: EventQueue
    ) -> None:
        bought = broker.place_order(buy(200, "10.02"))
        order_reaches(events, bought.client_order_id, lambda o: o.status is S.SUCCEEDED)
        harness.next_day(NEXT_DAY)
        harness.quote(quote(HELD_SYMBOL, at(NEXT_DAY, 10, 0), "10.00"))
        order = broker.place_order(sell(HELD_QUANTITY + 200, "9.99"))
        done = order_reaches(events, order.client_order_id, lambda o: o.status is S.SUCCEEDED)
        assert done.filled == HELD_QUANTITY + 200
        assert not [p for p in broker.query_positions() or [] if p.quantity]

    def test_reusing_a_client_order_id_is_refused(self, broker: Broker) -> None:
        first = broker.place_order(buy(100, "9.50"))
        with pytest.raises(InvalidOrderError, match="already in use"):
            broker.place_order(
                OrderRequest(
                    HELD_SYMBOL,
                    Side.BUY,
                    100,
                    limit_price=Decimal("9.50"),
                    client_order_id=first.client_order_id,
                )
            )

    def test_cancelling_an_unknown_order_names_it(self, broker: Broker) -> None:
        with pytest.raises(UnknownOrderError, match="NOSUCHORDER"):
            broker.cancel_order("NOSUCHORDER")

    def test_requests_while_disconnected_are_refused(self, broker: Broker) -> None:
        broker.disconnect()
        with pytest.raises(BrokerUnavailableError):
            broker.place_order(buy(100, "9.50"))

    # ---- links and restarts --------------------------------------------------------
    def test_fill_while_the_link_is_down_arrives_once_after_reconnecting(
        self, harness: BrokerHarness, broker: Broker, events: EventQueue
    ) -> None:
        order = broker.place_order(buy(300, "9.95"))
        order_reaches(events, order.client_order_id, lambda o: o.status is S.REPORTED)
        harness.drop_link(broker)
        harness.quote(quote(HELD_SYMBOL, at(DAY, 10, 5), "9.93", ask="9.94"))
        harness.restore_link(broker)
        done = order_reaches(events, order.client_order_id, lambda o: o.status is S.SUCCEEDED)
        assert done.filled == 300
        assert [t.fill.quantity for t in fills_of(events, order.client_order_id)] == [300]
        trades = [
            t for t in broker.query_trades() or [] if t.client_order_id == done.client_order_id
        ]
        assert [t.quantity for t in trades] == [300]
        [position] = [p for p in broker.query_positions() or [] if p.symbol == HELD_SYMBOL]
        assert position.quantity == HELD_QUANTITY + 300

    def test_restarted_broker_recovers_orders_fills_and_positions(
        self, harness: BrokerHarness, broker: Broker, events: EventQueue
    ) -> None:
        filled = broker.place_order(buy(200, "10.02"))
        order_reaches(events, filled.client_order_id, lambda o: o.status is S.SUCCEEDED)
        resting = broker.place_order(buy(100, "9.50"))
        order_reaches(events, resting.client_order_id, lambda o: o.status is S.REPORTED)
        account_before = broker.query_account()
        broker.disconnect()

        later = EventQueue()
        restarted = harness.open(later)
        restarted.connect()
        try:
            orders = {o.client_order_id: o for o in restarted.query_orders() or []}
            assert orders[filled.client_order_id].status is S.SUCCEEDED
            assert orders[filled.client_order_id].filled == 200
            assert orders[resting.client_order_id].status is S.REPORTED
            trades = [
                t
                for t in restarted.query_trades() or []
                if t.client_order_id == filled.client_order_id
            ]
            assert sum(t.quantity for t in trades) == 200
            assert restarted.query_account() == account_before
            restarted.cancel_order(resting.client_order_id)
            ended = order_reaches(later, resting.client_order_id, lambda o: o.status.is_terminal)
            assert ended.status is S.CANCELED
        finally:
            restarted.disconnect()
