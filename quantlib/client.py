"""A small client for the platform service (``/services/quant/`` on the hub).

In a server started by the hub, :class:`PlatformClient` needs no arguments: the hub puts
the service's address in ``QUANTLIB_PLATFORM_URL`` and a token that may call it in
``JUPYTERHUB_API_TOKEN``. Elsewhere pass both, or set ``QUANTLIB_PLATFORM_URL`` and
``TAORUI_API_TOKEN`` (a token from the hub's token page).

Every method answers the service's JSON as plain dicts and lists; lists come as pages,
``{"items": [...], "total": n, "limit": l, "offset": o}``. A refusal raises
:class:`PlatformError` with the service's message.

Examples
--------
>>> from quantlib.client import PlatformClient
>>> platform = PlatformClient()  # doctest: +SKIP
>>> platform.me()["roles"]  # doctest: +SKIP
['researcher']
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

URL_VARIABLE = "QUANTLIB_PLATFORM_URL"
TOKEN_VARIABLES = ("JUPYTERHUB_API_TOKEN", "TAORUI_API_TOKEN")
#: Job and backtest states that never change again.
FINAL_STATUSES = frozenset({"succeeded", "failed", "cancelled"})

DateLike = str | dt.date


class PlatformError(Exception):
    """The service refused a request, failed, or could not be reached.

    Attributes
    ----------
    status
        The HTTP status, or ``None`` when no answer came.
    detail
        The service's one-line message.
    errors
        For a request that failed validation, ``{"field", "message"}`` per bad field.
    """

    def __init__(
        self, status: int | None, detail: str, errors: list[dict[str, str]] | None = None
    ) -> None:
        self.status = status
        self.detail = detail
        self.errors = errors or []
        super().__init__(f"{status}: {detail}" if status is not None else detail)


def _date(value: DateLike) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def _query(**values: Any) -> dict[str, Any]:
    """Query parameters without the ones left out (``None``); dates as ISO text."""
    return {
        key: _date(value) if isinstance(value, dt.date) else value
        for key, value in values.items()
        if value is not None
    }


class PlatformClient:
    """Calls to the platform API with a hub token.

    Parameters
    ----------
    url
        The service root, e.g. ``http://127.0.0.1:8000/services/quant/``; default
        ``$QUANTLIB_PLATFORM_URL``.
    token
        A hub API token; default ``$JUPYTERHUB_API_TOKEN``, else ``$TAORUI_API_TOKEN``.
    timeout
        Seconds to wait for each answer.

    Raises
    ------
    PlatformError
        When the URL or the token is neither given nor in the environment.

    Examples
    --------
    >>> platform = PlatformClient("http://127.0.0.1:8000/services/quant/", "abc123")
    >>> platform.url
    'http://127.0.0.1:8000/services/quant/'
    """

    def __init__(self, url: str | None = None, token: str | None = None, *, timeout: float = 30):
        url = url or os.environ.get(URL_VARIABLE, "").strip()
        if not url:
            raise PlatformError(
                None,
                f"no platform address: pass url= or set {URL_VARIABLE} "
                "(the hub sets it in every server)",
            )
        token = token or next(
            (os.environ[name] for name in TOKEN_VARIABLES if os.environ.get(name)), ""
        )
        if not token:
            raise PlatformError(
                None,
                f"no token: pass token= or set {' or '.join(TOKEN_VARIABLES)} "
                "(a token from the hub's token page)",
            )
        self.url = url if url.endswith("/") else url + "/"
        self._http = httpx.Client(
            base_url=self.url,
            headers={"Authorization": f"token {token}"},
            timeout=timeout,
        )

    def __repr__(self) -> str:
        return f"PlatformClient({self.url!r})"

    def close(self) -> None:
        """Close the connections."""
        self._http.close()

    def __enter__(self) -> PlatformClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # --- transport -----------------------------------------------------------------------

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
    ) -> httpx.Response:
        try:
            answer = self._http.request(method, path, params=params, json=body)
        except httpx.HTTPError as error:
            raise PlatformError(
                None, f"the platform at {self.url} does not answer: {error}"
            ) from None
        if answer.status_code >= 400:
            try:
                payload = answer.json()
            except ValueError:
                payload = {}
            if not isinstance(payload, dict):
                payload = {}
            detail = payload.get("detail") or answer.text.strip() or answer.reason_phrase
            errors = payload.get("errors") if isinstance(payload.get("errors"), list) else []
            raise PlatformError(answer.status_code, str(detail), errors)
        return answer

    def _json(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
    ) -> Any:
        return self._send(method, path, params=params, body=body).json()

    def _download(self, path: str, target: str | Path, params: Mapping[str, Any]) -> Path:
        answer = self._send("GET", path, params=params)
        file = Path(target)
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_bytes(answer.content)
        return file

    # --- who am I ------------------------------------------------------------------------

    def me(self) -> dict[str, Any]:
        """The caller: name, groups, platform roles, access per action.

        Examples
        --------
        >>> PlatformClient().me()["name"]  # doctest: +SKIP
        'alice'
        """
        result: dict[str, Any] = self._json("GET", "api/me")
        return result

    # --- strategies and versions ---------------------------------------------------------

    def strategies(
        self, owner: str | None = None, q: str | None = None, limit: int = 50, offset: int = 0
    ) -> dict[str, Any]:
        """A page of strategies, optionally of one ``owner`` or matching ``q``.

        Examples
        --------
        >>> [s["name"] for s in platform.strategies(q="momentum")["items"]]  # doctest: +SKIP
        ['momentum-20']
        """
        params = _query(owner=owner, q=q, limit=limit, offset=offset)
        result: dict[str, Any] = self._json("GET", "api/strategies", params=params)
        return result

    def create_strategy(self, name: str, description: str = "") -> dict[str, Any]:
        """Create a strategy owned by the caller.

        Examples
        --------
        >>> platform.create_strategy("momentum-20", "20-day momentum")["id"]  # doctest: +SKIP
        7
        """
        body = {"name": name, "description": description}
        result: dict[str, Any] = self._json("POST", "api/strategies", body=body)
        return result

    def strategy(self, strategy_id: int) -> dict[str, Any]:
        """One strategy.

        Examples
        --------
        >>> platform.strategy(7)["owner"]  # doctest: +SKIP
        'alice'
        """
        result: dict[str, Any] = self._json("GET", f"api/strategies/{strategy_id}")
        return result

    def versions(self, strategy_id: int, limit: int = 50, offset: int = 0) -> dict[str, Any]:
        """A page of a strategy's versions, newest first.

        Examples
        --------
        >>> platform.versions(7)["total"]  # doctest: +SKIP
        3
        """
        params = _query(limit=limit, offset=offset)
        result: dict[str, Any] = self._json(
            "GET", f"api/strategies/{strategy_id}/versions", params=params
        )
        return result

    def upload_version(
        self,
        strategy_id: int,
        code: str | None = None,
        config: Mapping[str, Any] | None = None,
        message: str = "",
        git_commit: str | None = None,
        *,
        path: str | Path | None = None,
    ) -> dict[str, Any]:
        """Upload a new version: ``code`` as text, or the ``.py`` file at ``path``.

        Examples
        --------
        >>> platform.upload_version(7, path="strategies/momentum.py", message="first")[
        ...     "number"
        ... ]  # doctest: +SKIP
        1
        """
        if (code is None) == (path is None):
            raise ValueError("give the strategy's code or the path of its .py file, not both")
        if path is not None:
            code = Path(path).read_text(encoding="utf-8")
        body = {
            "code": code,
            "config": dict(config) if config is not None else None,
            "message": message,
            "git_commit": git_commit,
        }
        result: dict[str, Any] = self._json(
            "POST",
            f"api/strategies/{strategy_id}/versions",
            body={key: value for key, value in body.items() if value is not None},
        )
        return result

    def version(self, strategy_id: int, number: int) -> dict[str, Any]:
        """One version, with its code when the caller may read it.

        Examples
        --------
        >>> print(platform.version(7, 1)["code"])  # doctest: +SKIP
        """
        result: dict[str, Any] = self._json(
            "GET", f"api/strategies/{strategy_id}/versions/{number}"
        )
        return result

    def diff(self, strategy_id: int, a: int, b: int) -> dict[str, Any]:
        """What changed from version ``a`` to version ``b``.

        Examples
        --------
        >>> platform.diff(7, 1, 2)  # doctest: +SKIP
        """
        params = {"from": a, "to": b}
        result: dict[str, Any] = self._json(
            "GET", f"api/strategies/{strategy_id}/diff", params=params
        )
        return result

    # --- backtests and sweeps ------------------------------------------------------------

    def submit_backtest(
        self,
        strategy_id: int,
        version: int,
        start: DateLike,
        end: DateLike,
        *,
        freq: str = "1d",
        params: Mapping[str, Any] | None = None,
        symbols: list[str] | None = None,
        cash: float | None = None,
    ) -> dict[str, Any]:
        """Queue a backtest of a version; the run has ``id`` and ``job_id``.

        Examples
        --------
        >>> run = platform.submit_backtest(7, 1, "2025-06-03", "2025-12-31")  # doctest: +SKIP
        >>> platform.wait(run["id"])["metrics"]["sharpe"]  # doctest: +SKIP
        1.12
        """
        body = _query(
            strategy_id=strategy_id,
            version=version,
            start=start,
            end=end,
            freq=freq,
            params=dict(params) if params is not None else None,
            symbols=symbols,
            cash=cash,
        )
        result: dict[str, Any] = self._json("POST", "api/backtests", body=body)
        return result

    def backtests(
        self,
        strategy_id: int | None = None,
        status: str | None = None,
        requested_by: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> dict[str, Any]:
        """A page of backtest runs, newest first, optionally filtered.

        Examples
        --------
        >>> platform.backtests(strategy_id=7, status="succeeded")["total"]  # doctest: +SKIP
        2
        """
        params = _query(
            strategy_id=strategy_id,
            status=status,
            requested_by=requested_by,
            limit=limit,
            offset=offset,
        )
        result: dict[str, Any] = self._json("GET", "api/backtests", params=params)
        return result

    def backtest(self, backtest_id: int) -> dict[str, Any]:
        """One run: ``status``, ``progress`` and, once done, ``metrics``.

        Examples
        --------
        >>> platform.backtest(12)["status"]  # doctest: +SKIP
        'running'
        """
        result: dict[str, Any] = self._json("GET", f"api/backtests/{backtest_id}")
        return result

    def report(self, backtest_id: int, path: str | Path) -> Path:
        """Save a finished run's HTML report at ``path``; the file's path.

        Examples
        --------
        >>> platform.report(12, "reports/run-12.html")  # doctest: +SKIP
        PosixPath('reports/run-12.html')
        """
        return self._download(f"api/backtests/{backtest_id}/report", path, {})

    def wait(
        self, backtest_id: int, timeout: float = 600, poll: float = 1.0, progress: bool = True
    ) -> dict[str, Any]:
        """Poll a run until it succeeds, fails or is cancelled; the final run.

        A progress bar shows in a notebook or terminal unless ``progress`` is false.

        Raises
        ------
        PlatformError
            When the run is not final after ``timeout`` seconds.

        Examples
        --------
        >>> platform.wait(12, timeout=300)["status"]  # doctest: +SKIP
        'succeeded'
        """
        deadline = time.monotonic() + timeout
        run = self.backtest(backtest_id)
        if not progress:
            while run["status"] not in FINAL_STATUSES:
                self._pause(backtest_id, run, deadline, poll)
                run = self.backtest(backtest_id)
            return run
        columns = (
            TextColumn(f"回测 · backtest {backtest_id}"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
        )
        with Progress(*columns) as bar:
            task = bar.add_task(str(run["status"]), total=1.0)
            while True:
                done = float(run.get("progress") or 0.0)
                bar.update(task, completed=done, description=str(run["status"]))
                if run["status"] in FINAL_STATUSES:
                    return run
                self._pause(backtest_id, run, deadline, poll)
                run = self.backtest(backtest_id)

    @staticmethod
    def _pause(backtest_id: int, run: Mapping[str, Any], deadline: float, poll: float) -> None:
        if time.monotonic() + poll > deadline:
            raise PlatformError(
                None,
                f"backtest {backtest_id} is still {run['status']} after the timeout; "
                "call wait() again or cancel its job",
            )
        time.sleep(poll)

    def submit_sweep(
        self,
        strategy_id: int,
        version: int,
        start: DateLike,
        end: DateLike,
        grid: Mapping[str, list[Any]],
        *,
        metric: str = "sharpe",
        freq: str = "1d",
        symbols: list[str] | None = None,
        cash: float | None = None,
    ) -> dict[str, Any]:
        """Queue a parameter sweep over ``grid``, ranked by ``metric``; the sweep's job.

        Examples
        --------
        >>> platform.submit_sweep(
        ...     7, 1, "2025-06-03", "2025-12-31", {"window": [10, 20, 40]}
        ... )["id"]  # doctest: +SKIP
        31
        """
        body = _query(
            strategy_id=strategy_id,
            version=version,
            start=start,
            end=end,
            grid=dict(grid),
            metric=metric,
            freq=freq,
            symbols=symbols,
            cash=cash,
        )
        result: dict[str, Any] = self._json("POST", "api/sweeps", body=body)
        return result

    # --- jobs ----------------------------------------------------------------------------

    def jobs(
        self,
        status: str | None = None,
        kind: str | None = None,
        submitted_by: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> dict[str, Any]:
        """A page of jobs, optionally of one ``status``, ``kind`` or submitter.

        Examples
        --------
        >>> platform.jobs(status="running")["items"]  # doctest: +SKIP
        []
        """
        params = _query(
            status=status, kind=kind, submitted_by=submitted_by, limit=limit, offset=offset
        )
        result: dict[str, Any] = self._json("GET", "api/jobs", params=params)
        return result

    def job(self, job_id: int) -> dict[str, Any]:
        """One job.

        Examples
        --------
        >>> platform.job(31)["status"]  # doctest: +SKIP
        'queued'
        """
        result: dict[str, Any] = self._json("GET", f"api/jobs/{job_id}")
        return result

    def job_log(self, job_id: int) -> str:
        """A job's log as text.

        Examples
        --------
        >>> print(platform.job_log(31))  # doctest: +SKIP
        """
        return self._send("GET", f"api/jobs/{job_id}/log").text

    def cancel_job(self, job_id: int) -> dict[str, Any]:
        """Ask a queued or running job to stop.

        Examples
        --------
        >>> platform.cancel_job(31)["status"]  # doctest: +SKIP
        'cancelled'
        """
        result: dict[str, Any] = self._json("POST", f"api/jobs/{job_id}/cancel")
        return result

    # --- risk limits ---------------------------------------------------------------------

    def risk_limits(self, strategy_id: int | None = None) -> dict[str, Any]:
        """The risk limits: the global ones, or those of a strategy.

        Examples
        --------
        >>> platform.risk_limits()["items"][0]["name"]  # doctest: +SKIP
        'max_position_pct'
        """
        params = _query(strategy_id=strategy_id)
        result: dict[str, Any] = self._json("GET", "api/risk-limits", params=params)
        return result

    def set_risk_limit(
        self, name: str, value: str | int | float, unit: str, strategy_id: int | None = None
    ) -> dict[str, Any]:
        """Set a risk limit (``value`` is sent as a decimal string).

        Examples
        --------
        >>> platform.set_risk_limit("max_position_pct", "0.1", "ratio")  # doctest: +SKIP
        """
        result: dict[str, Any] = self._json(
            "PUT",
            f"api/risk-limits/{name}",
            params=_query(strategy_id=strategy_id),
            body={"value": str(value), "unit": unit},
        )
        return result

    # --- approvals -----------------------------------------------------------------------

    def submit_for_approval(self, strategy_id: int, version: int) -> dict[str, Any]:
        """Submit a version for risk review and final approval; the pipeline.

        Examples
        --------
        >>> platform.submit_for_approval(7, 2)["id"]  # doctest: +SKIP
        4
        """
        result: dict[str, Any] = self._json(
            "POST", f"api/strategies/{strategy_id}/versions/{version}/submit"
        )
        return result

    def pipelines(
        self,
        status: str | None = None,
        stage: str | None = None,
        strategy_id: int | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> dict[str, Any]:
        """A page of approval passes, newest first, optionally filtered.

        Examples
        --------
        >>> platform.pipelines(status="active", stage="risk_review")["total"]  # doctest: +SKIP
        3
        """
        params = _query(
            status=status, stage=stage, strategy_id=strategy_id, limit=limit, offset=offset
        )
        result: dict[str, Any] = self._json("GET", "api/pipelines", params=params)
        return result

    def pipeline(self, pipeline_id: int) -> dict[str, Any]:
        """One approval pass: its stage, status, stage events and sign-offs.

        Examples
        --------
        >>> platform.pipeline(4)["status"]  # doctest: +SKIP
        'approved'
        """
        result: dict[str, Any] = self._json("GET", f"api/pipelines/{pipeline_id}")
        return result

    def approve(
        self, pipeline_id: int, kind: str, decision: str, comment: str = ""
    ) -> dict[str, Any]:
        """Record a sign-off: ``kind`` ``risk_review`` or ``final``, ``decision``
        ``approved`` or ``rejected``.

        Examples
        --------
        >>> platform.approve(4, "risk_review", "approved", "limits ok")  # doctest: +SKIP
        """
        body = {"kind": kind, "decision": decision, "comment": comment}
        result: dict[str, Any] = self._json(
            "POST", f"api/pipelines/{pipeline_id}/approvals", body=body
        )
        return result

    # --- audit ---------------------------------------------------------------------------

    @staticmethod
    def _audit_filters(
        user: str | None,
        action: str | None,
        object_type: str | None,
        object_id: str | int | None,
        outcome: str | None,
        since: DateLike | None,
        until: DateLike | None,
    ) -> dict[str, Any]:
        return _query(
            user=user,
            action=action,
            object_type=object_type,
            object_id=None if object_id is None else str(object_id),
            outcome=outcome,
            since=since,
            until=until,
        )

    def audit(
        self,
        user: str | None = None,
        action: str | None = None,
        object_type: str | None = None,
        object_id: str | int | None = None,
        outcome: str | None = None,
        since: DateLike | None = None,
        until: DateLike | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> dict[str, Any]:
        """A page of the audit log, newest first, optionally filtered.

        ``since`` and ``until`` are days (inclusive); ``outcome`` is ``ok``, ``denied``
        or ``failed``.

        Examples
        --------
        >>> platform.audit(action="strategy.create", since="2025-01-01")  # doctest: +SKIP
        """
        params = self._audit_filters(user, action, object_type, object_id, outcome, since, until)
        params.update(limit=limit, offset=offset)
        result: dict[str, Any] = self._json("GET", "api/audit", params=params)
        return result

    def audit_export(
        self,
        path: str | Path,
        user: str | None = None,
        action: str | None = None,
        object_type: str | None = None,
        object_id: str | int | None = None,
        outcome: str | None = None,
        since: DateLike | None = None,
        until: DateLike | None = None,
    ) -> Path:
        """Save the (filtered) audit log as CSV at ``path``; the file's path.

        Examples
        --------
        >>> platform.audit_export("audit-2025.csv", since="2025-01-01")  # doctest: +SKIP
        PosixPath('audit-2025.csv')
        """
        params = self._audit_filters(user, action, object_type, object_id, outcome, since, until)
        return self._download("api/audit/export", path, params)

    def audit_verify(self) -> dict[str, Any]:
        """Check the audit log's hash chain; the service's verdict.

        Examples
        --------
        >>> platform.audit_verify()  # doctest: +SKIP
        """
        result: dict[str, Any] = self._json("GET", "api/audit/verify")
        return result
