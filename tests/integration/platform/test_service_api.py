"""The platform service end to end in-process: a real database (SQLite and PostgreSQL),
real Dask workers running the strategy code, the whole research-to-approval story."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from quantlib.backtest.examples import dual_ma
from tests.integration.platform.service_app import headers, running_service

CODE = Path(dual_ma.__file__).read_text(encoding="utf-8")
START, END = "2025-06-03", "2025-12-31"
FINAL = {"succeeded", "failed", "cancelled"}


@pytest.fixture(scope="module")
def api(
    module_db_url: str, demo_store_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    """The service on a fresh database of each kind."""
    with running_service(
        module_db_url, tmp_path_factory.mktemp("platform"), demo_store_template
    ) as client:
        yield client


def call(api: TestClient, who: str | None, method: str, path: str, **kwargs: Any) -> Any:
    """A request as ``who`` (None: anonymous)."""
    return api.request(method, path, headers=headers(who) if who else {}, **kwargs)


def ok(response: Any, status: int = 200) -> Any:
    """The JSON of a response that must have ``status``."""
    assert response.status_code == status, response.text
    return response.json()


def refused(response: Any, status: int, *words: str) -> dict[str, Any]:
    """The error body of a response that must be refused with ``status``."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    for word in words:
        assert word in body["detail"], body
    return body


def wait_final(api: TestClient, who: str, path: str, timeout: float = 180) -> dict[str, Any]:
    """Poll ``path`` until its status is final."""
    deadline = time.monotonic() + timeout
    while True:
        body: dict[str, Any] = ok(call(api, who, "GET", path))
        if body["status"] in FINAL:
            return body
        assert time.monotonic() < deadline, f"{path} still {body['status']}: {body}"
        time.sleep(0.3)


@pytest.fixture(scope="module")
def strategy(api: TestClient) -> dict[str, Any]:
    """ada's strategy with two versions."""
    created = ok(
        call(
            api, "ada", "POST", "/api/strategies", json={"name": "双均线 dual", "description": "x"}
        ),
        201,
    )
    ok(
        call(api, "ada", "POST", f"/api/strategies/{created['id']}/versions", json={"code": CODE}),
        201,
    )
    second = CODE.replace('PARAMS = {"fast": 10, "slow": 50}', 'PARAMS = {"fast": 5, "slow": 20}')
    ok(
        call(
            api,
            "ada",
            "POST",
            f"/api/strategies/{created['id']}/versions",
            json={"code": second, "config": {"note": "faster"}, "message": "faster averages"},
        ),
        201,
    )
    return created


def test_anonymous_and_unknown_tokens_get_401(api: TestClient) -> None:
    body = refused(call(api, None, "GET", "/api/me"), 401, "authentication required")
    assert body["errors"] == []
    response = api.get("/api/me", headers={"Authorization": "token wrong"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "token"


def test_me_names_roles_and_permissions(api: TestClient) -> None:
    me = ok(call(api, "duo", "GET", "/api/me"))
    assert me["name"] == "duo"
    assert me["roles"] == ["researcher", "risk_officer"]
    assert me["permissions"]["approval.review"] == "allowed"
    assert me["permissions"]["strategy.update"] == "own"
    assert ok(call(api, "nobody", "GET", "/api/me"))["permissions"]["strategy.read"] == "denied"


def test_strategies_versions_and_diff(api: TestClient, strategy: dict[str, Any]) -> None:
    sid = strategy["id"]
    refused(
        call(api, "ada", "POST", "/api/strategies", json={"name": "双均线 dual"}), 409, "exists"
    )
    listed = ok(call(api, "tess", "GET", "/api/strategies", params={"q": "dual", "limit": 1}))
    assert listed["total"] == 1 and listed["items"][0]["versions"] == 2
    assert listed["items"][0]["owner"] == "ada"
    same = call(api, "ada", "POST", f"/api/strategies/{sid}/versions", json={"code": CODE})
    refused(same, 409, "version 1")
    versions = ok(call(api, "risk", "GET", f"/api/strategies/{sid}/versions"))
    assert [v["number"] for v in versions["items"]] == [2, 1]
    assert versions["items"][0]["code"].startswith('"""Dual')
    hidden = ok(call(api, "tess", "GET", f"/api/strategies/{sid}/versions/1"))
    assert hidden["code"] is None and hidden["content_hash"]
    diff = ok(call(api, "ada", "GET", f"/api/strategies/{sid}/diff", params={"from": 1, "to": 2}))
    assert '-PARAMS = {"fast": 10, "slow": 50}' in diff["code_diff"]
    assert diff["config_added"] == {"note": "faster"} and not diff["identical"]
    refused(
        call(api, "ben", "GET", f"/api/strategies/{sid}/diff", params={"from": 1, "to": 2}),
        403,
        "ada owns this one",
    )
    refused(call(api, "ada", "GET", f"/api/strategies/{sid}/versions/9"), 404, "no version 9")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": "def initialize(context):\n    x = (\n"}, "code"),
        ({"code": "x = 1\n"}, "code"),
        ({"code": "PARAMS = compute()\ndef initialize(c): pass\n"}, "code"),
        ({"code": "def initialize(c): pass\n", "git_commit": "xyz"}, "git_commit"),
        ({"code": "def initialize(c): pass\n", "colour": "red"}, "colour"),
        ({"code": "def initialize(c): pass\n", "config": {"x": float("inf")}}, "config"),
    ],
)
def test_bad_versions_are_refused_naming_the_field(
    api: TestClient, strategy: dict[str, Any], body: dict[str, Any], field: str
) -> None:
    sid = strategy["id"]
    before = ok(call(api, "ada", "GET", f"/api/strategies/{sid}/versions"))["total"]
    try:
        response = call(api, "ada", "POST", f"/api/strategies/{sid}/versions", json=body)
    except ValueError:
        # the client itself refuses to send non-finite JSON numbers
        assert field == "config"
        return
    error = refused(response, 422, field)
    assert any(item["field"].startswith(field) for item in error["errors"]), error
    assert ok(call(api, "ada", "GET", f"/api/strategies/{sid}/versions"))["total"] == before


def test_backtest_runs_in_a_worker_to_metrics_and_report(
    api: TestClient, strategy: dict[str, Any]
) -> None:
    sid = strategy["id"]
    submitted = ok(
        call(
            api,
            "ada",
            "POST",
            "/api/backtests",
            json={"strategy_id": sid, "version": 2, "start": START, "end": END, "cash": 1e6},
        ),
        202,
    )
    assert submitted["status"] in {"queued", "running"} and submitted["job_id"]
    assert submitted["store_snapshot"]
    done = wait_final(api, "ada", f"/api/backtests/{submitted['id']}")
    assert done["status"] == "succeeded", done
    assert done["progress"] == 1.0 and done["has_report"]
    metrics = ok(call(api, "tess", "GET", f"/api/backtests/{submitted['id']}/metrics"))
    assert metrics == done["metrics"] and "sharpe" in metrics
    report = call(api, "risk", "GET", f"/api/backtests/{submitted['id']}/report")
    assert report.status_code == 200 and report.headers["content-type"].startswith("text/html")
    assert "<html" in report.text[:500].lower()
    job = ok(call(api, "ada", "GET", f"/api/jobs/{submitted['job_id']}"))
    assert job["status"] == "succeeded" and job["kind"] == "backtest"
    refused(call(api, "ben", "GET", f"/api/jobs/{submitted['job_id']}"), 403, "ada owns")
    assert call(api, "risk", "GET", f"/api/jobs/{submitted['job_id']}/log").status_code == 200
    mine = ok(call(api, "ben", "GET", "/api/jobs"))
    assert all(item["submitted_by"] == "ben" for item in mine["items"])
    runs = ok(call(api, "ben", "GET", "/api/backtests", params={"strategy_id": sid}))
    assert submitted["id"] in [item["id"] for item in runs["items"]]


def test_a_strategy_error_fails_the_job_with_its_message(api: TestClient) -> None:
    created = ok(call(api, "ben", "POST", "/api/strategies", json={"name": "broken"}), 201)
    code = "def initialize(context):\n    pass\n\ndef handle_data(context, data):\n    1 / 0\n"
    ok(
        call(api, "ben", "POST", f"/api/strategies/{created['id']}/versions", json={"code": code}),
        201,
    )
    run = ok(
        call(
            api,
            "ben",
            "POST",
            "/api/backtests",
            json={"strategy_id": created["id"], "version": 1, "start": START, "end": END},
        ),
        202,
    )
    failed = wait_final(api, "ben", f"/api/backtests/{run['id']}")
    assert failed["status"] == "failed" and "ZeroDivisionError" in failed["error"]
    refused(call(api, "ben", "GET", f"/api/backtests/{run['id']}/report"), 409, "failed")
    log = call(api, "ben", "GET", f"/api/jobs/{run['job_id']}/log").text
    assert "Traceback" in log


@pytest.mark.parametrize(
    ("change", "field", "status"),
    [
        ({"start": "2025-12-31", "end": "2025-06-03"}, "end", 422),
        ({"start": "2030-01-02", "end": "2030-02-01"}, "start", 422),
        ({"params": {"nope": 3}}, "params.nope", 422),
        ({"params": {"fast": [1, 2]}}, "params", 422),
        ({"symbols": ["NOT A CODE"]}, "symbols", 422),
        ({"cash": -5}, "cash", 422),
        ({"freq": "5m"}, "freq", 422),
        ({"start": "2025-02-30"}, "start", 422),
        ({"version": 99}, "no version 99", 404),
    ],
)
def test_bad_backtests_are_refused_naming_the_field(
    api: TestClient, strategy: dict[str, Any], change: dict[str, Any], field: str, status: int
) -> None:
    body = {"strategy_id": strategy["id"], "version": 1, "start": START, "end": END, **change}
    before = ok(call(api, "ada", "GET", "/api/jobs"))["total"]
    refused(call(api, "ada", "POST", "/api/backtests", json=body), status, field)
    assert ok(call(api, "ada", "GET", "/api/jobs"))["total"] == before


def test_others_strategies_cannot_be_backtested(api: TestClient, strategy: dict[str, Any]) -> None:
    body = {"strategy_id": strategy["id"], "version": 1, "start": START, "end": END}
    refused(call(api, "ben", "POST", "/api/backtests", json=body), 403, "ada owns this one")
    refused(call(api, "risk", "POST", "/api/backtests", json=body), 403, "not allowed")


def test_a_sweep_runs_and_a_cancelled_one_stops(api: TestClient, strategy: dict[str, Any]) -> None:
    base = {"strategy_id": strategy["id"], "version": 1, "start": START, "end": END}
    sweep = ok(
        call(
            api, "ada", "POST", "/api/sweeps", json={**base, "grid": {"fast": [3, 5], "slow": [20]}}
        ),
        202,
    )
    done = wait_final(api, "ada", f"/api/jobs/{sweep['id']}")
    assert done["status"] == "succeeded", done
    assert len(done["result"]["rows"]) == 2 and done["result"]["best"]
    long = ok(
        call(
            api,
            "ada",
            "POST",
            "/api/sweeps",
            json={**base, "grid": {"fast": list(range(2, 12)), "slow": list(range(20, 60, 4))}},
        ),
        202,
    )
    cancelled = ok(call(api, "ada", "POST", f"/api/jobs/{long['id']}/cancel"))
    assert cancelled["status"] == "cancelled" or cancelled["cancel_requested"]
    assert wait_final(api, "ada", f"/api/jobs/{long['id']}")["status"] == "cancelled"
    refused(call(api, "ada", "POST", f"/api/jobs/{long['id']}/cancel"), 409, "already")
    refused(
        call(
            api,
            "ada",
            "POST",
            "/api/sweeps",
            json={**base, "grid": {"fast": list(range(40)), "slow": list(range(40))}},
        ),
        422,
        "combinations",
    )


def test_risk_limits_are_set_by_risk_officers_exactly(
    api: TestClient, strategy: dict[str, Any]
) -> None:
    body = {"value": "0.123456", "unit": "ratio"}
    limit = ok(call(api, "risk", "PUT", "/api/risk-limits/max_position_ratio", json=body))
    assert limit["value"] == "0.123456" and limit["updated_by"] == "risk"
    scoped = call(
        api,
        "risk",
        "PUT",
        "/api/risk-limits/max_order_value",
        params={"strategy_id": strategy["id"]},
        json={"value": "500000", "unit": "yuan"},
    )
    assert ok(scoped)["strategy_id"] == strategy["id"]
    refused(call(api, "ada", "PUT", "/api/risk-limits/max_position_ratio", json=body), 403)
    refused(
        call(
            api,
            "risk",
            "PUT",
            "/api/risk-limits/max_position_ratio",
            json={"value": "x", "unit": "ratio"},
        ),
        422,
        "value",
    )
    refused(
        call(
            api,
            "risk",
            "PUT",
            "/api/risk-limits/max_position_ratio",
            json={"value": "1", "unit": "furlongs"},
        ),
        422,
        "unit",
    )
    listed = ok(
        call(api, "tess", "GET", "/api/risk-limits", params={"strategy_id": strategy["id"]})
    )
    assert {item["name"] for item in listed["items"]} >= {"max_position_ratio", "max_order_value"}
    firm = ok(call(api, "tess", "GET", "/api/risk-limits", params={"firm_only": True}))
    assert [item["value"] for item in firm["items"] if item["name"] == "max_position_ratio"] == [
        "0.123456"
    ]


def test_approval_story_refuses_self_approval_and_is_audited(api: TestClient) -> None:
    created = ok(call(api, "duo", "POST", "/api/strategies", json={"name": "duo-alpha"}), 201)
    sid = created["id"]
    ok(call(api, "duo", "POST", f"/api/strategies/{sid}/versions", json={"code": CODE}), 201)
    refused(call(api, "ada", "POST", f"/api/strategies/{sid}/versions/1/submit"), 403)
    pipeline = ok(call(api, "duo", "POST", f"/api/strategies/{sid}/versions/1/submit"), 201)
    assert pipeline["stage"] == "risk_review" and pipeline["status"] == "active"
    refused(call(api, "duo", "POST", f"/api/strategies/{sid}/versions/1/submit"), 409, "already")
    approve = {"kind": "risk_review", "decision": "approved", "comment": "fine"}
    path = f"/api/pipelines/{pipeline['id']}/approvals"
    refused(call(api, "duo", "POST", path, json=approve), 403, "nobody approves their own")
    refused(call(api, "root", "POST", path, json=approve), 403)
    refused(
        call(api, "risk", "POST", path, json={**approve, "decision": "rejected", "comment": " "}),
        422,
        "comment",
    )
    refused(call(api, "root", "POST", path, json={**approve, "kind": "final"}), 409, "risk_review")
    ok(call(api, "risk", "POST", path, json=approve), 201)
    final = {"kind": "final", "decision": "approved", "comment": "go live"}
    ok(call(api, "root", "POST", path, json=final), 201)
    done = ok(call(api, "tess", "GET", f"/api/pipelines/{pipeline['id']}"))
    assert done["status"] == "approved"
    assert [(a["kind"], a["approver"]) for a in done["approvals"]] == [
        ("risk_review", "risk"),
        ("final", "root"),
    ]
    trail = ok(
        call(
            api,
            "risk",
            "GET",
            "/api/audit",
            params={
                "object_type": "pipeline",
                "object_id": str(pipeline["id"]),
                "newest_first": False,
            },
        )
    )
    story = [(item["user_name"], item["action"], item["outcome"]) for item in trail["items"]]
    assert story == [
        ("duo", "pipeline.submit", "ok"),
        ("duo", "approval.review", "denied"),
        ("root", "approval.review", "denied"),
        ("risk", "approval.review", "ok"),
        ("root", "approval.final", "ok"),
    ]
    assert trail["items"][1]["details"]["reason"].endswith("duo wrote it")


def test_audit_query_export_and_verify(api: TestClient) -> None:
    refused(call(api, "tess", "GET", "/api/audit"), 403)
    refused(call(api, "ada", "GET", "/api/audit/export"), 403)
    verified = ok(call(api, "root", "GET", "/api/audit/verify"))
    assert verified["ok"] and verified["count"] > 10 and verified["first_bad_seq"] is None
    exported = call(api, "risk", "GET", "/api/audit/export", params={"user": "ada"})
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert rows and {row["user"] for row in rows} == {"ada"}
    last = ok(call(api, "risk", "GET", "/api/audit", params={"limit": 1}))["items"][0]
    assert last["action"] == "audit.export" and last["user_name"] == "risk"
    refused(
        call(
            api, "risk", "GET", "/api/audit", params={"since": "2026-02-01", "until": "2026-01-01"}
        ),
        422,
    )
    page = ok(call(api, "root", "GET", "/api/audit", params={"limit": 2, "offset": 1}))
    assert len(page["items"]) == 2 and page["total"] >= 3


def test_users_mirror_hub_groups(api: TestClient) -> None:
    everyone = ok(call(api, "root", "GET", "/api/users", params={"limit": 500}))
    roles = {item["name"]: item["roles"] for item in everyone["items"]}
    assert roles["duo"] == ["researcher", "risk_officer"]
    assert [item["name"] for item in ok(call(api, "ada", "GET", "/api/users"))["items"]] == ["ada"]


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/strategies", {"limit": 0}),
        ("/api/strategies", {"limit": 501}),
        ("/api/strategies", {"offset": -1}),
        ("/api/jobs", {"status": "exploded"}),
        ("/api/strategies/0", {}),
        ("/api/strategies/99999999999", {}),
        ("/api/audit", {"since": "yesterday"}),
    ],
)
def test_bad_query_parameters_answer_422(
    api: TestClient, path: str, params: dict[str, Any]
) -> None:
    body = refused(call(api, "root", "GET", path, params=params), 422, "invalid request")
    assert body["errors"] and body["errors"][0]["field"]
