"""The ptrade broker passes the broker contract over the simulated PTrade counter.

Each broker opened is a fresh process: it builds its own venue from the saved counter
state and reads its client-order-id map from disk, so the restart scenario exercises
PTrade's order id mapping.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from quantlib.broker.events import EventSink
from quantlib.broker.protocol import Broker
from quantlib.broker.ptrade.broker import PTradeBroker, PTradeConfig
from quantlib.broker.ptrade.codes import to_ptrade_code
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


class PTradeHarness(LocalHarness):
    """PTrade brokers over one saved counter and order-id map."""

    name = "ptrade"

    def __init__(self, state_path: Path) -> None:
        super().__init__()
        self.config = PTradeConfig(cash=START_CASH, state_path=state_path, position_lag=0)

    def build(self, events: EventSink) -> Broker:
        venue_path = self.config.venue_state_path
        fresh = venue_path is None or not venue_path.exists()
        broker = open_broker(self.name, self.config, events=events)
        assert isinstance(broker, PTradeBroker)
        if fresh:
            broker.venue.set_position(to_ptrade_code(HELD_SYMBOL), HELD_QUANTITY, HELD_COST)
        return broker

    def next_day(self, day: dt.date) -> None:
        self.current.venue.start_day(day)


class TestPTradeContract(BrokerContract):
    @pytest.fixture
    def harness(self, tmp_path: Path) -> Iterator[BrokerHarness]:
        harness = PTradeHarness(tmp_path / "ptrade.sqlite")
        yield harness
        harness.close()
