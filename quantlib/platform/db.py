"""Opening the platform database, sessions, and checking its schema against the code.

SQLite (a file under the data directory) is the embedded default; PostgreSQL is used
when a ``postgresql://`` URL is configured (driven by psycopg 3). On SQLite every
transaction takes the write lock when it begins (``BEGIN IMMEDIATE``), so concurrent
writers queue behind each other instead of failing halfway.

The schema belongs to the Alembic migrations in ``migrations/``: :func:`upgrade` applies
them, :func:`schema_status` compares the database with the code, and
:func:`require_current_schema` is what a service calls before it starts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

from quantlib.core.errors import ConfigError
from quantlib.platform.config import PlatformConfig
from quantlib.platform.errors import (
    DatabaseError,
    DatabaseUnavailableError,
    SchemaAheadError,
    SchemaBehindError,
)

MIGRATIONS = Path(__file__).with_name("migrations")
UPGRADE_HINT = "run `quantlib db upgrade`"
#: Key of the PostgreSQL advisory lock held while migrations run.
MIGRATION_LOCK_KEY = 0x7A0_0001
#: Seconds to wait for a PostgreSQL server to answer, unless the URL says otherwise.
CONNECT_TIMEOUT = 10
#: Milliseconds a SQLite connection waits for another writer before giving up.
SQLITE_BUSY_TIMEOUT_MS = 30_000

_DRIVERS = {
    "sqlite": "sqlite",
    "sqlite+pysqlite": "sqlite",
    "postgresql": "postgresql+psycopg",
    "postgres": "postgresql+psycopg",
    "postgresql+psycopg": "postgresql+psycopg",
}
_PASSWORD = re.compile(r"(://[^:/@]*):[^@]*@")


class SchemaState(StrEnum):
    """How the database's schema relates to the code's migrations."""

    CURRENT = "current"
    EMPTY = "empty"
    BEHIND = "behind"
    AHEAD = "ahead"


@dataclass(frozen=True)
class SchemaStatus:
    """The database's migration revision beside the newest one this code knows."""

    url: str
    current: str | None
    head: str
    state: SchemaState

    def describe(self) -> str:
        """One line saying where the schema stands and what to do about it."""
        where = f"database {self.url} is at revision {self.current or '(none)'}"
        if self.state is SchemaState.CURRENT:
            return f"{where}, the newest this code knows"
        if self.state is SchemaState.AHEAD:
            return (
                f"{where}, which this code does not know (newest known: {self.head}); "
                "the database was migrated by a newer quantlib: upgrade quantlib"
            )
        return f"{where}; this code needs revision {self.head}: {UPGRADE_HINT}"


def safe_url(url: str | URL) -> str:
    """The URL with any password masked, fit for messages and logs."""
    if isinstance(url, URL):
        return url.render_as_string(hide_password=True)
    return _PASSWORD.sub(r"\1:***@", url)


def parse_url(url: str) -> URL:
    """Parse and check a database URL; PostgreSQL URLs are pointed at psycopg 3.

    Raises :class:`~quantlib.core.errors.ConfigError` naming what is wrong.
    """
    expected = "expected sqlite:///PATH or postgresql://USER@HOST:PORT/DATABASE"
    try:
        parsed = make_url(url.strip())
    except ArgumentError:
        raise ConfigError(f"database URL {safe_url(url)!r} cannot be parsed; {expected}") from None
    driver = _DRIVERS.get(parsed.drivername)
    if driver is None:
        raise ConfigError(f"database URL scheme {parsed.drivername!r} is not supported; {expected}")
    parsed = parsed.set(drivername=driver)
    if driver == "sqlite" and not parsed.database:
        raise ConfigError(f"database URL {safe_url(url)!r} names no SQLite file; {expected}")
    if driver.startswith("postgresql") and not parsed.database:
        raise ConfigError(f"database URL {safe_url(parsed)!r} names no database; {expected}")
    return parsed


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def open_engine(url: str | None = None, *, config: PlatformConfig | None = None) -> Engine:
    """An engine for ``url``, else for the configured (or default SQLite) database.

    Nothing connects yet; the SQLite file's directory is created if missing.

    Examples
    --------
    >>> engine = open_engine("sqlite:////tmp/taorui-doc/platform.db")
    >>> engine.dialect.name
    'sqlite'
    """
    text_url = url if url is not None else (config or PlatformConfig.from_env()).database_url()
    parsed = parse_url(text_url)
    if parsed.drivername == "sqlite":
        if parsed.database != ":memory:":
            Path(str(parsed.database)).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed)
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    connect_args = {} if "connect_timeout" in parsed.query else {"connect_timeout": CONNECT_TIMEOUT}
    try:
        return create_engine(parsed, connect_args=connect_args, pool_pre_ping=True)
    except NoSuchModuleError as error:
        raise ConfigError(f"no driver for {parsed.drivername}: {error}") from None


@contextmanager
def translate_errors(engine: Engine) -> Iterator[None]:
    """Turn driver errors into :class:`DatabaseError` with a one-line, password-free reason."""
    try:
        yield
    except DBAPIError as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        where = safe_url(engine.url)
        if error.connection_invalidated or _is_connect_failure(error):
            raise DatabaseUnavailableError(
                f"cannot connect to database {where}: {reason}"
            ) from error
        raise DatabaseError(f"database {where} failed: {reason}") from error


def _is_connect_failure(error: DBAPIError) -> bool:
    message = str(error.orig).lower()
    return any(
        phrase in message
        for phrase in ("connection", "could not translate host", "unable to open database")
    )


def check_connection(engine: Engine) -> None:
    """Connect once; raise :class:`DatabaseUnavailableError` naming the server if that fails."""
    with translate_errors(engine), engine.connect() as connection:
        connection.execute(text("SELECT 1"))


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions on ``engine`` whose objects stay readable after commit.

    Examples
    --------
    >>> sessions = session_factory(open_engine("sqlite:////tmp/taorui-doc/platform.db"))
    >>> with sessions.begin() as session:  # commits on success, rolls back on error
    ...     pass
    """
    return sessionmaker(engine, expire_on_commit=False)


def _alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest migration revision this code knows."""
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    if head is None:
        raise DatabaseError(f"no migrations found in {MIGRATIONS}")
    return head


def _status(connection: Connection, url: str) -> SchemaStatus:
    current = MigrationContext.configure(connection).get_current_revision()
    script = ScriptDirectory.from_config(_alembic_config())
    head = head_revision()
    if current is None:
        state = SchemaState.EMPTY
    elif current == head:
        state = SchemaState.CURRENT
    else:
        known = {revision.revision for revision in script.walk_revisions()}
        state = SchemaState.BEHIND if current in known else SchemaState.AHEAD
    return SchemaStatus(url=url, current=current, head=head, state=state)


def schema_status(engine: Engine) -> SchemaStatus:
    """Where the database's schema stands relative to this code's migrations."""
    with translate_errors(engine), engine.connect() as connection:
        return _status(connection, safe_url(engine.url))


def require_current_schema(engine: Engine) -> SchemaStatus:
    """Refuse to go on unless the schema is exactly what this code expects.

    Raises :class:`SchemaBehindError` (saying to run ``quantlib db upgrade``) when the
    database lacks migrations, :class:`SchemaAheadError` when a newer quantlib migrated
    it, and :class:`DatabaseUnavailableError` when it cannot be reached.
    """
    status = schema_status(engine)
    if status.state is SchemaState.AHEAD:
        raise SchemaAheadError(status.describe())
    if status.state is not SchemaState.CURRENT:
        raise SchemaBehindError(status.describe())
    return status


def upgrade(engine: Engine, revision: str = "head") -> SchemaStatus:
    """Apply the migrations up to ``revision`` in one transaction; return the new status.

    A database migrated by newer code is refused untouched. On PostgreSQL an advisory
    lock keeps two simultaneous upgrades from interleaving.
    """
    url = safe_url(engine.url)
    with translate_errors(engine), engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
            )
        before = _status(connection, url)
        if before.state is SchemaState.AHEAD:
            raise SchemaAheadError(before.describe())
        try:
            command.upgrade(_alembic_config(connection), revision)
        except CommandError as error:
            raise DatabaseError(f"cannot upgrade {url} to {revision!r}: {error}") from None
        return _status(connection, url)


def downgrade(engine: Engine, revision: str) -> SchemaStatus:
    """Undo migrations down to ``revision`` (``"base"`` removes every table)."""
    url = safe_url(engine.url)
    with translate_errors(engine), engine.begin() as connection:
        try:
            command.downgrade(_alembic_config(connection), revision)
        except CommandError as error:
            raise DatabaseError(f"cannot downgrade {url} to {revision!r}: {error}") from None
        return _status(connection, url)
