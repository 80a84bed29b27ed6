"""An actor's timeline: the claims naming it, in date order, each with the date that placed
it there (its earliest date of the asked kinds) and its stored document."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import orjson
from sqlalchemy import Connection, select
from sqlmodel import col

from app.claims.queries import after_key, placing_date, usually
from app.errors import BadRequest
from app.models import Actor, Claim, ClaimActor, DateKind
from app.pagination import decode_cursor, encode_cursor, query_scope

ALL_KINDS = tuple(kind.value for kind in DateKind)


@dataclass(frozen=True)
class TimelineQuery:
    actor_id: str
    date_kind: tuple[str, ...] = ALL_KINDS
    role: tuple[str, ...] = ()
    status: tuple[str, ...] = ()

    def scope(self) -> str:
        return query_scope(
            resource="timeline",
            actor_id=self.actor_id,
            date_kind=self.date_kind,
            role=self.role,
            status=self.status,
        )


def surviving_actor(connection: Connection, actor_id: str) -> str | None:
    """The actor's id, or its survivor's if it was merged; None if there is no such actor."""
    row = connection.execute(
        select(col(Actor.id), col(Actor.merged_into_id)).where(col(Actor.id) == actor_id)
    ).first()
    return (row[1] or row[0]) if row else None


def timeline_documents(
    connection: Connection,
    secret: str,
    query: TimelineQuery,
    limit: int,
    cursor: str | None,
) -> bytes:
    """A page of the timeline as the JSON body of a `TimelinePage`."""
    scope = query.scope()
    dialect = connection.dialect.name
    placed, is_placing = placing_date(dialect, query.date_kind, walk_kinds=False)
    key, tie = col(placed.earliest), col(placed.claim_id)
    naming = select(col(ClaimActor.claim_id)).where(col(ClaimActor.actor_id) == query.actor_id)
    if query.role:
        naming = naming.where(col(ClaimActor.role).in_(query.role))
    statement = (
        select(
            col(Claim.document),
            col(placed.kind),
            col(placed.value),
            col(placed.precision),
            key,
            col(placed.latest),
            tie,
        )
        .select_from(placed)
        .join(Claim, col(Claim.id) == tie)
        .where(is_placing, tie.in_(naming), usually(dialect, col(Claim.status).in_(query.status)))
        .order_by(key, tie)
    )
    if cursor:
        after = decode_cursor(secret, scope, cursor)
        if len(after) != 2 or not all(isinstance(part, str) for part in after):
            raise BadRequest("The cursor is not valid for this query.", errors=[])
        statement = statement.where(
            after_key(key, tie, (date.fromisoformat(after[0]), after[1]), False)
        )
    rows = connection.execute(statement.limit(limit + 1)).all()
    page = rows[:limit]
    items = [
        b'{"date":'
        + orjson.dumps(
            {
                "kind": kind,
                "value": value,
                "precision": precision,
                "earliest": earliest,
                "latest": latest,
            }
        )
        + b',"claim":'
        + document.encode()
        + b"}"
        for document, kind, value, precision, earliest, latest, _ in page
    ]
    next_cursor = (
        encode_cursor(secret, scope, [page[-1][4].isoformat(), page[-1][6]])
        if len(rows) > limit
        else None
    )
    return b'{"data":[' + b",".join(items) + b'],"next_cursor":' + orjson.dumps(next_cursor) + b"}"


def kinds_or_all(kinds: Sequence[DateKind] | None) -> tuple[str, ...]:
    return tuple(sorted({kind.value for kind in kinds})) if kinds else ALL_KINDS
