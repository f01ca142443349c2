"""The error hierarchy.

Every error raised on purpose by quantlib derives from :class:`QuantlibError` and also
from the builtin that matches its meaning, so callers can catch either. Messages name
the bad value and say what was expected.
"""

from __future__ import annotations


class QuantlibError(Exception):
    """Root of all errors raised by quantlib on purpose."""


class ConfigError(QuantlibError, ValueError):
    """A setting has a wrong value or type."""


class MalformedSymbolError(QuantlibError, ValueError):
    """A security code cannot be parsed in any known vendor form."""


class UnknownSymbolError(QuantlibError, LookupError):
    """A well-formed code that is not known (to the rules or to a store)."""


class DateError(QuantlibError, ValueError):
    """A date cannot be parsed, or lies outside what is known."""


class NotATradingDayError(DateError):
    """A date that should be a trading day is not one."""


class InvalidRangeError(QuantlibError, ValueError):
    """A range whose start lies after its end, or that is otherwise unusable."""


class UnknownFieldError(QuantlibError, LookupError):
    """A requested field, frequency or option name does not exist."""


class StoreError(QuantlibError, OSError):
    """A data store cannot be opened, read or written."""


class NotAStoreError(StoreError):
    """A path that is not a quantlib data store."""


class CorruptStoreError(StoreError):
    """Stored data is unreadable or inconsistent."""


class StoreLockedError(StoreError):
    """Another writer holds the store's lock."""


class DataValidationError(QuantlibError, ValueError):
    """Incoming data failed validation; nothing was written."""


class SourceError(QuantlibError, RuntimeError):
    """A data source (vendor) failed or answered with an error."""


class EmptyResponseError(SourceError):
    """A data source answered with no rows where rows were required."""


class UnknownSourceError(QuantlibError, LookupError):
    """No data source is registered under the requested name."""


class SourceUnavailableError(SourceError):
    """A source's client library is not installed or cannot log in."""
