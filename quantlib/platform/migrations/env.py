"""Alembic's entry point for the platform migrations.

:func:`quantlib.platform.db.upgrade` hands over an open connection in
``config.attributes["connection"]``; run by the ``alembic`` command instead, this opens
the configured database (``TAORUI_DB_URL``, else the default SQLite file).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from quantlib.platform.db import open_engine
from quantlib.platform.models import Base


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _main() -> None:
    given = context.config.attributes.get("connection")
    if given is not None:
        _run(given)
        return
    with open_engine().begin() as connection:
        _run(connection)


_main()
