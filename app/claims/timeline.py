"""An actor's timeline: every claim naming it, once for each of its dates of the asked kinds
(an obligation adopted in 2017 with a 2019 deadline appears at both), in date order, each
entry with the date that placed it there and the claim's stored document; then the claims
without such a date, with none. `occurred` is the event span (app/claims/event_span.py)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    Connection,
    Date,
    Integer,
    Row,
    Select,
    String,
    bindparam,
    cast,
    exists,
    literal,
    null,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.orm import aliased
from sqlmodel import col

from app.claims import statements
from app.claims.criteria import TimelineCriteria, resolve_timeline
from app.claims.pages import page_body, timeline_entry
from app.claims.params import TimelineParams
from app.claims.statements import limited, usually
from app.errors import BadRequest, NotFound
from app.http import digest_etag
from app.listings import Listing, page_etag
from app.models import Actor, Claim, ClaimActor, ClaimDate
from app.pagination import keyset_page


def surviving_actor(connection: Connection, actor_id: str) -> str | None:
    """The actor's id, or its survivor's if it was merged; None if there is no such actor."""
    row = connection.execute(
        select(col(Actor.id), col(Actor.merged_into_id)).where(col(Actor.id) == actor_id)
    ).first()
    return (row[1] or row[0]) if row else None


# The cursor key's date of a claim without a date of the asked kinds, after every entry.
UNDATED = ""
_ENTRY = aliased(ClaimDate, name="placed")


@dataclass(frozen=True)
class TimelineStatement:
    """What a timeline statement's form depends on; the values are bound.

    One entry per (claim, date of the asked kinds), by (earliest day, claim, position);
    then, without a window, the actor's claims with no such date, by id. Both in one
    statement, so a page costs the same statements however many entries it holds."""

    roles: bool
    first_day: bool
    last_day: bool
    continued: bool
    in_undated: bool  # the cursor is past every dated entry
    etags_only: bool

    @property
    def undated(self) -> bool:
        return not (self.first_day or self.last_day)

    def build(self, dialect: str) -> Select[Any]:
        naming = select(col(ClaimActor.claim_id)).where(
            col(ClaimActor.actor_id) == bindparam("actor_id")
        )
        if self.roles:
            naming = naming.where(col(ClaimActor.role).in_(bindparam("roles", expanding=True)))
        status = usually(dialect, col(Claim.status).in_(bindparam("statuses", expanding=True)))
        kinds: Any = bindparam("date_kinds", expanding=True)
        document = [] if self.etags_only else [col(Claim.document)]
        parts: list[Select[Any]] = []
        if not self.in_undated:
            entry = _ENTRY
            dated = (
                select(
                    col(entry.claim_id).label("claim_id"),
                    col(Claim.etag).label("etag"),
                    *(d.label("document") for d in document),
                    col(entry.kind).label("kind"),
                    col(entry.value).label("value"),
                    col(entry.precision).label("precision"),
                    col(entry.latest).label("latest"),
                    col(entry.earliest).label("earliest"),
                    col(entry.position).label("position"),
                    literal(0).label("undated"),
                )
                .select_from(entry)
                .join(Claim, col(Claim.id) == col(entry.claim_id))
                .where(
                    col(entry.claim_id).in_(naming),
                    usually(dialect, col(entry.kind).in_(kinds)),
                    status,
                )
            )
            if self.first_day:
                dated = dated.where(col(entry.latest) >= bindparam("first_day", type_=Date))
            if self.last_day:
                dated = dated.where(col(entry.earliest) <= bindparam("last_day", type_=Date))
            if self.continued:
                dated = dated.where(
                    tuple_(col(entry.earliest), col(entry.claim_id), col(entry.position))
                    > tuple_(
                        bindparam("after_key", type_=Date),
                        bindparam("after_tie", type_=String),
                        bindparam("after_position", type_=Integer),
                    )
                )
            parts.append(dated)
        if self.undated:
            has_date = exists().where(
                col(ClaimDate.claim_id) == col(Claim.id), col(ClaimDate.kind).in_(kinds)
            )
            nothing = null()
            undated = select(
                col(Claim.id).label("claim_id"),
                col(Claim.etag).label("etag"),
                *(d.label("document") for d in document),
                cast(nothing, String).label("kind"),
                cast(nothing, String).label("value"),
                cast(nothing, String).label("precision"),
                cast(nothing, Date).label("latest"),
                cast(nothing, Date).label("earliest"),
                cast(nothing, Integer).label("position"),
                literal(1).label("undated"),
            ).where(col(Claim.id).in_(naming), status, ~has_date)
            if self.in_undated:
                undated = undated.where(col(Claim.id) > bindparam("after_tie", type_=String))
            parts.append(undated)
        entries = (
            union_all(*parts).subquery("entries")
            if len(parts) > 1
            else parts[0].subquery("entries")
        )
        c = entries.c
        return limited(select(*entries.c).order_by(c.undated, c.earliest, c.claim_id, c.position))


def _bound_after(after: list[Any]) -> dict[str, Any]:
    if after[0] == UNDATED:
        return {"after_tie": after[1]}
    try:
        return {
            "after_key": date.fromisoformat(after[0]),
            "after_tie": after[1],
            "after_position": after[2],
        }
    except ValueError:
        raise BadRequest("The cursor is not valid for this query.", errors=[]) from None


def _key_of(row: Row[Any]) -> list[Any]:
    # (claim id, etag, [document,] kind, value, precision, latest, earliest, position, undated)
    if row[-1]:
        return [UNDATED, row[0], 0]
    return [row[-3].isoformat(), row[0], row[-2]]


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
    latest, earliest, position, undated) and the next page's cursor."""
    values: dict[str, Any] = {
        "actor_id": criteria.actor_id,
        "date_kinds": list(criteria.date_kinds),
        "roles": list(criteria.actor_roles),
        "statuses": list(criteria.statuses),
        "first_day": criteria.first_day,
        "last_day": criteria.last_day,
    }

    def fetch(after: list[Any] | None, size: int) -> Sequence[Row[Any]]:
        query = TimelineStatement(
            roles=bool(criteria.actor_roles),
            first_day=criteria.first_day is not None,
            last_day=criteria.last_day is not None,
            continued=after is not None,
            in_undated=after is not None and after[0] == UNDATED,
            etags_only=etags_only,
        )
        bound = {**values, "page_size": size, **(_bound_after(after) if after else {})}
        return statements.run(connection, query, query.build, bound).all()

    return keyset_page(
        secret=secret,
        scope=criteria.scope(),
        cursor=cursor,
        limit=limit,
        key=(str, str, int),
        fetch=fetch,
        key_of=_key_of,
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
        # (claim id, etag, document, kind, value, precision, latest, earliest, position,
        # undated)
        entries = (
            timeline_entry(row[2], None if row[9] else (row[3], row[4], row[5], row[7], row[6]))
            for row in found
        )
        return page_body(entries, next_cursor), etag

    return Listing(criteria_of, validator, page)
