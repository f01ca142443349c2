"""Brokers are opened by name through entry points; wrong settings are named."""

from __future__ import annotations

import pytest

from quantlib.broker.errors import UnknownBrokerError
from quantlib.broker.events import ConnectionState, EventQueue
from quantlib.broker.protocol import Broker
from quantlib.broker.registry import available_brokers, broker_class, open_broker
from quantlib.core.errors import ConfigError


def test_the_four_brokers_are_registered() -> None:
    assert {"paper", "qmt", "qmt-bridge", "ptrade"} <= set(available_brokers())


@pytest.mark.parametrize("name", ["paper", "qmt", "qmt-bridge", "ptrade"])
def test_each_registered_broker_is_a_broker_with_a_config(name: str) -> None:
    cls = broker_class(name)
    assert cls.config_class.__name__.endswith("Config")
    assert getattr(cls, "name", None) == name


def test_paper_opens_by_name_and_satisfies_the_protocol() -> None:
    broker = open_broker("paper", {"cash": "500000"}, events=EventQueue())
    assert isinstance(broker, Broker)
    assert broker.state is ConnectionState.DISCONNECTED


def test_an_unknown_broker_name_lists_the_known_ones() -> None:
    with pytest.raises(UnknownBrokerError, match=r"unknown broker 'ctp'.*paper"):
        open_broker("ctp")


@pytest.mark.parametrize(
    ("settings", "match"),
    [
        ({"cash": "-1"}, "cash"),
        ({"participation": "2"}, "participation"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_wrong_settings_are_refused_naming_the_setting(settings: dict, match: str) -> None:
    with pytest.raises(ConfigError, match=f"broker 'paper' settings: {match}"):
        open_broker("paper", settings)
