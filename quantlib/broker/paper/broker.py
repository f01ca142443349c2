"""The ``paper`` broker: the Broker interface over a :class:`PaperEngine`.

The engine is the venue (counter and exchange); this class is the client side, built
like every other broker: an :class:`~quantlib.broker.tracker.OrderTracker` applies what
the venue reports, so duplicated or stale reports are dropped the same way, and after a
reconnect or a restart the orders and fills the venue holds are taken over once.

Quotes come from whoever drives the broker: :meth:`PaperBroker.feed` with bars replayed
from the store (:mod:`quantlib.broker.paper.replay`), or live quotes of another broker
through :meth:`PaperBroker.follow`.
"""

from __future__ import annotations

from dataclasses import replace

from quantlib.broker.base import BrokerBase
from quantlib.broker.events import (
    AccountEvent,
    BrokerEvent,
    CancelRejectedEvent,
    ConnectionState,
    EventSink,
    OrderEvent,
    PositionEvent,
    QuoteEvent,
    TradeEvent,
)
from quantlib.broker.paper.engine import PaperConfig, PaperEngine
from quantlib.core.i18n import Catalog, translate
from quantlib.market.symbols import normalize_symbol
from quantlib.model.trading import Account, BrokerOrder, Fill, OrderRequest, Position, Quote

TEXT: Catalog = {
    "connected": ("paper account {account} ready", "模拟账户 {account} 已就绪"),
    "disconnected": ("paper account {account} closed", "模拟账户 {account} 已断开"),
    "not_connected": (
        "paper broker is not connected: call connect() first",
        "模拟券商未连接：请先调用 connect()",
    ),
}


class PaperBroker(BrokerBase):
    """A simulated A-share account behind the Broker interface."""

    name = "paper"
    config_class = PaperConfig
    TEXT = TEXT

    def __init__(
        self,
        config: PaperConfig,
        *,
        events: EventSink | None = None,
        engine: PaperEngine | None = None,
    ) -> None:
        super().__init__(events)
        self.config = config
        self.engine = engine or PaperEngine(config, emit=self._from_venue)

    def connect(self) -> None:
        """Take over the venue's orders and fills, then report the account."""
        self.set_state(ConnectionState.CONNECTING, "")
        self.take_over(self.engine.orders(), self.engine.trades())
        self.set_state(
            ConnectionState.CONNECTED,
            translate(TEXT, "connected", account=self.config.account_id),
        )
        self._sink(AccountEvent(self.engine.account()))
        for position in self.engine.positions():
            self._sink(PositionEvent(position))

    def disconnect(self) -> None:
        """Stop receiving reports; the venue keeps the orders."""
        self.set_state(
            ConnectionState.DISCONNECTED,
            translate(TEXT, "disconnected", account=self.config.account_id),
        )

    def feed(self, quote: Quote) -> None:
        """A quote from the market: the venue matches against it."""
        self.engine.on_quote(quote)
        self.report_quote(quote)

    def follow(self, event: BrokerEvent) -> None:
        """An event sink feeding another broker's quotes to this one: open the live
        broker (``qmt``, ``qmt-bridge``) with ``events=paper.follow`` and subscribe its
        quotes to paper-trade on live prices; its other events are ignored."""
        if isinstance(event, QuoteEvent):
            self.feed(event.quote)

    def place_order(self, request: OrderRequest) -> BrokerOrder:
        """Send an order to the venue; returns its state after the venue's answer."""
        self.require_connected()
        order = self.tracker.add(replace(request, symbol=normalize_symbol(request.symbol)))
        sent = replace(request, symbol=order.symbol, client_order_id=order.client_order_id)
        self.engine.place(sent)
        return self.tracker.get(order.client_order_id)

    def cancel_order(self, client_order_id: str) -> None:
        """Ask the venue to cancel; the answer arrives as events."""
        self.require_connected()
        self.tracker.get(client_order_id)
        self.engine.cancel(client_order_id)

    def query_account(self) -> Account | None:
        """The account as the venue holds it."""
        self.require_connected()
        return self.engine.account()

    def query_positions(self) -> list[Position] | None:
        """Positions as the venue holds them."""
        self.require_connected()
        return self.engine.positions()

    def query_orders(self) -> list[BrokerOrder] | None:
        """Today's orders as tracked (kept in step with the venue)."""
        self.require_connected()
        return self.tracker.orders()

    def query_trades(self) -> list[Fill] | None:
        """Fills as the venue booked them."""
        self.require_connected()
        return self.engine.trades()

    def close(self) -> None:
        """Disconnect and close the saved state."""
        self.disconnect()
        if self.engine.store is not None:
            self.engine.store.close()

    def _from_venue(self, event: BrokerEvent) -> None:
        if self._state is not ConnectionState.CONNECTED:
            return
        if isinstance(event, OrderEvent):
            order = event.order
            self.tracker.link(order.client_order_id, order.broker_order_id)
            self.tracker.report(
                order.client_order_id,
                order.status,
                order.filled,
                reason=order.reason,
                message=order.message,
            )
        elif isinstance(event, TradeEvent):
            self.tracker.fill(event.fill)
        elif isinstance(event, CancelRejectedEvent):
            self.tracker.cancel_rejected(event.client_order_id, event.reason, event.message)
        else:
            self._sink(event)


__all__ = ["PaperBroker"]
