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
from tests.integration.broker.contract import BrokerContract
from tests.integration.broker.harness import (
    HELD_COST,
    HELD_QUANTITY,
    HELD_SYMBOL,
    START_CASH,
    BrokerHarness,
    LocalHarness,
)


class PaperHarness(LocalHarness):
    """Paper brokers over one saved account."""

    name = "paper"

    def __init__(self, state_path: Path) -> None:
        super().__init__()
        self.config = PaperConfig(cash=START_CASH, state_path=state_path)

    def build(self, events: EventSink) -> Broker:
        fresh = not self.config.state_path or not self.config.state_path.exists()
        broker = open_broker(self.name, self.config, events=events)
        assert isinstance(broker, PaperBroker)
        if fresh:
            broker.engine.set_position(HELD_SYMBOL, HELD_QUANTITY, HELD_COST)
        return broker

    def next_day(self, day: dt.date) -> None:
        self.current.engine.start_day(day)


class TestPaperContract(BrokerContract):
    @pytest.fixture
    def harness(self, tmp_path: Path) -> Iterator[BrokerHarness]:
        harness = PaperHarness(tmp_path / "paper.sqlite")
        yield harness
        harness.close()
