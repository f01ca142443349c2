"""Performance analytics: returns, drawdowns, risk-adjusted and benchmark-relative
metrics, rolling windows, trade statistics, and the chart style shared by notebooks.

:func:`performance` gathers everything for a backtest result or an equity curve;
definitions are in ``docs/analytics.md``.
"""

from quantlib.analytics.performance import METRIC_KEYS, Performance, performance

__all__ = ["METRIC_KEYS", "Performance", "performance"]
