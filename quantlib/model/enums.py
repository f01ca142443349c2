"""Small enumerations of the trading domain."""

from __future__ import annotations

from enum import StrEnum


class Side(StrEnum):
    """Order side."""

    BUY = "buy"
    SELL = "sell"
