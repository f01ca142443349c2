"""The service's endpoints, one module per kind of object."""

from __future__ import annotations

from fastapi import APIRouter

from hub.service.routes import (
    audit,
    backtests,
    identity,
    jobs,
    limits,
    pipelines,
    strategies,
    users,
)

ROUTERS: list[APIRouter] = [
    identity.router,
    strategies.router,
    pipelines.router,
    backtests.router,
    jobs.router,
    limits.router,
    audit.router,
    users.router,
]
