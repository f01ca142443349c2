"""The error raised when a report cannot be produced."""

from __future__ import annotations

from quantlib.core.errors import QuantlibError


class ReportError(QuantlibError, ValueError):
    """A report cannot be produced: missing tools, unusable input or an unwritable path.

    Messages carry English and Simplified Chinese.
    """


__all__ = ["ReportError"]
