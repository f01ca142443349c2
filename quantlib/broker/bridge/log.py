"""The server's numbered event log: what the wrapped broker reported, for its clients.

:class:`EventLog` is the event sink the bridge server opens its broker with. It numbers
every event (1, 2, 3 … for one server run, named by :attr:`EventLog.server_id`), keeps
the latest ones in a bounded ring buffer, and hands each to every live subscriber. A
subscriber joins with the number of the last event it has; it gets every later event
still kept, then the live ones, with nothing lost or repeated in between, or is told
there is a gap.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import threading
from collections import deque
from dataclasses import dataclass

from quantlib.broker.bridge import wire
from quantlib.broker.codec import CodecError, encode
from quantlib.broker.events import BrokerEvent

log = logging.getLogger(__name__)


class Subscriber:
    """One event-stream client: an asyncio queue fed from any thread.

    A subscriber more than ``limit`` messages behind is cut off (:attr:`overflowed`);
    it reconnects and replays, or learns of the gap.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, limit: int) -> None:
        self.loop = loop
        self.limit = limit
        self.queue: asyncio.Queue[str | None] = asyncio.Queue()
        self.overflowed = False

    def push(self, message: str) -> None:
        """Queue ``message`` (thread-safe, never blocks)."""
        try:
            self.loop.call_soon_threadsafe(self._put, message)
        except RuntimeError:
            log.debug("event for a subscriber whose loop is closed dropped")

    def _put(self, message: str) -> None:
        if self.overflowed:
            return
        if self.queue.qsize() >= self.limit:
            self.overflowed = True
            self.queue.put_nowait(None)
            return
        self.queue.put_nowait(message)


@dataclass(frozen=True, slots=True)
class Replay:
    """Where a new subscriber starts: the hello it is sent and the events it missed."""

    last: int
    first: int
    gap: bool
    messages: list[str]


class EventLog:
    """Numbers the events of the wrapped broker and keeps the latest ``capacity``.

    Call it as an event sink.

    Examples
    --------
    >>> from quantlib.broker.events import ConnectionEvent, ConnectionState
    >>> events = EventLog(capacity=2)
    >>> for _ in range(3):
    ...     events(ConnectionEvent(ConnectionState.CONNECTED))
    >>> events.last_seq, events.first_seq
    (3, 2)
    """

    def __init__(self, capacity: int = 10_000) -> None:
        if capacity < 1:
            raise ValueError(f"event log capacity must be at least 1, got {capacity}")
        self.capacity = capacity
        self.server_id = secrets.token_hex(8)
        self._lock = threading.Lock()
        self._buffer: deque[tuple[int, str]] = deque(maxlen=capacity)
        self._seq = 0
        self._subscribers: set[Subscriber] = set()

    def __call__(self, event: BrokerEvent) -> None:
        try:
            payload = encode(event)
        except CodecError:
            log.exception("broker event %r cannot be sent to bridge clients", event)
            return
        with self._lock:
            self._seq += 1
            message = json.dumps({"kind": wire.EVENT, "seq": self._seq, "event": payload})
            self._buffer.append((self._seq, message))
            for subscriber in self._subscribers:
                subscriber.push(message)

    @property
    def last_seq(self) -> int:
        """The number of the latest event (0 before any)."""
        with self._lock:
            return self._seq

    @property
    def first_seq(self) -> int:
        """The number of the oldest event still kept (``last_seq + 1`` when none is)."""
        with self._lock:
            return self._buffer[0][0] if self._buffer else self._seq + 1

    def subscribe(
        self, subscriber: Subscriber, since: int | None, server_id: str | None = None
    ) -> Replay:
        """Add ``subscriber``; returns the events after ``since`` it must be sent first.

        ``since`` None starts from now. A ``since`` the log no longer covers, or one from
        another server run (``server_id``), is a gap: nothing is replayed.
        """
        with self._lock:
            last = self._seq
            first = self._buffer[0][0] if self._buffer else last + 1
            gap = False
            messages: list[str] = []
            if since is not None:
                other_run = server_id is not None and server_id != self.server_id
                gap = other_run or since > last or since < first - 1
                if not gap:
                    messages = [message for seq, message in self._buffer if seq > since]
            self._subscribers.add(subscriber)
        return Replay(last, first, gap, messages)

    def unsubscribe(self, subscriber: Subscriber) -> None:
        """Stop feeding ``subscriber``."""
        with self._lock:
            self._subscribers.discard(subscriber)


__all__ = ["EventLog", "Replay", "Subscriber"]
