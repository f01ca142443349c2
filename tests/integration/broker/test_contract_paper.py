"""The paper broker passes the broker contract, with its account saved to SQLite."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from quantlib.broker.events import EventSink
from quantlib.broker.paper.broker import PaperBroker
from quantlib.broker.paper.engine import PaperConfig
from quantlib.broker.protocol import Broker
from quantlib.broker.registry import open_broker
from quantlib.model.trading import Quote
from tests.integration.broker.contract import BrokerContract
from tests.integration.broker.harness import (
    HELD_COST,
    HELD_QUANTITY,
    HELD_SYMBOL,
    START_CASH,
    BrokerHarness,
)


class PaperHarness(BrokerHarness):
    """Paper brokers over one saved account; the newest one is fed the market."""

    name = "paper"

    def __init__(self, state_path: Path) -> None:
        self.config = PaperConfig(cash=START_CASH, state_path=state_path)
        self.current: PaperBroker | None = None
        self.opened: list[PaperBroker] = []

    def open(self, events: EventSink) -> Broker:
        fresh = not self.config.state_path or not self.config.state_path.exists()
        broker = open_broker(self.name, self.config, events=events)
        assert isinstance(broker, PaperBroker)
        if fresh:
            broker.engine.set_position(HELD_SYMBOL, HELD_QUANTITY, HELD_COST)
        self.current = broker
        self.opened.append(broker)
        return broker

    def quote(self, quote: Quote) -> None:
        assert self.current is not None
        self.current.feed(quote)

    def next_day(self, day: dt.date) -> None:
        assert self.current is not None
        self.current.engine.start_day(day)

    def drop_link(self, broker: Broker) -> None:
        broker.disconnect()

    def restore_link(self, broker: Broker, timeout: float = 10.0) -> None:
        broker.connect()

    def close(self) -> None:
        for broker in self.opened:
            broker.close()


class TestPaperContract(BrokerContract):
    @pytest.fixture
    def harness(self, tmp_path: Path) -> Iterator[BrokerHarness]:
        harness = PaperHarness(tmp_path / "paper.sqlite")
        yield harness
        harness.close()
