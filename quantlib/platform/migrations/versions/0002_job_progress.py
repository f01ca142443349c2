"""Job progress, log, cancellation request, Dask key and heartbeat.

Revision ID: 0002
Revises: 0001
Created: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_COLUMNS = (
    "progress",
    "progress_message",
    "log",
    "cancel_requested",
    "dask_key",
    "heartbeat_at",
)


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("progress", sa.Float(), server_default="0", nullable=False))
        batch.add_column(
            sa.Column("progress_message", sa.String(200), server_default="", nullable=False)
        )
        batch.add_column(sa.Column("log", sa.Text(), server_default="", nullable=False))
        batch.add_column(
            sa.Column("cancel_requested", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch.add_column(sa.Column("dask_key", sa.String(128), nullable=True))
        batch.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("jobs") as batch:
        for column in reversed(_COLUMNS):
            batch.drop_column(column)
