"""The ``qmt-bridge`` broker passes the broker contract through a real bridge server.

The bridge server runs in this process on 127.0.0.1 (its own event loop and thread) in
front of the ``qmt`` broker on the MiniQMT simulator, as in production, and in front of
the paper broker, since the bridge serves any registered broker.
"""

from __future__ import annotations

import datetime as dt
import ssl
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from quantlib.broker.bridge.client import BridgeBroker
from quantlib.broker.bridge.config import BridgeConfig
from quantlib.broker.bridge.server import BridgeServer, BridgeServerThread
from quantlib.broker.events import ConnectionState, EventSink
from quantlib.broker.protocol import Broker
from quantlib.model.trading import Quote
from tests.integration.broker.contract import BrokerContract
from tests.integration.broker.harness import BrokerHarness
from tests.integration.broker.test_contract_paper import PaperHarness
from tests.integration.broker.test_contract_qmt import QmtHarness

TOKEN = "bridge-test-token-0123456789abcdef"
WAIT = 10.0


def venue_harness(tmp_path: Path, venue: str = "paper") -> BrokerHarness:
    """The harness of the broker the bridge serves: ``paper``, or ``qmt`` on the
    MiniQMT simulator (what the bridge serves in production)."""
    if venue == "qmt":
        return QmtHarness(tmp_path)
    return PaperHarness(tmp_path / "paper.sqlite")


def wait_until(condition: Any, timeout: float = WAIT, what: str = "condition") -> None:
    """Poll ``condition()`` until true; TimeoutError naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not reached within {timeout} s")
        time.sleep(0.01)


class BridgeHarness(BrokerHarness):
    """A bridge server in front of another harness's broker; clients are ``qmt-bridge``.

    ``drop_link`` stops the server's listener and closes its event streams, so clients
    fall to ``RECONNECTING``; ``restore_link`` listens again and waits for them.
    """

    name = "qmt-bridge"

    def __init__(
        self,
        venue: BrokerHarness,
        *,
        capacity: int = 10_000,
        ssl_context: ssl.SSLContext | None = None,
        connect: bool = True,
    ) -> None:
        self.venue = venue
        self.server = BridgeServer(venue.open, TOKEN, capacity=capacity, heartbeat=2.0)
        self.running = BridgeServerThread(self.server, ssl_context=ssl_context)
        self.scheme = "https" if ssl_context is not None else "http"
        self.port = self.running.start()
        self.clients: list[BridgeBroker] = []
        if connect:
            self.server.broker.connect()

    @property
    def url(self) -> str:
        """The server's base URL."""
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def config(self, **changes: Any) -> BridgeConfig:
        """Client settings for this server (fast reconnects), with ``changes``."""
        settings: dict[str, Any] = {
            "url": self.url,
            "token": TOKEN,
            "reconnect_interval": 0.05,
            "request_timeout": 5.0,
            "heartbeat": 2.0,
        }
        return BridgeConfig.model_validate({**settings, **changes})

    def open(self, events: EventSink) -> Broker:
        client = BridgeBroker(self.config(), events=events)
        self.clients.append(client)
        return client

    def quote(self, quote: Quote) -> None:
        self.venue.quote(quote)

    def next_day(self, day: dt.date) -> None:
        self.venue.next_day(day)

    def drop_link(self, broker: Broker) -> None:
        self.running.pause()
        wait_until(lambda: broker.state is not ConnectionState.CONNECTED, what="the link to drop")

    def restore_link(self, broker: Broker, timeout: float = WAIT) -> None:
        self.running.resume()
        super().restore_link(broker, timeout)

    def close(self) -> None:
        for client in self.clients:
            client.disconnect()
        self.running.stop()
        self.venue.close()


class TestBridgeContract(BrokerContract):
    @pytest.fixture(params=["qmt", "paper"])
    def harness(self, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[BrokerHarness]:
        harness = BridgeHarness(venue_harness(tmp_path, request.param))
        yield harness
        harness.close()
