"""The platform service behind the real hub: tokens, OAuth sign-in, servers' own tokens.

One hub (with its proxy and the managed service ``quant``) serves the module. People
are made through the hub's REST API as the admin and put in groups; their tokens, a
browser signed in as the admin, and the token of a running JupyterLab server each reach
``/services/quant/api/me`` through the proxy.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from quantlib.analytics.report.pdf import CHROMIUM_FLAGS
from quantlib.client import PlatformClient, PlatformError
from tests.e2e.hubprocess import Hub, start_hub
from tests.e2e.test_hub import execute_remotely

playwright_sync = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
PEOPLE = {"alice": "researcher", "rita": "risk_officer", "tom": "trader", "nora": None}

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium"),
]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def get(url: str, token: str | None = None, scheme: str = "token") -> tuple[int, Any]:
    """GET ``url`` (redirects not followed); the status and the parsed JSON body."""
    headers = {"Authorization": f"{scheme} {token}"} if token else {}
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(urllib.request.Request(url, headers=headers), timeout=30) as answer:
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as error:
        body = error.read()
        try:
            return error.code, json.loads(body)
        except ValueError:
            return error.code, {"location": error.headers.get("Location"), "text": body}


@pytest.fixture(scope="module")
def hub(demo_store_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    """The embedded hub on free ports, its service answering, the people in groups."""
    running = start_hub(
        tmp_path_factory.mktemp("service") / "state",
        demo_store_template,
        TAORUI_IDLE_TIMEOUT="0",
    )
    try:
        deadline = time.monotonic() + 60
        while get(running.url + "services/quant/openapi.json")[0] != 200:
            assert time.monotonic() < deadline, running.log_text()[-4000:]
            time.sleep(0.5)
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def tokens(hub: Hub) -> dict[str, str]:
    """An API token per person (and the admin's), made by the admin."""
    admin = hub.admin_token()
    made = {"admin": admin}
    for name, group in PEOPLE.items():
        hub.api(f"users/{name}", admin, "POST")
        if group:
            hub.api(f"groups/{group}/users", admin, "POST", {"users": [name]})
        made[name] = hub.api(f"users/{name}/tokens", admin, "POST", {"note": "e2e"})["token"]
    made["alice-name-only"] = hub.api(
        "users/alice/tokens",
        admin,
        "POST",
        {"note": "no service", "scopes": ["read:users:name!user"]},
    )["token"]
    return made


def test_tokens_reach_the_service_with_their_roles(hub: Hub, tokens: dict[str, str]) -> None:
    me = hub.url + "services/quant/api/me"
    for name, group in PEOPLE.items():
        status, body = get(me, tokens[name])
        assert status == 200, body
        assert body["name"] == name and body["kind"] == "user"
        assert body["roles"] == ([group] if group else [])
    status, body = get(me, tokens["alice"], scheme="Bearer")
    assert (status, body["roles"]) == (200, ["researcher"])
    assert body["permissions"]["strategy.create"] == "allowed"
    status, body = get(me, tokens["admin"])
    assert (status, body["roles"]) == (200, ["admin"])

    status, body = get(me)
    assert status == 401
    assert body["detail"].startswith("authentication required")
    assert get(me, "not-a-hub-token")[0] == 401
    status, body = get(me, tokens["alice-name-only"])
    assert status == 401, body
    assert "refused user 'alice': its token lacks access:services" in hub.log_text()

    status, spec = get(hub.url + "services/quant/openapi.json")
    assert status == 200 and "/api/me" in spec["paths"]
    status, answer = get(hub.url + "services/quant/")
    assert status == 302 and answer["location"].startswith("/services/quant/login")


def test_the_client_reads_me_with_a_token(hub: Hub, tokens: dict[str, str]) -> None:
    with PlatformClient(hub.url + "services/quant", tokens["rita"]) as platform:
        assert platform.me()["roles"] == ["risk_officer"]
    with (
        PlatformClient(hub.url + "services/quant/", "bogus") as platform,
        pytest.raises(PlatformError) as refused,
    ):
        platform.me()
    assert refused.value.status == 401
    assert refused.value.detail.startswith("authentication required")


def test_a_browser_signs_in_through_the_hub(hub: Hub, tokens: dict[str, str]) -> None:
    with playwright_sync.sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_FLAGS))
        try:
            page = chromium.new_context().new_page()
            page.set_default_timeout(60_000)
            page.goto(hub.url + "hub/login")
            page.fill("#username_input", "admin")
            page.fill("#password_input", hub.admin_password)
            page.click("#login_submit")
            page.wait_for_load_state()
            page.goto(hub.url + "services/quant/")
            page.wait_for_selector("#who")
            assert page.url == hub.url + "services/quant/"
            assert "Signed in as admin" in page.inner_text("#who")
            assert page.inner_text("#roles") == "admin"
            assert page.get_attribute("#docs", "href") == "docs"
            me = page.evaluate("fetch('api/me').then(r => r.json())")
            assert me["name"] == "admin" and me["roles"] == ["admin"]
            cookies = {c["name"]: c for c in page.context.cookies()}
            assert cookies["service-quant"]["httpOnly"]
            assert cookies["service-quant"]["path"] == "/services/quant/"
            assert cookies["service-quant"]["sameSite"] == "Lax"
        finally:
            chromium.close()


def test_a_server_calls_the_service_with_its_own_token(hub: Hub, tokens: dict[str, str]) -> None:
    admin = tokens["admin"]
    hub.api("users/alice/server", admin, "POST", {"profile": "lab"})
    deadline = time.monotonic() + 120
    while not hub.api("users/alice", admin)["servers"].get("", {}).get("ready"):
        assert time.monotonic() < deadline, "alice's server did not start"
        time.sleep(1)
    output = execute_remotely(
        hub,
        tokens["alice"],
        "import os\n"
        "os.environ.pop('TAORUI_API_TOKEN', None)\n"
        "from quantlib.client import PlatformClient\n"
        "me = PlatformClient().me()\n"
        "print(os.environ['QUANTLIB_PLATFORM_URL'], me['name'], ','.join(me['roles']))",
    )
    url, name, roles = output.split()
    assert url.endswith("/services/quant/")
    assert (name, roles) == ("alice", "researcher")
    hub.api("users/alice/server", admin, "DELETE")
