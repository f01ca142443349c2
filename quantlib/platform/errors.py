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
    """A user's roles do not allow the requested action on the resource.

    ``action``, ``object_type`` and ``object_id`` say what was refused, for the audit
    record of the refusal.
    """

    def __init__(
        self,
        message: str,
        *,
        action: str | None = None,
        object_type: str | None = None,
        object_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.action = action
        self.object_type = object_type
        self.object_id = object_id


class AuditError(QuantlibError, ValueError):
    """An audit record cannot be written because its content is unusable."""


class NotFoundError(QuantlibError, LookupError):
    """The strategy, version, run, job or limit asked for does not exist."""


class ConflictError(QuantlibError, ValueError):
    """The request clashes with what is stored: a duplicate name, a finished job."""


class InvalidInputError(QuantlibError, ValueError):
    """A request field has a value the platform cannot accept; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class PlatformUnavailableError(QuantlibError, RuntimeError):
    """Something the request needs is not there: no data store, no job runner."""
