"""The platform service in-process, with a token table standing in for the hub's answers.

:class:`TokenTable` is the hub seen from the service's side of its boundary: a token maps
to the name, groups and scopes ``/hub/api/user`` would return. The real hub is used by
the end-to-end tests (``tests/e2e``); these tests exercise everything behind it with a
real database, a real Dask cluster and real job workers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi import Request
from fastapi.routing import APIRouter
from fastapi.testclient import TestClient
from pydantic import SecretStr

from hub.service.app import create_app
from quantlib.platform.config import PlatformConfig
from quantlib.platform.db import open_engine, upgrade
from quantlib.platform.identity import Principal
from quantlib.platform.jobs import JobRunner

#: Users of the tests: researchers, one user per other role, one with two, one with none.
PEOPLE = {
    "ada": ["researcher"],
    "ben": ["researcher"],
    "risk": ["risk_officer"],
    "tess": ["trader"],
    "root": ["admin"],
    "duo": ["researcher", "risk_officer"],
    "nobody": [],
}


def token_of(name: str) -> str:
    """The test token of a person."""
    return f"token-{name}"


class TokenTable:
    """Answers who holds a token, as the hub would."""

    def __init__(self, people: dict[str, list[str]]) -> None:
        self.principals = {
            token_of(name): Principal.from_hub(name, groups=groups, scopes=["self"])
            for name, groups in people.items()
        }

    async def principal(self, request: Request) -> Principal | None:
        """The holder of the request's ``Authorization: token …``."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() not in {"token", "bearer"}:
            return None
        return self.principals.get(token.strip())

    def router(self) -> APIRouter | None:
        """No OAuth routes: tokens only."""
        return None


def headers(name: str) -> dict[str, str]:
    """Request headers authenticating as ``name``."""
    return {"Authorization": f"token {token_of(name)}"}


@contextmanager
def running_service(db_url: str, data_dir: Path, store: Path) -> Iterator[TestClient]:
    """The service app on a migrated database with a one-worker job runner, started."""
    engine = open_engine(db_url)
    upgrade(engine)
    engine.dispose()
    config = PlatformConfig(
        data_dir=data_dir, db_url=SecretStr(db_url), store=store, dask_workers=1
    )
    app = create_app(config, TokenTable(PEOPLE), runner=JobRunner(config))
    with TestClient(app) as client:
        yield client
