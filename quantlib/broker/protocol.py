"""The one interface every broker offers.

A broker is opened with its settings and an event sink (:mod:`quantlib.broker.events`)
the caller owns. Requests return at once; what happens to them is reported as events.
Queries answer from the broker: ``None`` means *unknown* (the broker did not answer),
never *empty* — treat it so (an unknown position list is not a flat book).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, runtime_checkable

from quantlib.broker.events import ConnectionState
from quantlib.model.trading import Account, BrokerOrder, Fill, OrderRequest, Position


@runtime_checkable
class Broker(Protocol):
    """Connect, subscribe to quotes, place and cancel orders, query the account."""

    #: The name the broker is registered under (``paper``, ``qmt`` …).
    name: str

    @property
    def state(self) -> ConnectionState:
        """Where the link stands now."""
        ...

    def connect(self) -> None:
        """Open the link (reports :class:`~quantlib.broker.events.ConnectionEvent`).

        Raises :class:`~quantlib.broker.errors.BrokerUnavailableError` when the broker
        cannot be reached.
        """
        ...

    def disconnect(self) -> None:
        """Close the link; open orders stay with the broker."""
        ...

    def subscribe_quotes(self, symbols: Iterable[str]) -> None:
        """Report quotes of ``symbols`` as :class:`~quantlib.broker.events.QuoteEvent`."""
        ...

    def place_order(self, request: OrderRequest) -> BrokerOrder:
        """Send an order; returns its first state (its client order id assigned).

        A request no broker could take raises
        :class:`~quantlib.model.trading.InvalidOrderError`; a refusal by the broker's
        rules (T+1, cash, price limits …) comes back as a rejected order and event.
        """
        ...

    def cancel_order(self, client_order_id: str) -> None:
        """Ask for a cancel; the outcome arrives as events (cancelled, or refused)."""
        ...

    def query_account(self) -> Account | None:
        """Cash and totals, or None when unknown."""
        ...

    def query_positions(self) -> list[Position] | None:
        """All positions, or None when unknown."""
        ...

    def query_orders(self) -> list[BrokerOrder] | None:
        """Today's orders, or None when unknown."""
        ...

    def query_trades(self) -> list[Fill] | None:
        """Today's fills, or None when unknown."""
        ...


__all__ = ["Broker"]
