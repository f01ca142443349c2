"""The QMT gateway's settings, session ids and behaviour without MiniQMT."""

from __future__ import annotations

import sys

import pytest
from pydantic import ValidationError

from quantlib.broker.errors import BrokerUnavailableError
from quantlib.broker.events import ConnectionEvent, ConnectionState, EventQueue
from quantlib.broker.qmt.gateway import QmtBroker, QmtConfig, new_session_id
from quantlib.broker.registry import open_broker

SETTINGS = {"userdata_path": "D:/qmt/userdata_mini", "account_id": "8881234567"}


def test_registered_as_qmt_with_its_config() -> None:
    broker = open_broker("qmt", SETTINGS)
    assert isinstance(broker, QmtBroker) and broker.name == "qmt"
    assert broker.state is ConnectionState.DISCONNECTED


@pytest.mark.parametrize(
    "bad",
    [
        {"account_type": "CREDIT"},
        {"session_id": 0},
        {"reconnect_interval": 0},
        {"request_timeout": -1},
        {"userdata_path": ""},
        {"unknown": 1},
    ],
)
def test_bad_settings_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        QmtConfig.model_validate({**SETTINGS, **bad})


def test_auto_session_ids_are_unique_in_the_process() -> None:
    ids = {new_session_id() for _ in range(1000)}
    assert len(ids) == 1000 and all(0 < i < 2**31 for i in ids)


def test_configured_session_id_is_the_first_and_each_reconnect_takes_the_next() -> None:
    broker = QmtBroker(QmtConfig.model_validate({**SETTINGS, "session_id": 41}))
    assert [broker._next_session() for _ in range(3)] == [41, 42, 43]


def test_connect_without_the_native_client_fails_clearly_and_leaves_no_module() -> None:
    before = {name for name in sys.modules if name.startswith("xtquant")}
    events = EventQueue()
    broker = QmtBroker(QmtConfig.model_validate(SETTINGS), events=events)
    with pytest.raises(BrokerUnavailableError, match=r"xtquant cannot be loaded|无法加载"):
        broker.connect()
    assert broker.state is ConnectionState.FAILED
    states = [e.state for e in events.drain() if isinstance(e, ConnectionEvent)]
    assert states == [ConnectionState.CONNECTING, ConnectionState.FAILED]
    assert {name for name in sys.modules if name.startswith("xtquant")} == before


def test_requests_before_connecting_are_refused() -> None:
    broker = QmtBroker(QmtConfig.model_validate(SETTINGS))
    with pytest.raises(BrokerUnavailableError):
        broker.query_account()
