"""The platform service's FastAPI application.

:func:`create_app` wires the database, the caller's identity (the hub) and the job
runner into one app; ``python -m hub.service`` runs it as the hub-managed service
``quant`` under ``/services/quant/``. At start-up the service refuses a database whose
schema is behind the code (it names the command to run) and starts the job runner, which
marks jobs orphaned by a previous run as failed, and the user sync, which keeps the
platform's users and groups in step with the hub's (:mod:`hub.service.sync`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from hub.service.deps import Identity, ServiceState
from hub.service.errors import install_error_handlers
from hub.service.routes import ROUTERS
from hub.service.schemas import ERROR_RESPONSES
from quantlib.platform.config import PlatformConfig
from quantlib.platform.db import open_engine, require_current_schema, session_factory

if TYPE_CHECKING:
    from hub.service.sync import DirectorySync
    from quantlib.platform.jobs import JobRunner

TITLE = "Taorui Quant platform API · 韬睿量化平台接口"
DESCRIPTION = (
    "Strategies and versions, backtests, jobs, risk limits, approvals and the audit log. "
    "Authenticate with a hub API token (`Authorization: token <token>`) or sign in "
    "through the hub. 策略与版本、回测、任务、风控限额、审批和审计日志；"
    "用 JupyterHub 令牌或经 JupyterHub 登录访问。"
)


def create_app(
    config: PlatformConfig,
    identity: Identity,
    *,
    runner: JobRunner | None = None,
    directory: DirectorySync | None = None,
) -> FastAPI:
    """The service app on ``config``'s database; ``runner`` runs jobs (none: refused).

    The runner and the hub's ``directory`` sync, when given, are started with the app
    and closed with it.
    """
    engine = open_engine(config=config)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        require_current_schema(engine)
        if runner is not None:
            runner.start()
        if directory is not None:
            directory.start(app.state.service)
        try:
            yield
        finally:
            if directory is not None:
                await directory.close()
            if runner is not None:
                runner.close()
            engine.dispose()

    app = FastAPI(
        title=TITLE,
        description=DESCRIPTION,
        version="1",
        lifespan=lifespan,
    )
    app.state.service = ServiceState(
        config=config,
        engine=engine,
        sessions=session_factory(engine),
        identity=identity,
        runner=runner,
    )
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router, responses=ERROR_RESPONSES)
    extra = identity.router()
    if extra is not None:
        app.include_router(extra)
    return app


class MountedAt:
    """The app as served under a path prefix the proxy keeps (``/services/quant``).

    The hub's proxy forwards the whole path, prefix included; setting the ASGI
    ``root_path`` lets the routes match below it and the OpenAPI document name it.
    """

    def __init__(self, app: ASGIApp, prefix: str) -> None:
        self.app = app
        self.prefix = prefix.rstrip("/")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve ``scope`` with the prefix as its root path."""
        if scope["type"] in {"http", "websocket"}:
            scope = {**scope, "root_path": self.prefix}
        await self.app(scope, receive, send)
