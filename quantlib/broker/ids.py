"""Client order ids: assigned by us, carried through every broker.

An id is short enough for xtquant's order remark and PTrade's order id map (≤ 24
characters of ``[0-9A-Za-z_-]``), sorts by creation time, and is unique across
processes and restarts: a millisecond timestamp, a per-process counter and random bits.
"""

from __future__ import annotations

import itertools
import re
import secrets
import threading
import time

from quantlib.model.trading import InvalidOrderError

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_PATTERN = re.compile(r"^[0-9A-Za-z_-]{1,24}$")
_counter = itertools.count()
_lock = threading.Lock()


def _base36(value: int, width: int) -> str:
    digits = []
    for _ in range(width):
        value, digit = divmod(value, 36)
        digits.append(_ALPHABET[digit])
    return "".join(reversed(digits))


def new_client_order_id(prefix: str = "T") -> str:
    """A fresh id such as ``T0MFX3K2Q1A7H2C9``: prefix, time, counter, random."""
    with _lock:
        count = next(_counter) % 36**3
    stamp = _base36(int(time.time() * 1000), 9)
    return f"{prefix}{stamp}{_base36(count, 3)}{_base36(secrets.randbelow(36**3), 3)}"


def check_client_order_id(value: str) -> str:
    """``value`` if it is a usable client order id, else :class:`InvalidOrderError`."""
    if not isinstance(value, str) or not _PATTERN.match(value):
        raise InvalidOrderError(
            f"client order id {value!r} must be 1-24 characters of letters, digits, '_' or '-'"
        )
    return value


__all__ = ["check_client_order_id", "new_client_order_id"]
