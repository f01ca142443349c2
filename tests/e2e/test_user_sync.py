"""The hub's users and groups reach the platform without those people calling it.

A real hub (with its proxy and the managed service ``quant``) syncs its users into the
platform every 2 seconds. The admin makes people and groups through the hub's REST API
and reads the platform's ``/api/users`` and ``/api/audit`` through the proxy; the people
themselves never call the service.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from hub.service.sync import HubDirectory
from tests.e2e.hubprocess import Hub, start_hub

PEOPLE = {
    "sam": ["researcher"],
    "ruth": ["researcher", "risk_officer"],
    "otto": ["trader"],
    "pia": [],
}

pytestmark = pytest.mark.slow


def get(url: str, token: str) -> tuple[int, Any]:
    """GET ``url`` with a hub token; the status and the parsed JSON body."""
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


def until(read: Callable[[], Any], wanted: Callable[[Any], bool], hub: Hub, seconds: float) -> Any:
    """What ``read`` returns once it satisfies ``wanted``; fails after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        value = read()
        if wanted(value):
            return value
        assert time.monotonic() < deadline, (
            f"last seen {value!r}; hub log:\n{hub.log_text()[-3000:]}"
        )
        time.sleep(0.25)


@pytest.fixture(scope="module")
def hub(demo_store_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    """The embedded hub on free ports syncing users every 2 s, its service answering."""
    running = start_hub(
        tmp_path_factory.mktemp("user-sync") / "state",
        demo_store_template,
        TAORUI_IDLE_TIMEOUT="0",
        TAORUI_USER_SYNC_SECONDS="2",
    )
    try:
        yield running
    finally:
        running.stop()


def test_hub_changes_reach_the_platform_without_the_people_calling(hub: Hub) -> None:
    admin = hub.admin_token()
    for name, groups in PEOPLE.items():
        hub.api(f"users/{name}", admin, "POST")
        for group in groups:
            hub.api(f"groups/{group}/users", admin, "POST", {"users": [name]})

    def platform_users() -> dict[str, tuple[list[str], bool]]:
        status, body = get(hub.url + "services/quant/api/users?limit=100", admin)
        if status != 200:
            return {}
        return {user["name"]: (user["roles"], user["active"]) for user in body["items"]}

    expected = {name: (sorted(groups), True) for name, groups in PEOPLE.items()}
    seen = until(platform_users, lambda users: expected.items() <= users.items(), hub, 20)
    assert seen["admin"] == (["admin"], True)
    status, audit = get(hub.url + "services/quant/api/audit?action=user.mirror&limit=100", admin)
    assert status == 200, audit
    assert audit["total"] == len(PEOPLE) + 1, audit
    assert {entry["user_name"] for entry in audit["items"]} == {"system"}, (
        "the people never called: the sync created them"
    )
    assert "users synced from the hub: " in hub.log_text()

    hub.api("groups/risk_officer/users", admin, "DELETE", {"users": ["ruth"]})
    hub.api("users/otto", admin, "DELETE")

    changed = {**expected, "ruth": (["researcher"], True), "otto": (["trader"], False)}
    until(platform_users, lambda users: changed.items() <= users.items(), hub, 20)
    status, audit = get(hub.url + "services/quant/api/audit?action=user.deactivated", admin)
    assert status == 200, audit
    assert [(e["user_name"], e["role"], e["details"]) for e in audit["items"]] == [
        ("system", "", {"groups": ["trader"]})
    ]
    status, audit = get(hub.url + "services/quant/api/audit?action=user.groups_changed", admin)
    assert status == 200, audit
    newest = audit["items"][0]
    assert (newest["user_name"], newest["details"]) == (
        "system",
        {"before": ["researcher", "risk_officer"], "after": ["researcher"]},
    )

    hub.api("users/otto", admin, "POST")
    until(platform_users, lambda users: users.get("otto") == ([], True), hub, 20)


def test_the_hub_directory_reads_every_page(hub: Hub) -> None:
    admin = hub.admin_token()
    present = {user["name"] for user in hub.api("users", admin)}
    for name in ("page-a", "page-b", "page-c") if len(present) < 4 else ():
        hub.api(f"users/{name}", admin, "POST")
        hub.api("groups/trader/users", admin, "POST", {"users": [name]})
    listed = {user["name"]: sorted(user["groups"]) for user in hub.api("users", admin)}
    assert len(listed) > 3

    read = asyncio.run(HubDirectory(hub.url + "hub/api", admin, page_size=2).users())

    assert {name: sorted(groups) for name, groups in read.items()} == listed
