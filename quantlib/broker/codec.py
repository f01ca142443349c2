"""Broker records and events to and from JSON-ready dicts.

Used wherever they leave the process: the QMT bridge's HTTP and WebSocket messages and
the paper broker's saved state. Decimals travel as strings (exact), times as ISO 8601
with their offset, enums as their values; every dict carries a ``type`` tag. Decoding
checks the tag and the fields and raises :class:`CodecError` naming what is wrong.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import types
import typing
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any

from quantlib.broker import events as ev
from quantlib.core.errors import QuantlibError
from quantlib.model import trading


class CodecError(QuantlibError, ValueError):
    """A message or saved record that is not a valid encoding."""


#: Tag -> class of everything that can be encoded.
TYPES: dict[str, type] = {
    "order_request": trading.OrderRequest,
    "order": trading.BrokerOrder,
    "fill": trading.Fill,
    "position": trading.Position,
    "account": trading.Account,
    "quote": trading.Quote,
    "order_event": ev.OrderEvent,
    "trade_event": ev.TradeEvent,
    "position_event": ev.PositionEvent,
    "account_event": ev.AccountEvent,
    "quote_event": ev.QuoteEvent,
    "connection_event": ev.ConnectionEvent,
    "cancel_rejected_event": ev.CancelRejectedEvent,
    "notice": ev.BrokerNotice,
}
_TAGS = {cls: tag for tag, cls in TYPES.items()}


def encode(obj: Any) -> dict[str, Any]:
    """A JSON-ready dict of a record or event, tagged with its type."""
    tag = _TAGS.get(type(obj))
    if tag is None:
        raise CodecError(f"cannot encode {type(obj).__name__}")
    data: dict[str, Any] = {"type": tag}
    for item in dataclasses.fields(obj):
        data[item.name] = _value_out(getattr(obj, item.name))
    return data


def _value_out(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return encode(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_value_out(item) for item in value]
    return value


def decode(data: Any, expected: type | None = None) -> Any:
    """The record or event a dict from :func:`encode` stands for.

    ``expected`` (a class or a union of classes) refuses other types.
    """
    if not isinstance(data, dict):
        raise CodecError(f"expected an object, got {type(data).__name__}")
    tag = data.get("type")
    cls = TYPES.get(tag) if isinstance(tag, str) else None
    if cls is None:
        raise CodecError(f"unknown record type {tag!r}")
    if expected is not None and not issubclass(cls, _classes(expected)):
        raise CodecError(f"expected {expected}, got a {tag!r} record")
    hints = _hints(cls)
    names = {item.name for item in dataclasses.fields(cls)}
    unknown = set(data) - names - {"type"}
    if unknown:
        raise CodecError(f"{tag}: unknown fields {', '.join(sorted(unknown))}")
    values = {}
    for name in names & set(data):
        try:
            values[name] = _value_in(data[name], hints[name])
        except (CodecError, ValueError, TypeError, InvalidOperation) as error:
            raise CodecError(f"{tag}.{name}: {error}") from None
    try:
        return cls(**values)
    except TypeError as error:
        raise CodecError(f"{tag}: {error}") from None


def _classes(expected: Any) -> tuple[type, ...]:
    if isinstance(expected, types.UnionType):
        return typing.get_args(expected)
    return (expected,)


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    namespace = {**vars(trading), **vars(ev)}
    return typing.get_type_hints(cls, globalns=namespace)


def _value_in(value: Any, hint: Any) -> Any:
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        options = typing.get_args(hint)
        if value is None:
            if type(None) in options:
                return None
            raise CodecError("must not be null")
        last: Exception | None = None
        for option in options:
            if option is type(None):
                continue
            try:
                return _value_in(value, option)
            except (CodecError, ValueError, TypeError, InvalidOperation) as error:
                last = error
        raise CodecError(str(last))
    if origin is tuple:
        if not isinstance(value, list):
            raise CodecError(f"expected a list, got {type(value).__name__}")
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_value_in(item, args[0]) for item in value)
        if len(args) != len(value):
            raise CodecError(f"expected {len(args)} items, got {len(value)}")
        return tuple(_value_in(item, arg) for item, arg in zip(value, args, strict=True))
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return decode(value, hint)
    if hint is Decimal:
        if not isinstance(value, str | int):
            raise CodecError(f"expected a decimal string, got {value!r}")
        number = Decimal(value)
        if not number.is_finite():
            raise CodecError(f"expected a finite decimal, got {value!r}")
        return number
    if hint is dt.datetime:
        if not isinstance(value, str):
            raise CodecError(f"expected an ISO time, got {value!r}")
        moment = dt.datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise CodecError(f"time {value!r} has no UTC offset")
        return moment
    if isinstance(hint, type) and issubclass(hint, Enum):
        return hint(value)
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise CodecError(f"expected an integer, got {value!r}")
        return value
    if hint is bool or hint is str:
        if not isinstance(value, hint):
            raise CodecError(f"expected {hint.__name__}, got {value!r}")
        return value
    raise CodecError(f"cannot decode a field of type {hint}")


__all__ = ["TYPES", "CodecError", "decode", "encode"]
