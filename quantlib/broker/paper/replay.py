"""Quotes from stored daily bars, for paper trading a stretch of history.

Each trading day becomes four quotes per symbol inside the continuous session — the
open (09:30), the day's extreme met first (10:30), the other extreme (13:30) and the
close (14:56) — with the bar's volume spread evenly over the four. The order of high
and low is a guess from the bar's shape: a day that closed above its open is taken to
have made its low first. The quotes carry no book, so the paper matcher fills at the
last price within the participation cap (see :mod:`quantlib.broker.matching`), never
buying at limit-up or selling at limit-down. Suspended days give one quote marked
suspended.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from quantlib.core.dates import SHANGHAI
from quantlib.data.store import DataStore
from quantlib.model.trading import Quote, as_price

#: The moments of a day's replayed quotes.
MOMENTS = (dt.time(9, 30), dt.time(10, 30), dt.time(13, 30), dt.time(14, 56))
FIELDS = [
    "open",
    "high",
    "low",
    "close",
    "preclose",
    "volume",
    "amount",
    "up_limit",
    "down_limit",
    "suspended",
]


def _price(value: float) -> Decimal | None:
    return None if value is None or not math.isfinite(value) else as_price(value)


def replay_bars(
    store: DataStore, symbols: str | Iterable[str], start: Any = None, end: Any = None
) -> Iterator[Quote]:
    """Quotes replaying ``symbols``' daily bars from ``start`` to ``end``, in time order."""
    data = store.bars(symbols, start, end, FIELDS)
    times = pd.DatetimeIndex(data["time"].values)
    names = [str(s) for s in data["symbol"].values]
    values = {name: np.asarray(data[name].values) for name in FIELDS}
    for t, day in enumerate(times.date):
        stamps = [dt.datetime.combine(day, moment, SHANGHAI) for moment in MOMENTS]
        for i, symbol in enumerate(names):
            row = {name: values[name][t, i] for name in FIELDS}
            pre_close = _price(float(row["preclose"]))
            close = _price(float(row["close"]))
            if pre_close is None or close is None:
                continue
            up, down = _price(float(row["up_limit"])), _price(float(row["down_limit"]))
            if bool(row["suspended"]):
                yield Quote(
                    symbol,
                    stamps[0],
                    close,
                    pre_close,
                    up_limit=up,
                    down_limit=down,
                    suspended=True,
                )
                continue
            opening, high, low = (_price(float(row[f])) or close for f in ("open", "high", "low"))
            path = (opening, low, high, close) if close >= opening else (opening, high, low, close)
            volume = int(row["volume"])
            amount = Decimal(str(float(row["amount"]))) if math.isfinite(row["amount"]) else None
            for step, (moment, last) in enumerate(zip(stamps, path, strict=True), start=1):
                done = volume * step // len(MOMENTS)
                yield Quote(
                    symbol,
                    moment,
                    last,
                    pre_close,
                    volume=done,
                    amount=(amount * step / len(MOMENTS)).quantize(Decimal("0.01"))
                    if amount is not None
                    else last * done,
                    up_limit=up,
                    down_limit=down,
                )


__all__ = ["MOMENTS", "replay_bars"]
