"""Submitting a strategy version for approval, and the approvers' decisions.

The default pipeline has two sign-offs: a risk officer's review (stage
``risk_review``), then an admin's final approval (stage ``final_approval``); a
rejection at either ends the pass. Nobody signs off a version they wrote or a strategy
they own (:data:`quantlib.platform.rbac.SELF_APPROVAL_FORBIDDEN`). Every step writes a
stage event, and the audit log holds each submission and decision — refusals too.
The validation and paper-trading stages of the lifecycle plug in between.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from quantlib.platform import audit
from quantlib.platform.errors import ConflictError, InvalidInputError, NotFoundError
from quantlib.platform.identity import Principal
from quantlib.platform.models import (
    Approval,
    ApprovalKind,
    Decision,
    PipelineInstance,
    PipelineStageEvent,
    PipelineStatus,
    StrategyVersion,
    User,
)
from quantlib.platform.paging import Page, paginate
from quantlib.platform.rbac import Action, require
from quantlib.platform.strategies import get_version

DEFAULT_PIPELINE = "default"
RISK_REVIEW = "risk_review"
FINAL_APPROVAL = "final_approval"
APPROVED = "approved"
#: The stage each sign-off belongs to, the action it needs, and the stage that follows.
SIGN_OFFS: dict[ApprovalKind, tuple[str, Action, str]] = {
    ApprovalKind.RISK_REVIEW: (RISK_REVIEW, Action.APPROVAL_REVIEW, FINAL_APPROVAL),
    ApprovalKind.FINAL: (FINAL_APPROVAL, Action.APPROVAL_FINAL, APPROVED),
}
MAX_COMMENT = 4000


def submit_version(
    session: Session, caller: Principal, submitter: User, strategy_id: int, number: int
) -> PipelineInstance:
    """Start a version's pass through the pipeline; one active pass per version."""
    version = get_version(session, strategy_id, number)
    decision = require(
        caller.roles,
        Action.PIPELINE_SUBMIT,
        user=caller.name,
        resource_owner=version.strategy.owner.name,
        object_type="strategy_version",
        object_id=version.id,
    )
    active = session.scalar(
        select(PipelineInstance.id).where(
            PipelineInstance.strategy_version_id == version.id,
            PipelineInstance.status == PipelineStatus.ACTIVE.value,
        )
    )
    if active is not None:
        raise ConflictError(
            f"version {number} of {version.strategy.name!r} is already in pipeline {active}"
        )
    instance = PipelineInstance(
        strategy_version=version,
        pipeline=DEFAULT_PIPELINE,
        stage=RISK_REVIEW,
        started_by_id=submitter.id,
    )
    session.add(instance)
    session.flush()
    session.add(
        PipelineStageEvent(
            instance_id=instance.id, stage=RISK_REVIEW, event="entered", actor_id=submitter.id
        )
    )
    audit.record(
        session,
        user=caller.name,
        role=decision.role,
        action=Action.PIPELINE_SUBMIT,
        object_type="pipeline",
        object_id=instance.id,
        details={"strategy_id": strategy_id, "version": number, "pipeline": DEFAULT_PIPELINE},
    )
    return instance


def get_pipeline(session: Session, caller: Principal, pipeline_id: int) -> PipelineInstance:
    """One pass through the pipeline, with its events and approvals."""
    require(caller.roles, Action.PIPELINE_READ, user=caller.name, object_type="pipeline")
    instance = session.get(PipelineInstance, pipeline_id)
    if instance is None:
        raise NotFoundError(f"no pipeline with id {pipeline_id}")
    return instance


def list_pipelines(
    session: Session,
    caller: Principal,
    *,
    status: str | None = None,
    stage: str | None = None,
    strategy_id: int | None = None,
    limit: int,
    offset: int,
) -> Page[PipelineInstance]:
    """Passes through the pipeline, newest first."""
    require(caller.roles, Action.PIPELINE_READ, user=caller.name, object_type="pipeline")
    query: Select[Any] = select(PipelineInstance).order_by(PipelineInstance.id.desc())
    if status is not None:
        query = query.where(PipelineInstance.status == PipelineStatus(status).value)
    if stage is not None:
        query = query.where(PipelineInstance.stage == stage)
    if strategy_id is not None:
        query = query.join(PipelineInstance.strategy_version).where(
            StrategyVersion.strategy_id == strategy_id
        )
    return paginate(session, query, limit=limit, offset=offset)


def decide(
    session: Session,
    caller: Principal,
    approver: User,
    pipeline_id: int,
    *,
    kind: str,
    decision: str,
    comment: str = "",
) -> Approval:
    """Record a sign-off: a risk review or the final approval, approved or rejected."""
    instance = session.get(PipelineInstance, pipeline_id)
    if instance is None:
        raise NotFoundError(f"no pipeline with id {pipeline_id}")
    try:
        chosen_kind = ApprovalKind(kind)
    except ValueError:
        known = ", ".join(k.value for k in ApprovalKind)
        raise InvalidInputError("kind", f"one of {known}, got {kind!r}") from None
    try:
        chosen = Decision(decision)
    except ValueError:
        known = ", ".join(d.value for d in Decision)
        raise InvalidInputError("decision", f"one of {known}, got {decision!r}") from None
    stage, action, next_stage = SIGN_OFFS[chosen_kind]
    version = instance.strategy_version
    granted = require(
        caller.roles,
        action,
        user=caller.name,
        resource_owner=version.strategy.owner.name,
        version_author=version.author.name,
        object_type="pipeline",
        object_id=instance.id,
    )
    if len(comment) > MAX_COMMENT:
        raise InvalidInputError("comment", f"at most {MAX_COMMENT} characters")
    if chosen is Decision.REJECTED and not comment.strip():
        raise InvalidInputError("comment", "a rejection needs a comment saying why")
    if instance.status != PipelineStatus.ACTIVE.value:
        raise ConflictError(f"pipeline {instance.id} is {instance.status}; it takes no decisions")
    if instance.stage != stage:
        raise ConflictError(
            f"pipeline {instance.id} is at stage {instance.stage}, not {stage}; "
            f"a {chosen_kind.value} decision does not apply"
        )
    approval = Approval(
        instance_id=instance.id,
        stage=stage,
        kind=chosen_kind.value,
        decision=chosen.value,
        approver_id=approver.id,
        comment=comment,
    )
    session.add(approval)
    session.add(
        PipelineStageEvent(
            instance_id=instance.id,
            stage=stage,
            event="passed" if chosen is Decision.APPROVED else "failed",
            actor_id=approver.id,
            detail={"decision": chosen.value, "comment": comment},
        )
    )
    if chosen is Decision.REJECTED:
        instance.status = PipelineStatus.REJECTED.value
    elif next_stage == APPROVED:
        instance.stage, instance.status = APPROVED, PipelineStatus.APPROVED.value
    else:
        instance.stage = next_stage
        session.add(
            PipelineStageEvent(
                instance_id=instance.id, stage=next_stage, event="entered", actor_id=approver.id
            )
        )
    session.flush()
    audit.record(
        session,
        user=caller.name,
        role=granted.role,
        action=action,
        object_type="pipeline",
        object_id=instance.id,
        details={
            "kind": chosen_kind.value,
            "decision": chosen.value,
            "comment": comment,
            "strategy_version_id": version.id,
            "stage_after": instance.stage,
            "status_after": instance.status,
        },
    )
    return approval
