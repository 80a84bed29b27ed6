"""api keys, and the key of each revision's author

Revision ID: 0010_api_keys
Revises: 0009_normalised_keys
Create Date: 2026-12-02

Keys are stored as an HMAC of the secret under the server's pepper (never the secret).
Revisions written before keys existed keep `recorded_by_key_id` null.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_api_keys"
down_revision: str | None = "0009_normalised_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_key",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "role IN ('reader', 'analyst', 'reviewer', 'admin')", name=op.f("ck_api_key_role")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_key")),
        sa.UniqueConstraint("name", name=op.f("uq_api_key_name")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_api_key_secret_hash")),
    )
    # A plain ADD COLUMN, not a batch: a batch would copy `revision` on SQLite.
    op.add_column("revision", sa.Column("recorded_by_key_id", sa.String(length=36), nullable=True))


def downgrade() -> None:
    op.execute("ALTER TABLE revision DROP COLUMN recorded_by_key_id")
    op.drop_table("api_key")
