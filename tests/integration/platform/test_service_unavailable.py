"""What the service answers when something it needs is missing or down: 503 with a
message naming it, never a 500, and nothing stored is changed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from hub.service.app import create_app
from quantlib.platform.config import PlatformConfig
from quantlib.platform.db import open_engine, upgrade
from tests.integration.platform.postgres import PostgresServer, postgres_bin
from tests.integration.platform.service_app import PEOPLE, TokenTable, headers

CODE = "def initialize(context):\n    pass\n"


def _app(db_url: str, data_dir: Path) -> TestClient:
    engine = open_engine(db_url)
    upgrade(engine)
    engine.dispose()
    config = PlatformConfig(data_dir=data_dir, db_url=SecretStr(db_url))
    return TestClient(create_app(config, TokenTable(PEOPLE)))


@pytest.fixture
def api(tmp_path: Path) -> Iterator[TestClient]:
    """The service without a job runner or a market data store."""
    with _app(f"sqlite:///{tmp_path / 'platform.db'}", tmp_path) as client:
        yield client


def test_jobs_are_refused_without_a_runner(api: TestClient) -> None:
    sid = api.post("/api/strategies", json={"name": "s"}, headers=headers("ada")).json()["id"]
    api.post(f"/api/strategies/{sid}/versions", json={"code": CODE}, headers=headers("ada"))
    body = {"strategy_id": sid, "version": 1, "start": "2025-06-03", "end": "2025-07-01"}
    for path, extra in (("/api/backtests", {}), ("/api/sweeps", {"grid": {"x": [1]}})):
        response = api.post(path, json={**body, **extra}, headers=headers("ada"))
        assert response.status_code == 503, response.text
        assert "no job runner" in response.json()["detail"]
    assert api.get("/api/jobs", headers=headers("root")).json()["total"] == 0


def test_a_database_that_goes_away_answers_503(tmp_path: Path) -> None:
    bin_dir = postgres_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL is not installed and cannot be (needs root and apt-get)")
    server = PostgresServer.start(bin_dir)
    try:
        url = server.url(server.create_database())
        with _app(url, tmp_path) as client:
            assert client.get("/api/me", headers=headers("ada")).status_code == 200
            server.stop()
            response = client.get("/api/strategies", headers=headers("ben"))
            assert response.status_code == 503, response.text
            detail = response.json()["detail"]
            assert "platform database" in detail and "unavailable" in detail
    finally:
        server.stop()
