"""The (actor, date) index of claims: claim_actor × claim_date, kept in step on every write."""

from collections.abc import Collection

from sqlalchemy import Connection, delete, insert, select
from sqlmodel import col

from app.models import ClaimActor, ClaimActorDate, ClaimDate


def index_actor_dates(connection: Connection, claim_ids: Collection[str]) -> None:
    """Rebuild the (actor, date) rows of `claim_ids` from their actors and dates."""
    if not claim_ids:
        return
    ids = list(claim_ids)
    connection.execute(delete(ClaimActorDate).where(col(ClaimActorDate.claim_id).in_(ids)))
    pairs = (
        select(
            col(ClaimActor.claim_id),
            col(ClaimActor.actor_id),
            col(ClaimDate.kind),
            col(ClaimDate.earliest),
            col(ClaimDate.latest),
        )
        .join(ClaimDate, col(ClaimDate.claim_id) == col(ClaimActor.claim_id))
        .where(col(ClaimActor.claim_id).in_(ids))
        .distinct()
    )
    columns = ["claim_id", "actor_id", "kind", "earliest", "latest"]
    connection.execute(insert(ClaimActorDate).from_select(columns, pairs))
