"""claim_date: the derived event span of claims dated by start/end only

Revision ID: 0007_event_span
Revises: 0006_actor_date_walk
Create Date: 2026-12-02

A claim dated only by `start` (and `end`) had no `occurred` date, so `occurred` windows,
the year facet, `sort=date` and timelines left it out. Each such claim gets a derived
`occurred` row (`derived` true, never served among the claim's dates): from its earliest
start to its latest end, or to 9999-12-31 (ongoing) without an end; the (actor, date)
index gets the same rows. `value` widens to hold an interval (`2019-01-24/2019-01-25`).
The rule is app/claims/event_span.py's, restated here so this revision keeps meaning what
it meant when written.
"""

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0007_event_span"
down_revision: str | None = "0006_actor_date_walk"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COARSENESS = {"year": 0, "month": 1, "day": 2}


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def _derived_rows(rows: Sequence[Any]) -> list[dict[str, Any]]:
    """The derived `occurred` row of each claim that has a start and no occurred date."""
    by_claim: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        by_claim[row.claim_id].append(row)
    derived = []
    for claim_id, dates in by_claim.items():
        if any(d.kind == "occurred" for d in dates):
            continue
        starts = [d for d in dates if d.kind == "start"]
        ends = [d for d in dates if d.kind == "end"]
        if not starts:
            continue
        start = min(starts, key=lambda d: _as_date(d.earliest))
        end = max(ends, key=lambda d: _as_date(d.latest)) if ends else None
        if end is not None and _as_date(end.latest) < _as_date(start.earliest):
            continue  # refused on write since the first version; nothing to derive from
        derived.append(
            {
                "claim_id": claim_id,
                "position": max(d.position for d in dates) + 1,
                "kind": "occurred",
                "value": f"{start.value}/{end.value if end else '..'}",
                "precision": min(
                    (start.precision, *([end.precision] if end else [])),
                    key=_COARSENESS.__getitem__,
                ),
                "earliest": _as_date(start.earliest),
                "latest": _as_date(end.latest) if end else date.max,
                "derived": True,
            }
        )
    return derived


def upgrade() -> None:
    with op.batch_alter_table("claim_date") as batch:
        batch.alter_column("value", existing_type=sa.String(length=10), type_=sa.String(length=21))
        batch.add_column(
            sa.Column("derived", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    connection = op.get_bind()
    claim_date = sa.table(
        "claim_date",
        sa.column("claim_id", sa.String),
        sa.column("position", sa.Integer),
        sa.column("kind", sa.String),
        sa.column("value", sa.String),
        sa.column("precision", sa.String),
        sa.column("earliest", sa.Date),
        sa.column("latest", sa.Date),
        sa.column("derived", sa.Boolean),
    )
    dated = connection.execute(
        sa.select(claim_date).where(claim_date.c.kind.in_(["occurred", "start", "end"]))
    ).all()
    derived = _derived_rows(dated)
    if not derived:
        return
    connection.execute(sa.insert(claim_date), derived)
    claim_actor = sa.table("claim_actor", sa.column("claim_id"), sa.column("actor_id"))
    claim_actor_date = sa.table(
        "claim_actor_date",
        sa.column("claim_id"),
        sa.column("actor_id"),
        sa.column("kind"),
        sa.column("earliest"),
        sa.column("latest"),
    )
    pairs = (
        sa.select(
            claim_actor.c.claim_id,
            claim_actor.c.actor_id,
            claim_date.c.kind,
            claim_date.c.earliest,
            claim_date.c.latest,
        )
        .join(claim_date, claim_date.c.claim_id == claim_actor.c.claim_id)
        .where(claim_date.c.derived)
        .distinct()
    )
    columns = ["claim_id", "actor_id", "kind", "earliest", "latest"]
    connection.execute(sa.insert(claim_actor_date).from_select(columns, pairs))


def downgrade() -> None:
    connection = op.get_bind()
    # The derived rows' (actor, date) pairs go with them; any other claim's own occurred
    # date with the same days would be the same key, and a derived row exists only for
    # claims without one.
    connection.execute(
        sa.text(
            "DELETE FROM claim_actor_date WHERE kind = 'occurred' AND EXISTS (SELECT 1 FROM "
            "claim_date d WHERE d.claim_id = claim_actor_date.claim_id AND d.derived AND "
            "d.earliest = claim_actor_date.earliest AND d.latest = claim_actor_date.latest)"
        )
    )
    connection.execute(sa.text("DELETE FROM claim_date WHERE derived"))
    with op.batch_alter_table("claim_date") as batch:
        batch.drop_column("derived")
        batch.alter_column("value", existing_type=sa.String(length=21), type_=sa.String(length=10))
