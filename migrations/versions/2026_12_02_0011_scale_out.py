"""idempotency entries and shared rate limit counts

Revision ID: 0011_scale_out
Revises: 0010_api_keys
Create Date: 2026-12-02

Two tables of short-lived rows: the first answer to each POST sent with an
`Idempotency-Key` (kept for the retention, default 24 h), and each API process's count of
each rate limit subject in the current window (shared through the database once a second).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_scale_out"
down_revision: str | None = "0010_api_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "idempotency_entry",
        sa.Column("api_key_id", sa.String(length=36), nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("headers", sa.String(), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("api_key_id", "idempotency_key", name=op.f("pk_idempotency_entry")),
    )
    op.create_index(op.f("ix_idempotency_entry_created_at"), "idempotency_entry", ["created_at"])
    op.create_table(
        "rate_limit_usage",
        sa.Column("subject", sa.String(length=100), nullable=False),
        sa.Column("window_start", sa.BigInteger(), nullable=False),
        sa.Column("process", sa.String(length=36), nullable=False),
        sa.Column("used", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint(
            "subject", "window_start", "process", name=op.f("pk_rate_limit_usage")
        ),
    )


def downgrade() -> None:
    op.drop_table("rate_limit_usage")
    op.drop_index(op.f("ix_idempotency_entry_created_at"), table_name="idempotency_entry")
    op.drop_table("idempotency_entry")
