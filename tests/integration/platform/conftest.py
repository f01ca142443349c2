"""Fixtures: the same database tests on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from quantlib.platform.db import open_engine, session_factory, upgrade
from tests.integration.platform.postgres import PostgresServer, postgres_bin


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One throwaway PostgreSQL cluster per test session (per xdist worker)."""
    bin_dir = postgres_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL is not installed and cannot be (needs root and apt-get)")
    server = PostgresServer.start(bin_dir)
    yield server
    server.stop()


def _fresh_database(request: pytest.FixtureRequest, directory: Path) -> Iterator[str]:
    """A URL of a fresh, empty database of the kind ``request.param`` names."""
    if request.param == "sqlite":
        yield f"sqlite:///{directory / 'platform' / 'platform.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = server.create_database()
    yield server.url(name)
    server.drop_database(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of a fresh, empty database of each kind."""
    yield from _fresh_database(request, tmp_path)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def module_db_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A URL of a fresh, empty database of each kind, shared by a module's tests."""
    yield from _fresh_database(request, tmp_path_factory.mktemp("db"))


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on a fresh database migrated to the newest revision."""
    opened = open_engine(db_url)
    upgrade(opened)
    yield opened
    opened.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    """Sessions on the migrated database."""
    return session_factory(engine)
