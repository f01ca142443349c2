"""The bridge refuses every route and the event stream without the right token, and the
command line refuses to start without a well-kept token file."""

from __future__ import annotations

import asyncio
import json
import logging
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from quantlib.broker.bridge import cli, wire
from quantlib.broker.bridge.client import BridgeBroker
from quantlib.broker.events import ConnectionState, EventQueue
from tests.integration.broker.test_contract_bridge import (
    TOKEN,
    BridgeHarness,
    venue_harness,
)

ROUTES = [
    ("GET", wire.HEALTH),
    ("POST", wire.CONNECT),
    ("POST", wire.ORDERS),
    ("POST", wire.CANCEL),
    ("POST", wire.SUBSCRIBE),
    ("GET", wire.ACCOUNT),
    ("GET", wire.POSITIONS),
    ("GET", wire.ORDERS),
    ("GET", wire.TRADES),
    ("GET", wire.EVENTS),
]


def http(
    method: str, url: str, token: str | None = None, body: bytes | None = None
) -> tuple[int, Any]:
    """Status and JSON body of one request."""
    request = urllib.request.Request(url, data=body, method=method)
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    if body is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[BridgeHarness]:
    harness = BridgeHarness(venue_harness(tmp_path))
    yield harness
    harness.close()


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_route_without_a_token_is_refused_401(
    harness: BridgeHarness, method: str, path: str
) -> None:
    status, body = http(method, harness.url + path, body=b"{}" if method == "POST" else None)
    assert status == 401
    assert body["error"] == wire.UNAUTHORIZED and "Bearer" in body["message"]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_route_with_a_wrong_token_is_refused_401_and_logged(
    harness: BridgeHarness, method: str, path: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="quantlib.broker.bridge.server")
    status, body = http(method, harness.url + path, token="x" * 32, body=None)
    assert status == 401 and body["error"] == wire.UNAUTHORIZED
    assert any("wrong token" in record.getMessage() for record in caplog.records)
    assert "x" * 32 not in caplog.text


@pytest.mark.parametrize("token", [None, "wrong-token-wrong-token"])
def test_event_stream_without_the_right_token_is_refused(
    harness: BridgeHarness, token: str | None
) -> None:
    async def open_stream() -> int:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with aiohttp.ClientSession() as session:
            try:
                socket = await session.ws_connect(
                    harness.url.replace("http", "ws") + wire.EVENTS, headers=headers
                )
            except aiohttp.WSServerHandshakeError as error:
                return error.status
            await socket.close()
            return 101

    assert asyncio.run(asyncio.wait_for(open_stream(), 10)) == 401


def test_right_token_is_accepted(harness: BridgeHarness) -> None:
    status, body = http("GET", harness.url + wire.HEALTH, token=TOKEN)
    assert status == 200 and body["state"] == "connected"


def test_client_with_a_wrong_token_fails_to_connect_with_a_clear_error(
    harness: BridgeHarness,
) -> None:
    events = EventQueue()
    client = BridgeBroker(harness.config(token="not-the-token-at-all"), events=events)
    with pytest.raises(wire.BridgeAuthError, match="refused the token"):
        client.connect()
    assert client.state is ConnectionState.FAILED
    assert "not-the-token-at-all" not in repr(client.config)


def test_cli_refuses_to_start_without_a_token_file(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    missing = tmp_path / "absent.token"
    assert cli.main(["serve", "--broker", "paper", "--token-file", str(missing)]) == 2
    assert "does not exist" in caplog.text


def test_cli_refuses_a_token_file_others_can_read(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "bridge.token"
    path.write_text("s" * 40)
    path.chmod(0o644)
    assert cli.main(["serve", "--broker", "paper", "--token-file", str(path)]) == 2
    assert "can be read by other users" in caplog.text and "chmod 600" in caplog.text


def test_cli_refuses_a_short_token(tmp_path: Path) -> None:
    path = tmp_path / "bridge.token"
    path.write_text("short")
    path.chmod(0o600)
    with pytest.raises(cli.TokenFileError, match="shorter than 16"):
        cli.read_token(path)


def test_token_command_writes_an_owner_only_token_that_serve_accepts(tmp_path: Path) -> None:
    path = tmp_path / "bridge.token"
    assert cli.main(["token", str(path)]) == 0
    assert path.stat().st_mode & 0o077 == 0
    assert len(cli.read_token(path)) >= 40
    assert cli.main(["token", str(path)]) == 2
