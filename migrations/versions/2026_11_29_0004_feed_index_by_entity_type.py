"""feed index by entity type

Revision ID: 0004_feed_index
Revises: 0003_claim_search
Create Date: 2026-11-29 21:08:32.684151
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004_feed_index"
down_revision: str | None = "0003_claim_search"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("revision", schema=None) as batch_op:
        batch_op.create_index("ix_revision_entity_type_seq", ["entity_type", "seq"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("revision", schema=None) as batch_op:
        batch_op.drop_index("ix_revision_entity_type_seq")
