"""Every endpoint of the platform service, called by every role and anonymously, answers
as the permission matrix says: allowed → 2xx, forbidden → 403, anonymous → 401.

Each call gets fresh objects to act on, owned by the caller (for "own" access) or by
another researcher, so an allowed call can succeed whatever ran before it.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from quantlib.backtest.examples import dual_ma
from quantlib.platform.rbac import PERMISSIONS, Access, Action, Role
from tests.integration.platform.service_app import headers, running_service

CODE = Path(dual_ma.__file__).read_text(encoding="utf-8")
WINDOW = {"start": "2025-06-03", "end": "2025-09-30"}
#: Who plays each role; ``ada`` is the researcher, ``ben`` another researcher.
PLAYERS = {
    Role.RESEARCHER: "ada",
    Role.RISK_OFFICER: "risk",
    Role.TRADER: "tess",
    Role.ADMIN: "root",
}
Call = tuple[str, dict[str, Any]]


class World:
    """Makes fresh objects through the API as their owners."""

    names = itertools.count(1)

    def __init__(self, api: TestClient) -> None:
        self.api = api

    def post(self, who: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """POST as ``who``; the JSON answer, which must be 2xx."""
        response = self.api.post(path, json=body, headers=headers(who))
        assert response.is_success, response.text
        result: dict[str, Any] = response.json()
        return result

    def strategy(self, owner: str) -> int:
        """A new strategy of ``owner`` with one version."""
        sid = int(self.post(owner, "/api/strategies", {"name": f"walk-{next(self.names)}"})["id"])
        self.post(owner, f"/api/strategies/{sid}/versions", {"code": CODE})
        return sid

    def pipeline(self, owner: str, *, reviewed: bool = False) -> int:
        """A pass of a new version of ``owner``, at final approval when ``reviewed``."""
        sid = self.strategy(owner)
        pid = int(self.post(owner, f"/api/strategies/{sid}/versions/1/submit")["id"])
        if reviewed:
            self.post(
                "risk",
                f"/api/pipelines/{pid}/approvals",
                {"kind": "risk_review", "decision": "approved", "comment": "ok"},
            )
        return pid

    def long_job(self, owner: str) -> int:
        """A sweep of ``owner`` that takes long enough to be cancelled."""
        sid = self.strategy(owner)
        grid = {"fast": list(range(2, 12)), "slow": list(range(20, 60, 4))}
        body = {"strategy_id": sid, "version": 1, **WINDOW, "grid": grid}
        return int(self.post(owner, "/api/sweeps", body)["id"])


@dataclass(frozen=True)
class Endpoint:
    """One route: its action, whether "own" access applies, how to make a call to it."""

    method: str
    path: str
    action: Action | None
    prepare: Callable[[World, str, dict[str, Any]], Call]
    owned: bool = False


def fixed(url: str, body: dict[str, Any] | None = None) -> Callable[..., Call]:
    """A call that needs no fresh objects."""
    return lambda world, owner, shared: (url, {"json": body} if body is not None else {})


def on_strategy(suffix: str, body: Any = None, params: Any = None) -> Callable[..., Call]:
    """A call on a fresh strategy of ``owner``."""

    def prepare(world: World, owner: str, shared: dict[str, Any]) -> Call:
        sid = world.strategy(owner)
        extra: dict[str, Any] = {}
        if body is not None:
            extra["json"] = body
        if params is not None:
            extra["params"] = params
        return f"/api/strategies/{sid}{suffix}", extra

    return prepare


def approval(kind: str) -> Callable[..., Call]:
    """A sign-off on a fresh pass of a version ``owner`` wrote."""

    def prepare(world: World, owner: str, shared: dict[str, Any]) -> Call:
        pid = world.pipeline(owner, reviewed=kind == "final")
        body = {"kind": kind, "decision": "approved", "comment": "walk"}
        return f"/api/pipelines/{pid}/approvals", {"json": body}

    return prepare


def on_run(suffix: str) -> Callable[..., Call]:
    """A call on the finished backtest run."""
    return lambda world, owner, shared: (f"/api/backtests/{shared['run']}{suffix}", {})


def on_job(suffix: str, method_body: bool = False) -> Callable[..., Call]:
    """A call on a job of ``owner``: the finished one, or a fresh long one to cancel."""

    def prepare(world: World, owner: str, shared: dict[str, Any]) -> Call:
        job = world.long_job(owner) if method_body else shared["jobs"][owner]
        return f"/api/jobs/{job}{suffix}", {}

    return prepare


def submit(kind: str) -> Callable[..., Call]:
    """A backtest or sweep submission on a fresh strategy of ``owner``."""

    def prepare(world: World, owner: str, shared: dict[str, Any]) -> Call:
        sid = world.strategy(owner)
        body: dict[str, Any] = {"strategy_id": sid, "version": 1, **WINDOW}
        if kind == "sweeps":
            body["grid"] = {"fast": [5]}
        return f"/api/{kind}", {"json": body}

    return prepare


def limit_put(world: World, owner: str, shared: dict[str, Any]) -> Call:
    """Set a firm-wide limit."""
    return "/api/risk-limits/walk_limit", {"json": {"value": "1.5", "unit": "ratio"}}


ENDPOINTS = [
    Endpoint("GET", "/api/me", None, fixed("/api/me")),
    Endpoint("GET", "/api/strategies", Action.STRATEGY_READ, fixed("/api/strategies")),
    Endpoint(
        "POST",
        "/api/strategies",
        Action.STRATEGY_CREATE,
        lambda world, owner, shared: (
            "/api/strategies",
            {"json": {"name": f"new-{owner}-{time.monotonic_ns()}"}},
        ),
    ),
    Endpoint("GET", "/api/strategies/{strategy_id}", Action.STRATEGY_READ, on_strategy("")),
    Endpoint(
        "GET",
        "/api/strategies/{strategy_id}/versions",
        Action.STRATEGY_READ,
        on_strategy("/versions"),
    ),
    Endpoint(
        "POST",
        "/api/strategies/{strategy_id}/versions",
        Action.VERSION_UPLOAD,
        on_strategy("/versions", body={"code": CODE + "\n# v2\n"}),
        owned=True,
    ),
    Endpoint(
        "GET",
        "/api/strategies/{strategy_id}/versions/{number}",
        Action.STRATEGY_READ,
        on_strategy("/versions/1"),
    ),
    Endpoint(
        "GET",
        "/api/strategies/{strategy_id}/diff",
        Action.VERSION_READ_CODE,
        on_strategy("/diff", params={"from": 1, "to": 1}),
        owned=True,
    ),
    Endpoint(
        "POST",
        "/api/strategies/{strategy_id}/versions/{number}/submit",
        Action.PIPELINE_SUBMIT,
        on_strategy("/versions/1/submit"),
        owned=True,
    ),
    Endpoint("GET", "/api/pipelines", Action.PIPELINE_READ, fixed("/api/pipelines")),
    Endpoint(
        "GET",
        "/api/pipelines/{pipeline_id}",
        Action.PIPELINE_READ,
        lambda world, owner, shared: (f"/api/pipelines/{world.pipeline(owner)}", {}),
    ),
    Endpoint(
        "POST",
        "/api/pipelines/{pipeline_id}/approvals",
        Action.APPROVAL_REVIEW,
        approval("risk_review"),
    ),
    Endpoint("POST", "/api/backtests", Action.BACKTEST_RUN, submit("backtests"), owned=True),
    Endpoint("GET", "/api/backtests", Action.BACKTEST_READ, fixed("/api/backtests")),
    Endpoint("GET", "/api/backtests/{run_id}", Action.BACKTEST_READ, on_run("")),
    Endpoint("GET", "/api/backtests/{run_id}/metrics", Action.BACKTEST_READ, on_run("/metrics")),
    Endpoint("GET", "/api/backtests/{run_id}/report", Action.BACKTEST_READ, on_run("/report")),
    Endpoint("POST", "/api/sweeps", Action.BACKTEST_RUN, submit("sweeps"), owned=True),
    Endpoint("GET", "/api/jobs", Action.JOB_READ, fixed("/api/jobs")),
    Endpoint("GET", "/api/jobs/{job_id}", Action.JOB_READ, on_job(""), owned=True),
    Endpoint("GET", "/api/jobs/{job_id}/log", Action.JOB_READ, on_job("/log"), owned=True),
    Endpoint(
        "POST",
        "/api/jobs/{job_id}/cancel",
        Action.JOB_CANCEL,
        on_job("/cancel", method_body=True),
        owned=True,
    ),
    Endpoint("GET", "/api/risk-limits", Action.RISK_LIMIT_READ, fixed("/api/risk-limits")),
    Endpoint("PUT", "/api/risk-limits/{name}", Action.RISK_LIMIT_EDIT, limit_put),
    Endpoint("GET", "/api/audit", Action.AUDIT_READ, fixed("/api/audit")),
    Endpoint("GET", "/api/audit/export", Action.AUDIT_EXPORT, fixed("/api/audit/export")),
    Endpoint("GET", "/api/audit/verify", Action.AUDIT_READ, fixed("/api/audit/verify")),
    Endpoint("GET", "/api/users", Action.USER_READ, fixed("/api/users")),
]
#: The final approval shares its route with the review; walked as a second entry.
FINAL_APPROVAL = Endpoint(
    "POST", "/api/pipelines/{pipeline_id}/approvals", Action.APPROVAL_FINAL, approval("final")
)
WALK = [*ENDPOINTS, FINAL_APPROVAL]
#: List endpoints that show an "own"-access caller their own rows instead of refusing.
FILTERED_LISTS = {("GET", "/api/jobs"), ("GET", "/api/users")}


@pytest.fixture(scope="module")
def api(
    module_db_url: str, demo_store_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    """The service on a fresh database of each kind."""
    with running_service(
        module_db_url, tmp_path_factory.mktemp("platform"), demo_store_template
    ) as client:
        yield client


@pytest.fixture(scope="module")
def shared(api: TestClient) -> dict[str, Any]:
    """A finished backtest (of ben's) and a finished job of each researcher."""
    world = World(api)
    found: dict[str, Any] = {"jobs": {}}
    for owner in ("ada", "ben"):
        sid = world.strategy(owner)
        body = {"strategy_id": sid, "version": 1, **WINDOW}
        run = world.post(owner, "/api/backtests", body)
        found["jobs"][owner] = run["job_id"]
        found["run"] = run["id"]
    for owner in ("ada", "ben"):
        deadline = time.monotonic() + 180
        while (
            api.get(f"/api/jobs/{found['jobs'][owner]}", headers=headers(owner)).json()["status"]
            != "succeeded"
        ):
            assert time.monotonic() < deadline, "the walk's backtests did not finish"
            time.sleep(0.3)
    return found


def test_the_walk_covers_every_endpoint(api: TestClient) -> None:
    paths = api.get("/openapi.json").json()["paths"]
    routes = {(method.upper(), path) for path, item in paths.items() for method in item}
    assert routes == {(e.method, e.path) for e in ENDPOINTS}


def expected(endpoint: Endpoint, role: Role | None, own: bool) -> str:
    """``ok``, ``forbidden`` for a role; what the matrix says."""
    if endpoint.action is None:
        return "ok"
    if role is None:
        return "forbidden"
    access = PERMISSIONS[endpoint.action][role]
    if access is Access.ALLOWED:
        return "ok"
    if access is Access.OWN:
        if (endpoint.method, endpoint.path) in FILTERED_LISTS:
            return "ok"
        return "ok" if own else "forbidden"
    return "forbidden"


CASES = [
    pytest.param(
        endpoint,
        role,
        own,
        id=f"{endpoint.method} {endpoint.path} {endpoint.action} {role} {(own and 'own') or ''}",
    )
    for endpoint in WALK
    for role in [*Role, None]
    for own in ([True, False] if endpoint.owned and role is Role.RESEARCHER else [False])
]


@pytest.mark.parametrize(("endpoint", "role", "own"), CASES)
def test_endpoint_answers_each_role_as_the_matrix_says(
    api: TestClient, shared: dict[str, Any], endpoint: Endpoint, role: Role | None, own: bool
) -> None:
    world = World(api)
    caller = PLAYERS[role] if role is not None else "nobody"
    owner = caller if own else "ben"
    url, request = endpoint.prepare(world, owner, shared)
    anonymous = api.request(endpoint.method, url, **request)
    assert anonymous.status_code == 401, anonymous.text
    response = api.request(endpoint.method, url, headers=headers(caller), **request)
    want = expected(endpoint, role, own)
    if want == "ok":
        assert response.is_success, f"{caller}: {response.status_code} {response.text}"
    else:
        assert response.status_code == 403, f"{caller}: {response.status_code} {response.text}"
        assert str(endpoint.action) in response.json()["detail"]


def test_walk_leaves_the_audit_chain_whole(api: TestClient, shared: dict[str, Any]) -> None:
    for job in api.get(
        "/api/jobs", params={"status": "running", "limit": 500}, headers=headers("root")
    ).json()["items"]:
        api.post(f"/api/jobs/{job['id']}/cancel", headers=headers("root"))
    verified = api.get("/api/audit/verify", headers=headers("root")).json()
    assert verified["ok"], verified
    denied = api.get(
        "/api/audit", params={"outcome": "denied", "limit": 1}, headers=headers("risk")
    )
    assert denied.json()["total"] > 0
