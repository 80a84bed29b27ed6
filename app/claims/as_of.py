"""Reads of the past: a claim and the claim list as they stood at a moment, in recorded time.

`as_of=T` means every write up to the last revision committed at or before T. A revision's
`recorded_at` is taken after its transaction holds the write lock (app/db.py), and writers
queue on that lock, so revision numbers and times rise together: the revision of T is the
last one recorded by T, found by one index step. The versions valid at that revision are in
the system-versioned tables (app/models/claim_version.py), filtered as the current ones are.

What it does not do yet, and says so (422): full text (`q`), facets and timelines.
"""

from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import Connection, DateTime, bindparam, or_, select
from sqlmodel import col

from app.claims.criteria import ClaimCriteria, resolve
from app.claims.params import ClaimListParams
from app.db import fetch_first
from app.errors import InvalidInput
from app.models import Actor, ClaimStatus, ClaimVersion, Revision
from app.models.base import utcnow

# Answers of the past never change: a client (not a shared cache, since reads may need a
# key and drafts depend on it) may keep them for a year without asking again.
IMMUTABLE = {"Cache-Control": "private, max-age=31536000, immutable"}

_SEQUENCE_AT = (
    select(col(Revision.seq))
    .where(col(Revision.recorded_at) <= bindparam("moment", type_=DateTime(timezone=True)))
    .order_by(col(Revision.recorded_at).desc(), col(Revision.seq).desc())
    .limit(1)
)

_VERSION_AT = select(
    col(ClaimVersion.document), col(ClaimVersion.etag), col(ClaimVersion.status)
).where(
    col(ClaimVersion.id) == bindparam("claim_id"),
    col(ClaimVersion.from_seq) <= bindparam("seq"),
    or_(col(ClaimVersion.to_seq).is_(None), col(ClaimVersion.to_seq) > bindparam("seq")),
)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def sequence_at(connection: Connection, moment: datetime) -> int:
    """The last revision recorded at or before `moment` (0 before the first). A moment
    still to come is refused: its answer could yet change."""
    if _utc(moment) > utcnow():
        raise InvalidInput.parameter(
            "as_of", "as_of is in the future; only the past is fixed, so only it can be read."
        )
    # Through SQLAlchemy, not the raw driver: the time is bound as the column stores it.
    seq = connection.execute(_SEQUENCE_AT, {"moment": _utc(moment)}).scalar()
    return 0 if seq is None else int(seq)


def version_at(
    connection: Connection, claim_id: str, moment: datetime, *, drafts: bool
) -> tuple[str, str] | None:
    """The claim's document and ETag as of `moment`; None if it did not exist yet (or was
    a draft then and the caller does not see drafts)."""
    seq = sequence_at(connection, moment)
    row = fetch_first(connection, _VERSION_AT, {"claim_id": claim_id, "seq": seq})
    if row is None or (row[2] == ClaimStatus.draft and not drafts):
        return None
    return row[0], row[1]


def _merged_into(connection: Connection, actor_ids: tuple[str, ...]) -> tuple[str, ...]:
    """The actors and every actor since merged into them: a version written before a merge
    names the merged actor, and it is the same actor now."""
    if not actor_ids:
        return actor_ids
    merged = connection.scalars(
        select(col(Actor.id)).where(col(Actor.merged_into_id).in_(actor_ids))
    ).all()
    return tuple(sorted({*actor_ids, *merged}))


def resolve_as_of(connection: Connection, params: ClaimListParams) -> ClaimCriteria:
    """The criteria of a list `params` ask for, as of `params.as_of` when it is given."""
    if params.as_of is not None and params.q is not None:
        raise InvalidInput.parameter(
            "q", "Full-text search (q) does not support as_of yet; leave out one of them."
        )
    criteria = resolve(connection, params)
    if params.as_of is None:
        return criteria
    return replace(
        criteria,
        actor_ids=_merged_into(connection, criteria.actor_ids),
        as_of=_utc(params.as_of),
        as_of_seq=sequence_at(connection, params.as_of),
    )
