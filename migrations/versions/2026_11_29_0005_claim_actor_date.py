"""claim_actor_date: the (actor, date) index of claims

Revision ID: 0005_claim_actor_date
Revises: 0004_feed_index
Create Date: 2026-11-29

Every (actor, dated) pair of a claim, so "claims of actor X in this period" is one range
scan. Filled here from the existing claim_actor and claim_date rows; kept in step on every
write by app.claims.actor_dates.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005_claim_actor_date"
down_revision: str | None = "0004_feed_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "claim_actor_date",
        sa.Column("claim_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("actor_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("earliest", sa.Date(), nullable=False),
        sa.Column("latest", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_id"],
            ["claim.id"],
            name=op.f("fk_claim_actor_date_claim_id_claim"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "claim_id", "actor_id", "kind", "earliest", "latest", name=op.f("pk_claim_actor_date")
        ),
    )
    op.create_index(
        "ix_claim_actor_date_actor_id_kind_earliest",
        "claim_actor_date",
        ["actor_id", "kind", "earliest", "latest", "claim_id"],
    )
    op.execute(
        "INSERT INTO claim_actor_date (claim_id, actor_id, kind, earliest, latest) "
        "SELECT DISTINCT claim_actor.claim_id, claim_actor.actor_id, claim_date.kind, "
        "claim_date.earliest, claim_date.latest "
        "FROM claim_actor JOIN claim_date ON claim_date.claim_id = claim_actor.claim_id"
    )


def downgrade() -> None:
    op.drop_index("ix_claim_actor_date_actor_id_kind_earliest", table_name="claim_actor_date")
    op.drop_table("claim_actor_date")
