"""An actor's timeline: the claims naming it, in date order, each with the date that placed
it there (its earliest date of the asked kinds) and its stored document."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, Row, Select, bindparam, select
from sqlmodel import col

from app.claims import statements
from app.claims.criteria import TimelineCriteria, resolve_timeline
from app.claims.pages import page_body, timeline_entry
from app.claims.params import TimelineParams
from app.claims.statements import after_key, limited, placing_date, usually
from app.errors import BadRequest, NotFound
from app.http import digest_etag
from app.listings import Listing, page_etag
from app.models import Actor, Claim, ClaimActor
from app.pagination import keyset_page


def surviving_actor(connection: Connection, actor_id: str) -> str | None:
    """The actor's id, or its survivor's if it was merged; None if there is no such actor."""
    row = connection.execute(
        select(col(Actor.id), col(Actor.merged_into_id)).where(col(Actor.id) == actor_id)
    ).first()
    return (row[1] or row[0]) if row else None


@dataclass(frozen=True)
class TimelineStatement:
    """What a timeline statement's form depends on; the values are bound."""

    roles: bool
    continued: bool
    etags_only: bool

    def build(self, dialect: str) -> Select[Any]:
        placed, is_placing = placing_date(
            dialect, bindparam("date_kinds", expanding=True), walk_kinds=False
        )
        key, tie = col(placed.earliest), col(placed.claim_id)
        naming = select(col(ClaimActor.claim_id)).where(
            col(ClaimActor.actor_id) == bindparam("actor_id")
        )
        if self.roles:
            naming = naming.where(col(ClaimActor.role).in_(bindparam("roles", expanding=True)))
        status = col(Claim.status).in_(bindparam("statuses", expanding=True))
        document = [] if self.etags_only else [col(Claim.document)]
        statement = (
            select(
                tie,
                col(Claim.etag),
                *document,
                col(placed.kind),
                col(placed.value),
                col(placed.precision),
                col(placed.latest),
                key,
            )
            .select_from(placed)
            .join(Claim, col(Claim.id) == tie)
            .where(is_placing, tie.in_(naming), usually(dialect, status))
            .order_by(key, tie)
        )
        if self.continued:
            statement = statement.where(after_key(key, tie, descending=False))
        return limited(statement)


def timeline_rows(
    connection: Connection,
    secret: str,
    criteria: TimelineCriteria,
    limit: int,
    cursor: str | None,
    *,
    etags_only: bool = False,
) -> tuple[Sequence[Row[Any]], str | None]:
    """A page of the timeline as rows (claim id, etag, [document,] kind, value, precision,
    latest, earliest) and the next page's cursor."""
    values: dict[str, Any] = {
        "actor_id": criteria.actor_id,
        "date_kinds": list(criteria.date_kinds),
        "roles": list(criteria.actor_roles),
        "statuses": list(criteria.statuses),
    }

    def fetch(after: list[Any] | None, size: int) -> Sequence[Row[Any]]:
        query = TimelineStatement(bool(criteria.actor_roles), after is not None, etags_only)
        bound = {**values, "page_size": size}
        if after:
            try:
                bound.update(after_key=date.fromisoformat(after[0]), after_tie=after[1])
            except ValueError:
                raise BadRequest("The cursor is not valid for this query.", errors=[]) from None
        return statements.run(connection, query, query.build, bound).all()

    return keyset_page(
        secret=secret,
        scope=criteria.scope(),
        cursor=cursor,
        limit=limit,
        key=(str, str),
        fetch=fetch,
        key_of=lambda row: [row[-1].isoformat(), row[0]],
    )


def timeline_listing(
    secret: str, actor_id: str, params: TimelineParams
) -> Listing[TimelineCriteria]:
    """The timeline of the actor `actor_id` names (its survivor if it was merged)."""

    def criteria_of(connection: Connection) -> TimelineCriteria:
        survivor = surviving_actor(connection, actor_id)
        if survivor is None:
            raise NotFound(f"No actor with id {actor_id!r}.")
        return resolve_timeline(connection, survivor, params)

    def rows(
        connection: Connection, criteria: TimelineCriteria, etags_only: bool
    ) -> tuple[Sequence[Row[Any]], str | None, str]:
        found, next_cursor = timeline_rows(
            connection, secret, criteria, params.limit, params.cursor, etags_only=etags_only
        )
        scope = digest_etag(criteria.scope(), params.limit, params.cursor)
        etag = page_etag(scope, (row[1] for row in found), next_cursor is not None)
        return found, next_cursor, etag

    def validator(connection: Connection, criteria: TimelineCriteria) -> str:
        return rows(connection, criteria, etags_only=True)[2]

    def page(connection: Connection, criteria: TimelineCriteria) -> tuple[bytes, str]:
        found, next_cursor, etag = rows(connection, criteria, etags_only=False)
        # (claim id, etag, document, kind, value, precision, latest, earliest)
        entries = (
            timeline_entry(row[2], (row[3], row[4], row[5], row[7], row[6])) for row in found
        )
        return page_body(entries, next_cursor), etag

    return Listing(criteria_of, validator, page)
