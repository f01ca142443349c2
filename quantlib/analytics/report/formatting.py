"""Numbers, dates and missing values as report text."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from quantlib.analytics.report.labels import PERCENT, Labels

#: Metrics shown in yuan with two decimals.
MONEY = frozenset({"final_equity", "avg_win", "avg_loss", "total_fees"})
#: Metrics that are counts.
COUNTS = frozenset({"n_bars", "n_trades", "n_round_trips", "max_drawdown_days"})


def is_missing(value: Any) -> bool:
    """True for None, NaN and infinities (values a report must not print as numbers)."""
    if value is None:
        return True
    if isinstance(value, float | int):
        return not math.isfinite(value)
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def metric_text(name: str, value: Any, labels: Labels) -> str:
    """A metric's value as text: percent, yuan, count or ratio; ``n/a`` when missing."""
    if is_missing(value):
        return labels["na"]
    if isinstance(value, str):
        return value
    if isinstance(value, pd.Timestamp):
        return date_text(value)
    number = float(value)
    if name in PERCENT:
        return f"{number:.2%}"
    if name in MONEY:
        return f"{number:,.2f}"
    if name in COUNTS:
        return f"{round(number):,d}"
    return f"{number:,.2f}"


def date_text(value: Any) -> str:
    """A date as ``YYYY-MM-DD`` (empty when missing)."""
    if is_missing(value):
        return ""
    return str(pd.Timestamp(value).date())


def percent_text(value: Any, labels: Labels, digits: int = 1) -> str:
    """A fraction as a percentage; ``n/a`` when missing."""
    if is_missing(value):
        return labels["na"]
    return f"{float(value):.{digits}%}"


__all__ = ["COUNTS", "MONEY", "date_text", "is_missing", "metric_text", "percent_text"]
