"""What the bridge server and its client say to each other.

HTTP routes take and give JSON; records and events travel as
:func:`quantlib.broker.codec.encode` dicts. Every answer of a request carries ``seq``,
the number of the last event the server had logged when it answered, so the client can
hold the call until it has delivered those events (what the call caused is reported
before it returns, as in the in-process broker).

The event stream (``GET /v1/events``, WebSocket) sends JSON messages:

``{"kind": "hello", "server": ID, "seq": N, "first": F, "gap": bool, "state": S}``
    first, once. ``seq`` is the last event logged, ``first`` the oldest still kept;
    ``gap`` is true when the client asked for events after a number the server no longer
    keeps (or from another server run): it must resync by queries.
``{"kind": "event", "seq": N, "event": {...}}``
    one event of the wrapped broker, numbered from 1, in order.
``{"kind": "live"}``
    the replay is done; what follows is live.
"""

from __future__ import annotations

from quantlib.broker.errors import BrokerError, BrokerUnavailableError, UnknownOrderError
from quantlib.model.trading import InvalidOrderError

PREFIX = "/v1"
HEALTH = f"{PREFIX}/health"
CONNECT = f"{PREFIX}/connect"
ORDERS = f"{PREFIX}/orders"
CANCEL = f"{PREFIX}/cancel"
ACCOUNT = f"{PREFIX}/account"
POSITIONS = f"{PREFIX}/positions"
TRADES = f"{PREFIX}/trades"
SUBSCRIBE = f"{PREFIX}/quotes/subscribe"
EVENTS = f"{PREFIX}/events"

HELLO = "hello"
EVENT = "event"
LIVE = "live"

#: WebSocket close code the server uses when it drops its clients on purpose.
CLOSE_GOING_AWAY = 1001
#: WebSocket close code for a client that fell too far behind the live stream.
CLOSE_TOO_SLOW = 4000

# Error codes of the JSON error body ``{"error": CODE, "message": TEXT}``.
BAD_REQUEST = "bad_request"
UNAUTHORIZED = "unauthorized"
INVALID_ORDER = "invalid_order"
UNKNOWN_ORDER = "unknown_order"
BROKER_UNAVAILABLE = "broker_unavailable"
BROKER_ERROR = "broker_error"
INTERNAL = "internal_error"


class BridgeAuthError(BrokerUnavailableError, PermissionError):
    """The bridge server refused the token."""


class BridgeProtocolError(BrokerError, ValueError):
    """The other side sent something that is not the bridge protocol."""


#: The exception the client raises for each error code of the server.
ERRORS: dict[str, type[BrokerError] | type[InvalidOrderError]] = {
    BAD_REQUEST: BridgeProtocolError,
    UNAUTHORIZED: BridgeAuthError,
    INVALID_ORDER: InvalidOrderError,
    UNKNOWN_ORDER: UnknownOrderError,
    BROKER_UNAVAILABLE: BrokerUnavailableError,
    BROKER_ERROR: BrokerError,
    INTERNAL: BrokerError,
}


__all__ = [
    "ACCOUNT",
    "CANCEL",
    "CONNECT",
    "ERRORS",
    "EVENTS",
    "HEALTH",
    "ORDERS",
    "POSITIONS",
    "SUBSCRIBE",
    "TRADES",
    "BridgeAuthError",
    "BridgeProtocolError",
]
