"""The events a broker reports, and a queue for a caller to receive them on.

Every broker delivers what it learns as one of these immutable events to the callable
its owner passed in (``events=``): an order changed, a trade happened, a position or the
account changed, a quote arrived, the connection changed, a cancel was refused, or
something the broker said could not be applied (:class:`BrokerNotice`). The callable is
called on the broker's own thread and must not block; :class:`EventQueue` is a ready
one that hands events to another thread.
"""

from __future__ import annotations

import datetime as dt
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from quantlib.core.dates import now_shanghai
from quantlib.model.orders import Reason
from quantlib.model.trading import Account, BrokerOrder, Fill, Position, Quote


class ConnectionState(StrEnum):
    """Where a broker's link stands."""

    DISCONNECTED = "disconnected"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class OrderEvent:
    """An order's new state."""

    order: BrokerOrder


@dataclass(frozen=True, slots=True)
class TradeEvent:
    """A new fill (reported once per trade id)."""

    fill: Fill


@dataclass(frozen=True, slots=True)
class PositionEvent:
    """A position's new state."""

    position: Position


@dataclass(frozen=True, slots=True)
class AccountEvent:
    """The account's new cash and totals."""

    account: Account


@dataclass(frozen=True, slots=True)
class QuoteEvent:
    """A quote for a subscribed symbol."""

    quote: Quote


@dataclass(frozen=True, slots=True)
class ConnectionEvent:
    """The link changed state; ``message`` says why (in the user's language)."""

    state: ConnectionState
    message: str = ""
    time: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class CancelRejectedEvent:
    """A cancel was refused; the order stays as it was."""

    client_order_id: str
    reason: Reason
    message: str = ""


class NoticeKind(StrEnum):
    """What a :class:`BrokerNotice` is about."""

    INVALID_REPORT = "invalid_report"
    UNKNOWN_ORDER = "unknown_order"
    QUERY_UNKNOWN = "query_unknown"
    ACCOUNT_STATUS = "account_status"
    REPLAY_GAP = "replay_gap"


@dataclass(frozen=True, slots=True)
class BrokerNotice:
    """Something the broker reported that was not applied, or a state to look at.

    Brokers never raise from their push threads: a report that cannot be applied (an
    impossible state change, a push for an order nobody knows) arrives here instead.
    """

    kind: NoticeKind
    message: str
    client_order_id: str = ""
    time: dt.datetime | None = None


BrokerEvent = (
    OrderEvent
    | TradeEvent
    | PositionEvent
    | AccountEvent
    | QuoteEvent
    | ConnectionEvent
    | CancelRejectedEvent
    | BrokerNotice
)

EventSink = Callable[[BrokerEvent], None]


def notice(kind: NoticeKind, message: str, client_order_id: str = "") -> BrokerNotice:
    """A notice stamped now."""
    return BrokerNotice(kind, message, client_order_id, now_shanghai())


def discard(event: BrokerEvent) -> None:
    """An event sink that drops everything (for brokers opened without one)."""


class EventQueue:
    """A thread-safe queue of broker events; pass the instance as ``events=``.

    Examples
    --------
    >>> events = EventQueue()
    >>> events(ConnectionEvent(ConnectionState.CONNECTED))
    >>> events.get(timeout=1).state
    <ConnectionState.CONNECTED: 'connected'>
    """

    def __init__(self) -> None:
        self._queue: queue.Queue[BrokerEvent] = queue.Queue()
        self._seen: list[BrokerEvent] = []
        self._lock = threading.Lock()

    def __call__(self, event: BrokerEvent) -> None:
        self._queue.put(event)

    def get(self, timeout: float | None = None) -> BrokerEvent:
        """The next event; raises :class:`queue.Empty` after ``timeout`` seconds."""
        event = self._queue.get(timeout=timeout)
        with self._lock:
            self._seen.append(event)
        return event

    def drain(self) -> list[BrokerEvent]:
        """All events waiting now, without blocking."""
        events: list[BrokerEvent] = []
        while True:
            try:
                events.append(self.get(timeout=0))
            except queue.Empty:
                return events

    def wait_for(
        self, predicate: Callable[[BrokerEvent], bool], timeout: float = 10.0
    ) -> BrokerEvent:
        """Take events until one satisfies ``predicate``; TimeoutError after ``timeout``.

        Events taken on the way are kept in :attr:`seen`.
        """
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no matching broker event within {timeout} s")
            try:
                event = self.get(timeout=left)
            except queue.Empty:
                continue
            if predicate(event):
                return event

    @property
    def seen(self) -> list[BrokerEvent]:
        """Every event taken from the queue so far, in order."""
        with self._lock:
            return list(self._seen)


__all__ = [
    "AccountEvent",
    "BrokerEvent",
    "BrokerNotice",
    "CancelRejectedEvent",
    "ConnectionEvent",
    "ConnectionState",
    "EventQueue",
    "EventSink",
    "NoticeKind",
    "OrderEvent",
    "PositionEvent",
    "QuoteEvent",
    "TradeEvent",
    "discard",
    "notice",
]
