"""Malformed or invalid requests get 400/422 naming the problem, and change nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from quantlib.broker.bridge import wire
from quantlib.broker.events import EventQueue
from quantlib.broker.protocol import Broker
from tests.integration.broker.harness import DAY, HELD_SYMBOL, at, quote
from tests.integration.broker.test_bridge_auth import http
from tests.integration.broker.test_contract_bridge import (
    TOKEN,
    BridgeHarness,
    venue_harness,
)

ORDER = (
    '{"type": "order_request", "symbol": "600000.SH", "side": "buy", "quantity": %s, '
    '"limit_price": "9.50"%s}'
)

BAD = [
    ("POST", wire.ORDERS, b"{not json", 400, "not valid JSON"),
    ("POST", wire.ORDERS, b"[1, 2]", 400, "JSON object"),
    ("POST", wire.ORDERS, (ORDER % ("100", ', "colour": "red"')).encode(), 400, "colour"),
    ("POST", wire.ORDERS, (ORDER % ('"100"', "")).encode(), 400, "quantity"),
    ("POST", wire.ORDERS, (ORDER % ("0", "")).encode(), 422, "quantity"),
    ("POST", wire.ORDERS, (ORDER % ("1.5", "")).encode(), 400, "quantity"),
    ("POST", wire.ORDERS, b'{"type": "order_request", "side": "buy"}', 400, "symbol"),
    ("POST", wire.ORDERS, (ORDER % ("100", "")).replace('"buy"', '"hold"').encode(), 400, "side"),
    ("POST", wire.ORDERS, (ORDER % ("100", "")).replace("9.50", "abc").encode(), 400, "price"),
    ("POST", wire.ORDERS, b'{"type": "fill"}', 400, "fill"),
    ("POST", wire.CANCEL, b'{"client_order_id": "bad id!"}', 422, "client order id"),
    ("POST", wire.CANCEL, b'{"order": "X"}', 400, "order"),
    ("POST", wire.CANCEL, b"{}", 400, "client_order_id"),
    ("POST", wire.SUBSCRIBE, b'{"symbols": "600000.SH"}', 400, "symbols"),
    ("POST", wire.SUBSCRIBE, b'{"symbols": ["not a code"]}', 422, "not a code"),
    ("POST", wire.CONNECT, b'{"force": true}', 400, "force"),
    ("GET", wire.EVENTS + "?since=abc", None, 400, "since"),
]


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[BridgeHarness]:
    harness = BridgeHarness(venue_harness(tmp_path))
    harness.quote(quote(HELD_SYMBOL, at(DAY, 10, 0), "10.00"))
    yield harness
    harness.close()


def snapshot(broker: Broker) -> tuple[object, ...]:
    return (
        broker.query_account(),
        broker.query_positions(),
        broker.query_orders(),
        broker.query_trades(),
    )


@pytest.mark.parametrize(("method", "path", "body", "status", "named"), BAD)
def test_bad_request_is_answered_4xx_naming_the_problem_and_changes_nothing(
    harness: BridgeHarness, method: str, path: str, body: bytes | None, status: int, named: str
) -> None:
    before = snapshot(harness.server.broker)
    seq = harness.server.log.last_seq
    answered, answer = http(method, harness.url + path, token=TOKEN, body=body)
    assert answered == status, answer
    assert named in answer["message"]
    assert answer["error"] in (wire.BAD_REQUEST, wire.INVALID_ORDER)
    assert snapshot(harness.server.broker) == before
    assert harness.server.log.last_seq == seq


def test_cancel_of_an_unknown_order_is_404_naming_it(harness: BridgeHarness) -> None:
    answered, answer = http(
        "POST", harness.url + wire.CANCEL, token=TOKEN, body=b'{"client_order_id": "NOPE"}'
    )
    assert (answered, answer["error"]) == (404, wire.UNKNOWN_ORDER)
    assert "NOPE" in answer["message"]


def test_requests_before_the_served_broker_connects_are_503(tmp_path: Path) -> None:
    harness = BridgeHarness(venue_harness(tmp_path), connect=False)
    try:
        answered, answer = http("GET", harness.url + wire.ACCOUNT, token=TOKEN)
        assert (answered, answer["error"]) == (503, wire.BROKER_UNAVAILABLE)
        client = harness.open(EventQueue())
        client.connect()
        assert client.query_account() is not None
        client.disconnect()
    finally:
        harness.close()
