"""revision: the reason of a status transition and the cause of a re-render

Revision ID: 0008_revision_cause
Revises: 0007_event_span
Create Date: 2026-12-02

Two nullable columns. Existing retractions get their reason from the snapshot they hold
(the claim's `retraction_reason` at that version), so an old retraction reads like a new
one; every other revision had no reason or cause to record.
"""

from collections.abc import Sequence

import orjson
import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008_revision_cause"
down_revision: str | None = "0007_event_span"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("revision", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True)
        )
        batch_op.add_column(sa.Column("cause", _JSON, nullable=True))
    connection = op.get_bind()
    retractions = connection.execute(
        sa.text(
            "SELECT seq, snapshot FROM revision "
            "WHERE entity_type = 'claim' AND operation = 'retracted'"
        )
    ).all()
    for seq, snapshot in retractions:
        held = snapshot if isinstance(snapshot, dict) else orjson.loads(snapshot)
        if reason := held.get("retraction_reason"):
            connection.execute(
                sa.text("UPDATE revision SET reason = :reason WHERE seq = :seq"),
                {"reason": reason, "seq": seq},
            )


def downgrade() -> None:
    with op.batch_alter_table("revision", schema=None) as batch_op:
        batch_op.drop_column("cause")
        batch_op.drop_column("reason")
