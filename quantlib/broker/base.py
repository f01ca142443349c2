"""What every broker adapter shares: the connection state and its events, the
"connected first" check, the quote subscriptions, and the order tracker.

Adapters subclass :class:`BrokerBase` and implement the requests; the state changes go
through :meth:`BrokerBase.set_state` so each one is reported exactly once.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import ClassVar

from quantlib.broker.errors import BrokerUnavailableError
from quantlib.broker.events import (
    ConnectionEvent,
    ConnectionState,
    EventSink,
    QuoteEvent,
    discard,
)
from quantlib.broker.tracker import OrderTracker
from quantlib.core.dates import now_shanghai
from quantlib.core.i18n import Catalog, translate
from quantlib.market.symbols import normalize_symbol
from quantlib.model.trading import BrokerOrder, Fill, Quote


class BrokerBase:
    """Connection state, subscriptions and the tracker of one broker adapter."""

    #: Registered name; subclasses set it.
    name = ""
    #: Person-facing texts; subclasses give at least ``not_connected``.
    TEXT: ClassVar[Catalog] = {}

    def __init__(self, events: EventSink | None) -> None:
        self._sink = events or discard
        self._state_lock = threading.Lock()
        self._state = ConnectionState.DISCONNECTED
        self._quotes: set[str] = set()
        self.tracker = OrderTracker(self._sink)

    @property
    def state(self) -> ConnectionState:
        """Where the link stands now."""
        return self._state

    def set_state(self, state: ConnectionState, message: str = "") -> bool:
        """Move to ``state`` and report it; False when already there."""
        with self._state_lock:
            if state is self._state:
                return False
            self._state = state
        self._sink(ConnectionEvent(state, message, now_shanghai()))
        return True

    def require_connected(self) -> None:
        """Raise :class:`BrokerUnavailableError` unless connected."""
        if self._state is not ConnectionState.CONNECTED:
            raise BrokerUnavailableError(translate(self.TEXT, "not_connected"))

    def subscribe_quotes(self, symbols: Iterable[str]) -> None:
        """Report quotes of ``symbols``."""
        self.require_connected()
        self._quotes.update(normalize_symbol(symbol) for symbol in symbols)

    def take_over(self, orders: list[BrokerOrder], fills: list[Fill]) -> None:
        """Bring the tracker level with what the broker holds, after a reconnect or a
        restart: untracked orders are adopted with their fills, every fill is counted
        once (so one that happened while the link was down is reported once), and
        tracked orders move forward through the state machine."""
        known = {order.client_order_id for order in self.tracker.orders()}
        for order in orders:
            if order.client_order_id not in known:
                own = [fill for fill in fills if fill.client_order_id == order.client_order_id]
                self.tracker.adopt(order, own)
        for fill in fills:
            self.tracker.fill(fill)
        for order in orders:
            if order.client_order_id in known:
                self.tracker.adopt(order)

    def report_quote(self, quote: Quote) -> None:
        """Pass a quote on when connected and its symbol is subscribed."""
        if (
            self._state is ConnectionState.CONNECTED
            and normalize_symbol(quote.symbol) in self._quotes
        ):
            self._sink(QuoteEvent(quote))


__all__ = ["BrokerBase"]
