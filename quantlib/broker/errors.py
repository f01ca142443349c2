"""Errors of the broker layer."""

from __future__ import annotations

from quantlib.core.errors import QuantlibError


class BrokerError(QuantlibError, RuntimeError):
    """A broker refused or failed a request."""


class BrokerUnavailableError(BrokerError, ConnectionError):
    """The broker cannot be reached, or is not connected."""


class UnknownOrderError(BrokerError, LookupError):
    """No order with that client order id is known."""


class UnknownBrokerError(QuantlibError, LookupError):
    """No broker is registered under the requested name."""


class BrokerStateError(BrokerError):
    """A broker's saved state cannot be read or does not match its settings."""
