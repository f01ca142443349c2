"""What the broker contract tests need from each kind of broker.

A harness owns the venue behind a broker (the paper broker's saved state, the MiniQMT
simulator, the bridge in front of it) and drives it: the market moves, a day passes,
the link drops, the process restarts. The contract class in ``contract.py`` runs the
same scenarios through every harness.
"""

from __future__ import annotations

import datetime as dt
import time
from abc import ABC, abstractmethod
from decimal import Decimal
from typing import Any, Protocol

from quantlib.broker.events import ConnectionState, EventSink
from quantlib.broker.protocol import Broker
from quantlib.core.dates import SHANGHAI
from quantlib.model.trading import Quote

#: The contract's account: cash, and a position bought before the first day.
START_CASH = Decimal("1000000.00")
HELD_SYMBOL = "600000.SH"
HELD_QUANTITY = 1000
HELD_COST = Decimal("10.00")
#: A second symbol, not held (Shenzhen main board).
OTHER_SYMBOL = "000001.SZ"
#: The first day of the scenarios, and a moment in its morning continuous session.
DAY = dt.date(2026, 11, 24)
NEXT_DAY = dt.date(2026, 11, 25)


def at(day: dt.date, hour: int, minute: int, second: int = 0) -> dt.datetime:
    """A market time (Asia/Shanghai)."""
    return dt.datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=SHANGHAI)


def quote(
    symbol: str,
    moment: dt.datetime,
    last: str,
    *,
    bid: str | None = None,
    ask: str | None = None,
    bid_size: int = 10_000,
    ask_size: int = 10_000,
    volume: int = 0,
    pre_close: str = "10.00",
    suspended: bool = False,
) -> Quote:
    """A level-1 quote with one level each side (defaults: one tick around ``last``)."""
    last_price = Decimal(last)
    tick = Decimal("0.01")
    bid_price = Decimal(bid) if bid is not None else last_price - tick
    ask_price = Decimal(ask) if ask is not None else last_price + tick
    close = Decimal(pre_close)
    return Quote(
        symbol=symbol,
        time=moment,
        last=last_price,
        pre_close=close,
        volume=volume,
        amount=last_price * volume,
        bids=((bid_price, bid_size),) if bid_size else (),
        asks=((ask_price, ask_size),) if ask_size else (),
        up_limit=(close * Decimal("1.1")).quantize(tick),
        down_limit=(close * Decimal("0.9")).quantize(tick),
        suspended=suspended,
    )


class BrokerHarness(ABC):
    """One kind of broker with the venue behind it, for the contract tests.

    The venue starts with :data:`START_CASH` and :data:`HELD_QUANTITY` shares of
    :data:`HELD_SYMBOL` (sellable), on :data:`DAY`, with no quotes yet.
    """

    #: Registered broker name (``paper``, ``qmt``, ``qmt-bridge``, ``ptrade``).
    name: str

    @abstractmethod
    def open(self, events: EventSink) -> Broker:
        """A new broker object over this venue, not yet connected (a fresh process)."""

    @abstractmethod
    def quote(self, quote: Quote) -> None:
        """The market moves: the venue matches its resting orders against ``quote``.

        Returns once the venue has processed it; pushes may still be in flight.
        """

    @abstractmethod
    def next_day(self, day: dt.date) -> None:
        """The venue starts trading day ``day``: yesterday's buys become sellable and
        yesterday's open orders expire."""

    @abstractmethod
    def drop_link(self, broker: Broker) -> None:
        """Cut the link between ``broker`` and the venue mid-session; the broker must
        notice and reconnect by itself (or, where there is nothing to reconnect, come
        back in :meth:`restore_link`). Returns once the link is down."""

    def restore_link(self, broker: Broker, timeout: float = 10.0) -> None:
        """Let the link come back after :meth:`drop_link` and wait until ``broker`` is
        connected again. Brokers that reconnect by themselves only need the wait."""
        deadline = time.monotonic() + timeout
        while broker.state is not ConnectionState.CONNECTED:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.name} did not reconnect within {timeout} s")
            time.sleep(0.01)

    @abstractmethod
    def close(self) -> None:
        """Stop everything the harness started."""


class LocalBroker(Protocol):
    """A broker whose venue lives in the broker object (paper, PTrade)."""

    def feed(self, quote: Quote) -> None: ...

    def close(self) -> None: ...


class LocalHarness(BrokerHarness):
    """Brokers whose venue lives in the broker object, over one saved state.

    Each :meth:`open` is a fresh process reading the saved state; the newest broker is
    fed the market; the link is the broker's own disconnect and connect.
    """

    def __init__(self) -> None:
        self.current: Any = None
        self.opened: list[Any] = []

    @abstractmethod
    def build(self, events: EventSink) -> Broker:
        """A new broker over the saved state (seeding the venue when it is new)."""

    def open(self, events: EventSink) -> Broker:
        broker = self.build(events)
        self.current = broker
        self.opened.append(broker)
        return broker

    def quote(self, quote: Quote) -> None:
        assert self.current is not None
        self.current.feed(quote)

    def drop_link(self, broker: Broker) -> None:
        broker.disconnect()

    def restore_link(self, broker: Broker, timeout: float = 10.0) -> None:
        broker.connect()

    def close(self) -> None:
        for broker in self.opened:
            broker.close()
