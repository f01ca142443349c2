"""The platform's tables, as SQLAlchemy 2 declarative models.

Users mirror the hub's users and groups; strategies and their versions, backtest runs
and jobs record research; risk limits, pipeline instances, stage events and approvals
record the approval pipeline; orders and trades record live trading; the audit log
records every state change. Money is ``Numeric`` (read back as :class:`~decimal.Decimal`),
share quantities are integers, instants are timezone-aware UTC. Columns with a fixed
set of values are strings checked against the enumerations below.

The schema is created and changed only by the Alembic migrations in ``migrations/``;
a test checks that the migrations and these models agree.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from quantlib.core.dates import utc_now
from quantlib.model.enums import Side
from quantlib.platform.canonical import canonical_json, sha256_hex

#: 64-bit keys for tables that grow without bound (SQLite's rowid is already 64-bit).
BigId = BigInteger().with_variant(Integer(), "sqlite")
#: Money and prices in yuan, exact to 0.0001.
Money = Numeric(20, 4, asdecimal=True)
#: A SHA-256 as hex digits.
HASH_LENGTH = 64

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every platform table, with stable constraint names."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dt.datetime: DateTime(timezone=True),
        dict[str, Any]: JSON,
    }


def _one_of(column: str, values: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


class JobStatus(StrEnum):
    """Where a job is in its life."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


class PipelineStatus(StrEnum):
    """The state of a strategy version's pass through the approval pipeline."""

    ACTIVE = "active"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    LIVE = "live"
    RETIRED = "retired"


class ApprovalKind(StrEnum):
    """Which sign-off an approval is: a risk officer's review or an admin's final one."""

    RISK_REVIEW = "risk_review"
    FINAL = "final"


class Decision(StrEnum):
    """An approver's decision."""

    APPROVED = "approved"
    REJECTED = "rejected"


class TradingMode(StrEnum):
    """Where an order goes: simulated matching, a paper broker, or a real broker."""

    SIMU = "simu"
    PAPER = "paper"
    REAL = "real"


class OrderType(StrEnum):
    """Limit or market order."""

    LIMIT = "limit"
    MARKET = "market"


class OrderStatus(StrEnum):
    """An order's state, from persisted-before-sending to final."""

    NEW = "new"
    SUBMITTED = "submitted"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCEL_PENDING = "cancel_pending"
    CANCELLED = "cancelled"
    REJECTED = "rejected"


class AuditOutcome(StrEnum):
    """How the audited call ended."""

    OK = "ok"
    DENIED = "denied"
    FAILED = "failed"


user_groups = Table(
    "user_groups",
    Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("group_id", ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True),
)


class User(Base):
    """A hub user, mirrored: name as on the hub, groups as on the hub."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utc_now, onupdate=utc_now)
    groups: Mapped[list[Group]] = relationship(secondary=user_groups, back_populates="users")

    @property
    def group_names(self) -> list[str]:
        """The names of the user's hub groups, sorted."""
        return sorted(group.name for group in self.groups)


class Group(Base):
    """A hub group; the groups named like roles give their members those roles."""

    __tablename__ = "groups"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    users: Mapped[list[User]] = relationship(secondary=user_groups, back_populates="groups")


class Strategy(Base):
    """A strategy: a name and an owner; its code lives in its versions."""

    __tablename__ = "strategies"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    archived: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    owner: Mapped[User] = relationship()
    versions: Mapped[list[StrategyVersion]] = relationship(
        back_populates="strategy", order_by="StrategyVersion.number"
    )


def version_content_hash(code: str, config: dict[str, Any]) -> str:
    """The SHA-256 that identifies a version's content: its code and its config.

    Examples
    --------
    >>> len(version_content_hash("def initialize(context): pass", {"window": 20}))
    64
    """
    return sha256_hex(canonical_json({"code": code, "config": config}))


class StrategyVersion(Base):
    """One uploaded version of a strategy: code and config as stored, and who wrote it."""

    __tablename__ = "strategy_versions"
    __table_args__ = (
        UniqueConstraint("strategy_id", "number"),
        UniqueConstraint("strategy_id", "content_hash"),
        CheckConstraint("number >= 1", name="number_positive"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    strategy_id: Mapped[int] = mapped_column(ForeignKey("strategies.id"), index=True)
    number: Mapped[int]
    code: Mapped[str] = mapped_column(Text)
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    content_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    git_commit: Mapped[str | None] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    strategy: Mapped[Strategy] = relationship(back_populates="versions")
    author: Mapped[User] = relationship()


class Job(Base):
    """A unit of background work (a backtest, a sweep, a validation notebook).

    ``progress`` (0 to 1) and ``progress_message`` say how far a running job is, ``log``
    holds what it printed (its tail), ``cancel_requested`` asks a running job to stop at
    its next progress check, ``dask_key`` names its Dask task and ``heartbeat_at`` is
    when its worker last reported.
    """

    __tablename__ = "jobs"
    __table_args__ = (CheckConstraint(_one_of("status", JobStatus), name="status_known"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.QUEUED, index=True)
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    result: Mapped[dict[str, Any] | None]
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]
    progress: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    progress_message: Mapped[str] = mapped_column(String(200), default="", server_default="")
    log: Mapped[str] = mapped_column(Text, default="", server_default="")
    cancel_requested: Mapped[bool] = mapped_column(default=False, server_default=false())
    dask_key: Mapped[str | None] = mapped_column(String(128))
    heartbeat_at: Mapped[dt.datetime | None]
    submitted_by: Mapped[User] = relationship()


class BacktestRun(Base):
    """A backtest of one strategy version: its inputs, its data, its metrics and files."""

    __tablename__ = "backtest_runs"
    __table_args__ = (
        CheckConstraint("start_date <= end_date", name="range_ordered"),
        CheckConstraint(_one_of("status", JobStatus), name="status_known"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    strategy_version_id: Mapped[int] = mapped_column(ForeignKey("strategy_versions.id"), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id"))
    parameters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)
    frequency: Mapped[str] = mapped_column(String(8), default="1d")
    store_snapshot: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.QUEUED)
    metrics: Mapped[dict[str, Any] | None]
    artifacts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    finished_at: Mapped[dt.datetime | None]
    strategy_version: Mapped[StrategyVersion] = relationship()
    requested_by: Mapped[User] = relationship()


class RiskLimit(Base):
    """A risk limit, for one strategy or (``strategy_id`` empty) for the whole firm."""

    __tablename__ = "risk_limits"
    __table_args__ = (
        UniqueConstraint("strategy_id", "name"),
        Index(
            "uq_risk_limits_global_name",
            "name",
            unique=True,
            sqlite_where=text("strategy_id IS NULL"),
            postgresql_where=text("strategy_id IS NULL"),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    strategy_id: Mapped[int | None] = mapped_column(ForeignKey("strategies.id"))
    name: Mapped[str] = mapped_column(String(64))
    value: Mapped[Decimal] = mapped_column(Numeric(24, 6, asdecimal=True))
    unit: Mapped[str] = mapped_column(String(16))
    updated_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utc_now, onupdate=utc_now)


class PipelineInstance(Base):
    """One strategy version's pass through an approval pipeline (``pipelines/*.yaml``)."""

    __tablename__ = "pipeline_instances"
    __table_args__ = (CheckConstraint(_one_of("status", PipelineStatus), name="status_known"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    strategy_version_id: Mapped[int] = mapped_column(ForeignKey("strategy_versions.id"), index=True)
    pipeline: Mapped[str] = mapped_column(String(64))
    stage: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=PipelineStatus.ACTIVE)
    started_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utc_now, onupdate=utc_now)
    strategy_version: Mapped[StrategyVersion] = relationship()
    events: Mapped[list[PipelineStageEvent]] = relationship(
        back_populates="instance", order_by="PipelineStageEvent.id"
    )
    approvals: Mapped[list[Approval]] = relationship(
        back_populates="instance", order_by="Approval.id"
    )


class PipelineStageEvent(Base):
    """Something that happened at a stage: entered, passed, failed, a report written."""

    __tablename__ = "pipeline_stage_events"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("pipeline_instances.id"), index=True)
    stage: Mapped[str] = mapped_column(String(64))
    event: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    instance: Mapped[PipelineInstance] = relationship(back_populates="events")


class Approval(Base):
    """An approver's decision on a pipeline stage, with the comment that explains it."""

    __tablename__ = "approvals"
    __table_args__ = (
        CheckConstraint(_one_of("kind", ApprovalKind), name="kind_known"),
        CheckConstraint(_one_of("decision", Decision), name="decision_known"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("pipeline_instances.id"), index=True)
    stage: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    decision: Mapped[str] = mapped_column(String(16))
    approver_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    comment: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    instance: Mapped[PipelineInstance] = relationship(back_populates="approvals")
    approver: Mapped[User] = relationship()


class Order(Base):
    """An order, persisted before it is sent; prices in yuan, quantities in shares."""

    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint(_one_of("mode", TradingMode), name="mode_known"),
        CheckConstraint(_one_of("side", Side), name="side_known"),
        CheckConstraint(_one_of("order_type", OrderType), name="order_type_known"),
        CheckConstraint(_one_of("status", OrderStatus), name="status_known"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint(
            "filled_quantity >= 0 AND filled_quantity <= quantity", name="filled_in_range"
        ),
        CheckConstraint(
            "(order_type = 'limit' AND limit_price IS NOT NULL AND limit_price > 0) "
            "OR (order_type = 'market' AND limit_price IS NULL)",
            name="limit_price_matches_type",
        ),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    client_order_id: Mapped[str] = mapped_column(String(64), unique=True)
    strategy_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("strategy_versions.id"), index=True
    )
    mode: Mapped[str] = mapped_column(String(8))
    account: Mapped[str] = mapped_column(String(64))
    symbol: Mapped[str] = mapped_column(String(16), index=True)
    side: Mapped[str] = mapped_column(String(8))
    order_type: Mapped[str] = mapped_column(String(8))
    quantity: Mapped[int] = mapped_column(BigInteger)
    limit_price: Mapped[Decimal | None] = mapped_column(Money)
    status: Mapped[str] = mapped_column(String(24), default=OrderStatus.NEW)
    filled_quantity: Mapped[int] = mapped_column(BigInteger, default=0)
    broker_order_id: Mapped[str | None] = mapped_column(String(64))
    reject_reason: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utc_now, onupdate=utc_now)
    trades: Mapped[list[Trade]] = relationship(back_populates="order", order_by="Trade.id")


class Trade(Base):
    """A fill of an order as the broker reported it, with its fees in yuan."""

    __tablename__ = "trades"
    __table_args__ = (
        UniqueConstraint("order_id", "broker_trade_id"),
        CheckConstraint(_one_of("side", Side), name="side_known"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("price > 0", name="price_positive"),
        CheckConstraint(
            "commission >= 0 AND stamp_duty >= 0 AND transfer_fee >= 0",
            name="fees_not_negative",
        ),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    broker_trade_id: Mapped[str] = mapped_column(String(64))
    symbol: Mapped[str] = mapped_column(String(16))
    side: Mapped[str] = mapped_column(String(8))
    quantity: Mapped[int] = mapped_column(BigInteger)
    price: Mapped[Decimal] = mapped_column(Money)
    amount: Mapped[Decimal] = mapped_column(Money)
    commission: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    stamp_duty: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    transfer_fee: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    traded_at: Mapped[dt.datetime]
    order: Mapped[Order] = relationship(back_populates="trades")


class AuditRecord(Base):
    """One audit record; ``hash`` covers its content and ``prev_hash``, chaining the log.

    Written only by :func:`quantlib.platform.audit.record`; the database refuses updates
    and deletes (triggers), and :func:`quantlib.platform.audit.verify_chain` detects
    changes made around them.
    """

    __tablename__ = "audit_log"
    __table_args__ = (
        CheckConstraint("seq >= 1", name="seq_positive"),
        CheckConstraint(_one_of("outcome", AuditOutcome), name="outcome_known"),
        Index(None, "object_type", "object_id"),
    )
    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    at: Mapped[dt.datetime] = mapped_column(index=True)
    user_name: Mapped[str] = mapped_column(String(128), index=True)
    role: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str] = mapped_column(String(128))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    outcome: Mapped[str] = mapped_column(String(16))
    prev_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))
    hash: Mapped[str] = mapped_column(String(HASH_LENGTH), unique=True)
