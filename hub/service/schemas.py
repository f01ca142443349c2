"""The request and answer bodies of the API, as pydantic models.

Requests refuse unknown fields, text with NUL characters, ids beyond 32 bits and
non-finite numbers, so that every bad field is answered 422 naming it before anything
reaches the database.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Self

from fastapi import Path, Query
from pydantic import BaseModel, ConfigDict, Field

from quantlib.platform.models import (
    Approval,
    BacktestRun,
    Job,
    PipelineInstance,
    PipelineStageEvent,
    RiskLimit,
    Strategy,
    StrategyVersion,
)
from quantlib.platform.paging import MAX_LIMIT

#: No NUL characters (PostgreSQL text refuses them).
NO_NUL = r"^[^\x00]*$"
MAX_ID = 2**31 - 1

Id = Annotated[int, Path(ge=1, le=MAX_ID, description="a positive id")]
Number = Annotated[int, Path(ge=1, le=MAX_ID, description="a version number, from 1")]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"page size, 1-{MAX_LIMIT}")]
Offset = Annotated[int, Query(ge=0, le=MAX_ID, description="rows to skip")]
OptionalId = Annotated[int | None, Query(ge=1, le=MAX_ID)]
Filter = Annotated[str | None, Query(max_length=128, pattern=NO_NUL)]
Text = Annotated[str, Field(max_length=4000, pattern=NO_NUL)]
JobStatusFilter = Annotated[
    str | None,
    Query(
        alias="status",
        pattern=r"^(queued|running|succeeded|failed|cancelled)$",
        description="queued, running, succeeded, failed or cancelled",
    ),
]


class FieldError(BaseModel):
    """One bad field of a request and what is wrong with it."""

    field: str
    message: str


class ErrorOut(BaseModel):
    """Every error answer: one line naming the problem, and the bad fields if any."""

    detail: str
    errors: list[FieldError]


#: The error answers every endpoint may give, documented once.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut, "description": description}
    for status, description in (
        (401, "no valid hub token or sign-in"),
        (403, "the caller's roles do not allow this"),
        (404, "no such object"),
        (409, "the request clashes with the stored state"),
        (422, "a field of the request is invalid; the message names it"),
        (503, "the database, the data store or the job runner is unavailable"),
    )
}


class Request(BaseModel):
    """A request body: unknown fields are errors."""

    model_config = ConfigDict(extra="forbid")


class Page[T](BaseModel):
    """One page of a list: its items, the total over all pages, where it starts."""

    items: list[T]
    total: int
    limit: int
    offset: int

    @classmethod
    def of(cls, page: Any, items: list[T]) -> Self:
        """The answer for one page of records (``total``, ``limit``, ``offset``)
        with ``items``, the records as they are sent."""
        return cls(items=items, total=page.total, limit=page.limit, offset=page.offset)


# -- strategies ---------------------------------------------------------------------------
class StrategyCreate(Request):
    """A new strategy."""

    name: Annotated[str, Field(min_length=1, max_length=128, pattern=NO_NUL)]
    description: Text = ""


class StrategyOut(BaseModel):
    """A strategy."""

    id: int
    name: str
    description: str
    owner: str
    archived: bool
    created_at: dt.datetime
    versions: int

    @classmethod
    def of(cls, strategy: Strategy, versions: int) -> StrategyOut:
        """The answer for ``strategy``."""
        return cls(
            id=strategy.id,
            name=strategy.name,
            description=strategy.description,
            owner=strategy.owner.name,
            archived=strategy.archived,
            created_at=strategy.created_at,
            versions=versions,
        )


class VersionUpload(Request):
    """A new version: the code, its config, a message and optionally a git commit."""

    code: Annotated[str, Field(min_length=1, max_length=1_000_000, pattern=NO_NUL)]
    config: dict[str, Any] = Field(default_factory=dict)
    message: Text = ""
    git_commit: Annotated[str | None, Field(pattern=r"^[0-9a-f]{7,40}$")] = None


class VersionOut(BaseModel):
    """A version; ``code`` is null when the caller may not read it."""

    id: int
    strategy_id: int
    number: int
    content_hash: str
    author: str
    git_commit: str | None
    message: str
    created_at: dt.datetime
    config: dict[str, Any]
    code: str | None

    @classmethod
    def of(cls, version: StrategyVersion, *, with_code: bool) -> VersionOut:
        """The answer for ``version``, with its code when the caller may read it."""
        return cls(
            id=version.id,
            strategy_id=version.strategy_id,
            number=version.number,
            content_hash=version.content_hash,
            author=version.author.name,
            git_commit=version.git_commit,
            message=version.message,
            created_at=version.created_at,
            config=version.config or {},
            code=version.code if with_code else None,
        )


class DiffOut(BaseModel):
    """How two versions differ."""

    strategy_id: int
    from_version: int
    to_version: int
    identical: bool
    code_diff: str
    config_added: dict[str, Any]
    config_removed: dict[str, Any]
    config_changed: dict[str, dict[str, Any]]


# -- backtests, sweeps and jobs -----------------------------------------------------------
Symbols = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=16, pattern=NO_NUL)]] | None,
    Field(max_length=5000),
]
Cash = Annotated[float | None, Field(gt=0, le=1e13, allow_inf_nan=False)]
Scalar = (
    Annotated[float, Field(allow_inf_nan=False)]
    | int
    | bool
    | Annotated[str, Field(max_length=256, pattern=NO_NUL)]
    | None
)
ParamName = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z_]\w*$")]


class BacktestSubmit(Request):
    """A backtest of one version over a date range."""

    strategy_id: Annotated[int, Field(ge=1, le=MAX_ID)]
    version: Annotated[int, Field(ge=1, le=MAX_ID)]
    start: dt.date
    end: dt.date
    freq: Annotated[str, Field(pattern=r"^(1d|1m)$")] = "1d"
    params: dict[ParamName, Scalar] = Field(default_factory=dict)
    symbols: Symbols = None
    cash: Cash = None


class SweepSubmit(Request):
    """A parameter sweep of one version: every combination of the grid's values."""

    strategy_id: Annotated[int, Field(ge=1, le=MAX_ID)]
    version: Annotated[int, Field(ge=1, le=MAX_ID)]
    start: dt.date
    end: dt.date
    grid: dict[ParamName, Annotated[list[Scalar], Field(min_length=1, max_length=100)]]
    metric: Annotated[str, Field(max_length=32, pattern=NO_NUL)] = "sharpe"
    freq: Annotated[str, Field(pattern=r"^(1d|1m)$")] = "1d"
    symbols: Symbols = None
    cash: Cash = None


class JobOut(BaseModel):
    """A job: its state, progress and result."""

    id: int
    kind: str
    status: str
    submitted_by: str
    progress: float
    progress_message: str
    cancel_requested: bool
    payload: dict[str, Any]
    result: dict[str, Any] | None
    error: str | None
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None

    @classmethod
    def of(cls, job: Job) -> JobOut:
        """The answer for ``job``."""
        return cls(
            id=job.id,
            kind=job.kind,
            status=job.status,
            submitted_by=job.submitted_by.name,
            progress=job.progress,
            progress_message=job.progress_message,
            cancel_requested=job.cancel_requested,
            payload=job.payload or {},
            result=job.result,
            error=job.error,
            created_at=job.created_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
        )


class BacktestOut(BaseModel):
    """A backtest run: what was asked, where it stands, and its metrics once done."""

    id: int
    strategy_id: int
    strategy: str
    version: int
    requested_by: str
    job_id: int | None
    status: str
    progress: float
    progress_message: str
    start: dt.date
    end: dt.date
    freq: str
    parameters: dict[str, Any]
    store_snapshot: str
    metrics: dict[str, Any] | None
    has_report: bool
    error: str | None
    created_at: dt.datetime
    finished_at: dt.datetime | None

    @classmethod
    def of(cls, run: BacktestRun, job: Job | None) -> BacktestOut:
        """The answer for ``run`` with its job's progress."""
        version = run.strategy_version
        return cls(
            id=run.id,
            strategy_id=version.strategy_id,
            strategy=version.strategy.name,
            version=version.number,
            requested_by=run.requested_by.name,
            job_id=run.job_id,
            status=run.status,
            progress=job.progress if job is not None else 0.0,
            progress_message=job.progress_message if job is not None else "",
            start=run.start_date,
            end=run.end_date,
            freq=run.frequency,
            parameters=run.parameters or {},
            store_snapshot=run.store_snapshot,
            metrics=run.metrics,
            has_report=bool((run.artifacts or {}).get("report")),
            error=run.error,
            created_at=run.created_at,
            finished_at=run.finished_at,
        )


# -- risk limits --------------------------------------------------------------------------
class LimitSet(Request):
    """A limit's new value (a decimal string keeps every digit) and unit."""

    value: Annotated[Decimal, Field(allow_inf_nan=False, max_digits=24, decimal_places=6)]
    unit: Annotated[str, Field(max_length=16, pattern=NO_NUL)]


def plain_decimal(value: Decimal) -> str:
    """A decimal as written by people: no exponent, no trailing zeros.

    Examples
    --------
    >>> plain_decimal(Decimal("0.150000")), plain_decimal(Decimal("500000.000000"))
    ('0.15', '500000')
    """
    text = format(value.normalize(), "f")
    return text if text != "-0" else "0"


class LimitOut(BaseModel):
    """A risk limit; ``strategy_id`` null for a firm-wide one."""

    id: int
    strategy_id: int | None
    name: str
    value: str
    unit: str
    updated_by: str
    updated_at: dt.datetime

    @classmethod
    def of(cls, limit: RiskLimit, editor: str) -> LimitOut:
        """The answer for ``limit``, naming who set it."""
        return cls(
            id=limit.id,
            strategy_id=limit.strategy_id,
            name=limit.name,
            value=plain_decimal(limit.value),
            unit=limit.unit,
            updated_by=editor,
            updated_at=limit.updated_at,
        )


# -- pipelines and approvals --------------------------------------------------------------
class ApprovalIn(Request):
    """A sign-off: which one, the decision, and the comment (needed to reject)."""

    kind: Annotated[str, Field(pattern=r"^(risk_review|final)$")]
    decision: Annotated[str, Field(pattern=r"^(approved|rejected)$")]
    comment: Text = ""


class ApprovalOut(BaseModel):
    """A recorded sign-off."""

    id: int
    stage: str
    kind: str
    decision: str
    approver: str
    comment: str
    at: dt.datetime

    @classmethod
    def of(cls, approval: Approval) -> ApprovalOut:
        """The answer for ``approval``."""
        return cls(
            id=approval.id,
            stage=approval.stage,
            kind=approval.kind,
            decision=approval.decision,
            approver=approval.approver.name,
            comment=approval.comment,
            at=approval.at,
        )


class StageEventOut(BaseModel):
    """Something that happened at a stage."""

    stage: str
    event: str
    detail: dict[str, Any]
    at: dt.datetime

    @classmethod
    def of(cls, event: PipelineStageEvent) -> StageEventOut:
        """The answer for ``event``."""
        return cls(stage=event.stage, event=event.event, detail=event.detail or {}, at=event.at)


class PipelineOut(BaseModel):
    """A version's pass through the approval pipeline."""

    id: int
    strategy_id: int
    version: int
    pipeline: str
    stage: str
    status: str
    created_at: dt.datetime
    events: list[StageEventOut]
    approvals: list[ApprovalOut]

    @classmethod
    def of(cls, instance: PipelineInstance) -> PipelineOut:
        """The answer for ``instance`` with its events and approvals."""
        return cls(
            id=instance.id,
            strategy_id=instance.strategy_version.strategy_id,
            version=instance.strategy_version.number,
            pipeline=instance.pipeline,
            stage=instance.stage,
            status=instance.status,
            created_at=instance.created_at,
            events=[StageEventOut.of(e) for e in instance.events],
            approvals=[ApprovalOut.of(a) for a in instance.approvals],
        )


# -- audit and users ----------------------------------------------------------------------
class AuditOut(BaseModel):
    """An audit record."""

    model_config = ConfigDict(from_attributes=True)

    seq: int
    at: dt.datetime
    user_name: str
    role: str
    action: str
    object_type: str
    object_id: str
    details: dict[str, Any]
    outcome: str
    hash: str


class ChainOut(BaseModel):
    """What verifying the audit chain found: records checked, the head, the first break."""

    ok: bool
    count: int
    head_seq: int
    head_hash: str
    first_bad_seq: int | None
    problem: str | None


class UserOut(BaseModel):
    """A person as the platform mirrors them."""

    name: str
    groups: list[str]
    roles: list[str]
    active: bool
