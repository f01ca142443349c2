"""Errors of the platform database, permissions and audit log."""

from __future__ import annotations

from quantlib.core.errors import QuantlibError


class DatabaseError(QuantlibError, OSError):
    """The platform database cannot be opened, read or written."""


class DatabaseUnavailableError(DatabaseError):
    """The database server does not answer or refuses the connection."""


class SchemaError(DatabaseError):
    """The database schema does not match the code's migrations."""


class SchemaBehindError(SchemaError):
    """The database lacks migrations this code needs; run ``quantlib db upgrade``."""


class SchemaAheadError(SchemaError):
    """The database was migrated by a newer version of the code."""


class PermissionDeniedError(QuantlibError, PermissionError):
    """A user's roles do not allow the requested action on the resource."""


class AuditError(QuantlibError, ValueError):
    """An audit record cannot be written because its content is unusable."""
