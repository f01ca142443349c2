"""Brokers by name: ``paper``, ``qmt``, ``qmt-bridge``, ``ptrade``, and any plug-in.

Brokers register under the ``quantlib.brokers`` entry-point group (this package
registers its four in ``pyproject.toml``). A registered class has a ``config_class``
(a pydantic ``*Config``) and is built as ``cls(config, events=sink)``, so
:func:`open_broker` checks the settings before anything connects and names a wrong one.
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import entry_points
from typing import Any, Protocol, cast

from pydantic import ValidationError

from quantlib.broker.errors import UnknownBrokerError
from quantlib.broker.events import EventSink
from quantlib.broker.protocol import Broker
from quantlib.core.config import BaseConfig
from quantlib.core.errors import ConfigError

GROUP = "quantlib.brokers"


class BrokerClass(Protocol):
    """What a registered broker class offers."""

    config_class: type[BaseConfig]

    def __call__(self, config: Any, *, events: EventSink | None = None) -> Broker:
        """Build the broker from its validated config."""
        ...


def available_brokers() -> dict[str, str]:
    """Registered broker names with their ``module:Class`` targets."""
    return {entry.name: entry.value for entry in entry_points(group=GROUP)}


def broker_class(name: str) -> BrokerClass:
    """The class registered under ``name``."""
    registry = available_brokers()
    if name not in registry:
        known = ", ".join(sorted(registry)) or "none"
        raise UnknownBrokerError(f"unknown broker {name!r}; registered: {known}")
    module_name, _, attribute = registry[name].partition(":")
    cls = getattr(import_module(module_name), attribute, None)
    if not isinstance(getattr(cls, "config_class", None), type):
        raise UnknownBrokerError(f"{registry[name]} registered as {name!r} is not a broker")
    return cast(BrokerClass, cls)


def broker_config(name: str, settings: dict[str, Any] | BaseConfig | None = None) -> BaseConfig:
    """The validated config of broker ``name`` (a ``*Config`` passes through)."""
    cls = broker_class(name)
    if isinstance(settings, cls.config_class):
        return settings
    try:
        return cls.config_class.model_validate(dict(settings or {}))
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in item['loc']) or 'settings'}: {item['msg']}"
            for item in error.errors()
        )
        raise ConfigError(f"broker {name!r} settings: {problems}") from None


def open_broker(
    name: str,
    settings: dict[str, Any] | BaseConfig | None = None,
    *,
    events: EventSink | None = None,
) -> Broker:
    """Build the broker registered as ``name`` (not yet connected).

    Examples
    --------
    >>> from quantlib.broker.events import EventQueue
    >>> broker = open_broker("paper", {"cash": "1000000"}, events=EventQueue())
    >>> broker.name
    'paper'
    """
    config = broker_config(name, settings)
    return broker_class(name)(config, events=events)


__all__ = [
    "GROUP",
    "BrokerClass",
    "available_brokers",
    "broker_class",
    "broker_config",
    "open_broker",
]
