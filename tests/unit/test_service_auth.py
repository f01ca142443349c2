"""The platform service's start-up checks and its identity's failures, without a hub."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("fastapi")

from fastapi import HTTPException
from starlette.requests import Request

from hub.service.__main__ import listen_address
from hub.service.auth import HubIdentity, HubIdentityError
from hub.settings import REPO_ROOT
from quantlib.client import PlatformClient, PlatformError
from quantlib.platform.db import open_engine, upgrade
from tests.e2e.hubprocess import free_port

SERVICE_ENV = {
    "JUPYTERHUB_API_URL": "http://127.0.0.1:8081/hub/api",
    "JUPYTERHUB_API_TOKEN": "service-secret",
    "JUPYTERHUB_SERVICE_NAME": "quant",
    "JUPYTERHUB_SERVICE_PREFIX": "/services/quant/",
    "JUPYTERHUB_SERVICE_URL": "http://127.0.0.1:8765",
    "JUPYTERHUB_CLIENT_ID": "service-quant",
    "JUPYTERHUB_BASE_URL": "/",
}


def request(headers: dict[str, str], method: str = "GET") -> Request:
    raw = [(name.lower().encode(), value.encode()) for name, value in headers.items()]
    return Request({"type": "http", "method": method, "path": "/api/me", "headers": raw})


def test_from_env_names_the_missing_variable() -> None:
    identity = HubIdentity.from_env(SERVICE_ENV)
    assert identity.access_scopes == {"access:services!service=quant"}
    assert identity.authorize_url == "/hub/api/oauth2/authorize"
    assert identity.callback_url == "/services/quant/oauth_callback"
    public = {**SERVICE_ENV, "JUPYTERHUB_PUBLIC_HUB_URL": "https://quant.example.com/hub/"}
    assert (
        HubIdentity.from_env(public).authorize_url
        == "https://quant.example.com/hub/api/oauth2/authorize"
    )
    for name in ("JUPYTERHUB_API_URL", "JUPYTERHUB_API_TOKEN", "JUPYTERHUB_CLIENT_ID"):
        partial = {key: value for key, value in SERVICE_ENV.items() if key != name}
        with pytest.raises(HubIdentityError, match=f"{name} is not set"):
            HubIdentity.from_env(partial)
    bad = {**SERVICE_ENV, "JUPYTERHUB_OAUTH_ACCESS_SCOPES": "access:services"}
    with pytest.raises(HubIdentityError, match="JUPYTERHUB_OAUTH_ACCESS_SCOPES must be a JSON"):
        HubIdentity.from_env(bad)
    assert listen_address(SERVICE_ENV) == ("127.0.0.1", 8765)
    with pytest.raises(HubIdentityError, match="JUPYTERHUB_SERVICE_URL is not set"):
        listen_address({})


def test_an_unreachable_hub_answers_503_and_no_credentials_none() -> None:
    env = {**SERVICE_ENV, "JUPYTERHUB_API_URL": f"http://127.0.0.1:{free_port()}/hub/api"}
    identity = HubIdentity.from_env(env)
    assert asyncio.run(identity.principal(request({}))) is None
    assert asyncio.run(identity.principal(request({"Authorization": "Basic abc"}))) is None
    with pytest.raises(HTTPException) as refused:
        asyncio.run(identity.principal(request({"Authorization": "Bearer some-token"})))
    assert refused.value.status_code == 503
    assert "the hub does not answer" in str(refused.value.detail)
    # a cookie from another site does not authorize a change (no hub asked)
    cross = request({"Cookie": "service-quant=tok", "Sec-Fetch-Site": "cross-site"}, method="POST")
    assert asyncio.run(identity.principal(cross)) is None


def test_only_pages_of_the_service_are_sign_in_targets() -> None:
    identity = HubIdentity.from_env(SERVICE_ENV)
    assert identity._local("/services/quant/docs") == "/services/quant/docs"
    assert identity._local("https://evil.example.com/services/quant/") == "/services/quant/"
    assert identity._local("//evil.example.com/") == "/services/quant/"
    assert identity._local("/hub/admin") == "/services/quant/"


def service_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("TAORUI_")}
    return {**env, **SERVICE_ENV, "TAORUI_DATA_DIR": str(tmp_path / "data"), **extra}


def test_the_service_refuses_a_configured_database_that_is_behind(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'behind.db'}"
    engine = open_engine(url)
    upgrade(engine, "0001")
    engine.dispose()
    done = subprocess.run(
        [sys.executable, "-m", "hub.service"],
        cwd=REPO_ROOT,
        env=service_env(tmp_path, TAORUI_DB_URL=url),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: ") and "quantlib db upgrade" in lines[0]


def test_the_service_refuses_to_start_outside_the_hub(tmp_path: Path) -> None:
    env = service_env(tmp_path)
    del env["JUPYTERHUB_CLIENT_ID"]
    done = subprocess.run(
        [sys.executable, "-m", "hub.service"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "JUPYTERHUB_CLIENT_ID is not set" in done.stderr


def test_the_client_names_what_is_missing_and_what_does_not_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("QUANTLIB_PLATFORM_URL", "JUPYTERHUB_API_TOKEN", "TAORUI_API_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(PlatformError, match="QUANTLIB_PLATFORM_URL"):
        PlatformClient()
    with pytest.raises(PlatformError, match="JUPYTERHUB_API_TOKEN or TAORUI_API_TOKEN"):
        PlatformClient("http://127.0.0.1:1/services/quant/")
    url = f"http://127.0.0.1:{free_port()}/services/quant"
    monkeypatch.setenv("QUANTLIB_PLATFORM_URL", url)
    monkeypatch.setenv("TAORUI_API_TOKEN", "abc")
    with PlatformClient() as platform, pytest.raises(PlatformError) as failed:
        platform.me()
    assert failed.value.status is None and url + "/" in failed.value.detail
