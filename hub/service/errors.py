"""How failures become HTTP answers: a status and a message naming the problem.

Every error body is ``{"detail": "<one line>", "errors": [{"field", "message"}]}``;
``errors`` lists each bad field of a request that failed validation. Refusals of
state-changing calls are written to the audit log (outcome ``denied``) in a transaction
of their own, since the request's own transaction rolls back.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError

from quantlib.core.errors import ConfigError
from quantlib.platform import audit
from quantlib.platform.db import safe_url
from quantlib.platform.errors import (
    ConflictError,
    DatabaseError,
    DatabaseUnavailableError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    PlatformUnavailableError,
)
from quantlib.platform.models import AuditOutcome

log = logging.getLogger("hub.service")

#: Methods that change state; their refusals are audited.
CHANGING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def error_body(detail: str, errors: list[dict[str, str]] | None = None) -> dict[str, Any]:
    """The JSON body of every error answer."""
    return {"detail": detail, "errors": errors or []}


def _field(location: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(part) for part in location]
    if parts and parts[0] in {"body", "query", "path", "header"}:
        parts = parts[1:] or parts
    return ".".join(parts) or "request"


async def _validation(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    errors = [
        {"field": _field(item.get("loc", ())), "message": str(item.get("msg", "invalid"))}
        for item in error.errors()
    ]
    detail = "; ".join(f"{item['field']}: {item['message']}" for item in errors)
    return JSONResponse(
        error_body(f"invalid request: {detail}", errors),
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
    )


async def _invalid(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, InvalidInputError)
    return JSONResponse(
        error_body(str(error), [{"field": error.field, "message": error.message}]),
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
    )


async def _config(_request: Request, error: Exception) -> JSONResponse:
    return JSONResponse(error_body(str(error)), status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)


async def _not_found(_request: Request, error: Exception) -> JSONResponse:
    return JSONResponse(error_body(str(error)), status_code=status.HTTP_404_NOT_FOUND)


async def _conflict(_request: Request, error: Exception) -> JSONResponse:
    return JSONResponse(error_body(str(error)), status_code=status.HTTP_409_CONFLICT)


def _audit_denial(request: Request, error: PermissionDeniedError) -> None:
    principal = getattr(request.state, "principal", None)
    if principal is None or request.method not in CHANGING_METHODS:
        return
    sessions = request.app.state.service.sessions
    try:
        with sessions.begin() as session:
            audit.record(
                session,
                user=principal.name,
                role=None,
                action=str(error.action or f"{request.method} {request.url.path}"),
                object_type=error.object_type or "request",
                object_id=error.object_id or request.url.path,
                details={"reason": str(error), "method": request.method},
                outcome=AuditOutcome.DENIED,
            )
    except DatabaseError:
        log.exception("could not audit a refused %s %s", request.method, request.url.path)


async def _denied(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, PermissionDeniedError)
    _audit_denial(request, error)
    return JSONResponse(error_body(str(error)), status_code=status.HTTP_403_FORBIDDEN)


async def _unavailable(_request: Request, error: Exception) -> JSONResponse:
    log.error("%s", error)
    return JSONResponse(error_body(str(error)), status_code=status.HTTP_503_SERVICE_UNAVAILABLE)


async def _database_down(request: Request, error: Exception) -> JSONResponse:
    engine = request.app.state.service.engine
    reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
    log.error("database %s failed: %s", safe_url(engine.url), reason)
    return JSONResponse(
        error_body(f"the platform database {safe_url(engine.url)} is unavailable: {reason}"),
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
    )


async def _http(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)
    detail = error.detail if isinstance(error.detail, str) else str(error.detail)
    return JSONResponse(
        error_body(detail), status_code=error.status_code, headers=error.headers or None
    )


def install_error_handlers(app: FastAPI) -> None:
    """Map the platform's errors to HTTP statuses on ``app``."""
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(InvalidInputError, _invalid)
    app.add_exception_handler(ConfigError, _config)
    app.add_exception_handler(NotFoundError, _not_found)
    app.add_exception_handler(ConflictError, _conflict)
    app.add_exception_handler(PermissionDeniedError, _denied)
    app.add_exception_handler(DatabaseUnavailableError, _unavailable)
    app.add_exception_handler(PlatformUnavailableError, _unavailable)
    app.add_exception_handler(OperationalError, _database_down)
    app.add_exception_handler(HTTPException, _http)
