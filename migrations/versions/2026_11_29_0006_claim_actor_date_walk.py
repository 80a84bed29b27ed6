"""claim_actor_date: an (actor, kind, claim) index for pages in claim order

Revision ID: 0006_actor_date_walk
Revises: 0005_claim_actor_date
Create Date: 2026-11-29

A page of "actor X in this period" in claim order walks the actor's rows in claim order
and stops after a page of matches, instead of collecting every match of the period and
sorting them (at 100k claims: 16 ms -> 0.5 ms for the most cited actor over three years).
The dates are in the index too, so the walk checks them without reading the table.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006_actor_date_walk"
down_revision: str | None = "0005_claim_actor_date"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_claim_actor_date_actor_id_kind_claim_id",
        "claim_actor_date",
        ["actor_id", "kind", "claim_id", "earliest", "latest"],
    )


def downgrade() -> None:
    op.drop_index("ix_claim_actor_date_actor_id_kind_claim_id", table_name="claim_actor_date")
