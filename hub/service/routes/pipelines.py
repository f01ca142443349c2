"""Approvals: submit a version to the pipeline, list passes, record sign-offs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from hub.service.deps import Caller, Member, State, user_row
from hub.service.schemas import (
    ApprovalIn,
    ApprovalOut,
    Id,
    Limit,
    Number,
    Offset,
    OptionalId,
    Page,
    PipelineOut,
)
from quantlib.platform import approvals
from quantlib.platform.paging import DEFAULT_LIMIT

router = APIRouter(prefix="/api", tags=["approvals"])


@router.post(
    "/strategies/{strategy_id}/versions/{number}/submit",
    response_model=PipelineOut,
    status_code=status.HTTP_201_CREATED,
    summary="Submit a version for approval",
)
def submit_version(
    strategy_id: Id, number: Number, caller: Caller, member: Member, state: State
) -> PipelineOut:
    """Start the version's pass: a risk review first, then the final approval."""
    with state.sessions.begin() as session:
        instance = approvals.submit_version(
            session, caller, user_row(session, member), strategy_id, number
        )
        return PipelineOut.of(instance)


@router.get("/pipelines", response_model=Page[PipelineOut], summary="List approval passes")
def list_pipelines(
    caller: Caller,
    state: State,
    status_filter: Annotated[
        str | None,
        Query(alias="status", pattern=r"^(active|approved|rejected|withdrawn|live|retired)$"),
    ] = None,
    stage: Annotated[str | None, Query(pattern=r"^[a-z_]{1,64}$")] = None,
    strategy_id: OptionalId = None,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> Page[PipelineOut]:
    """Passes newest first; filter by status, stage and strategy."""
    with state.sessions.begin() as session:
        page = approvals.list_pipelines(
            session,
            caller,
            status=status_filter,
            stage=stage,
            strategy_id=strategy_id,
            limit=limit,
            offset=offset,
        )
        items = [PipelineOut.of(item) for item in page.items]
    return Page[PipelineOut].of(page, items)


@router.get("/pipelines/{pipeline_id}", response_model=PipelineOut, summary="Read a pass")
def read_pipeline(pipeline_id: Id, caller: Caller, state: State) -> PipelineOut:
    """A pass with its stage events and sign-offs."""
    with state.sessions.begin() as session:
        return PipelineOut.of(approvals.get_pipeline(session, caller, pipeline_id))


@router.post(
    "/pipelines/{pipeline_id}/approvals",
    response_model=ApprovalOut,
    status_code=status.HTTP_201_CREATED,
    summary="Record a sign-off",
)
def decide(
    pipeline_id: Id, body: ApprovalIn, caller: Caller, member: Member, state: State
) -> ApprovalOut:
    """A risk officer's review or an admin's final approval; nobody signs off their own."""
    with state.sessions.begin() as session:
        approval = approvals.decide(
            session,
            caller,
            user_row(session, member),
            pipeline_id,
            kind=body.kind,
            decision=body.decision,
            comment=body.comment,
        )
        return ApprovalOut.of(approval)
