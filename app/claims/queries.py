"""Claim reads: set-based SQL over the indexed tables, answered with stored documents.

A page is one statement that returns ids, stored documents, their ETags and the sort key,
whatever the filters; the body is those documents joined as bytes, never re-serialised
(app/claims/pages.py). Pages are keyset-paginated on (sort key, id): a cursor carries the
last row's key, so rows inserted while a client walks the pages never shift it, and every
claim that existed when the walk began is served exactly once, in order (for every sort but
`relevance`, whose SQLite score depends on the whole corpus).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from fastapi import Response
from sqlalchemy import Connection, Row, Select, and_, bindparam, exists, func, null, select
from sqlalchemy.orm import aliased
from sqlmodel import col

from app.claims import statements
from app.claims.as_of import resolve_as_of
from app.claims.criteria import ALL_DATE_KINDS, ClaimCriteria
from app.claims.pages import claim_page_body
from app.claims.params import ANY_DATE_KIND, ClaimListParams, ClaimSort
from app.claims.search import ranked_source, relevance_condition
from app.claims.statements import (
    Shape,
    after_key,
    conditions,
    in_period,
    limited,
    placing_date,
    shape_of,
)
from app.db import fetch_first
from app.errors import BadRequest, InvalidInput
from app.http import conditional, json_response
from app.listings import Listing, page_etag
from app.models import Claim, ClaimActorDate, ClaimStatus
from app.pagination import keyset_page

_DOCUMENT_BY_ID = select(col(Claim.document), col(Claim.etag), col(Claim.status)).where(
    col(Claim.id) == bindparam("claim_id")
)


def fetch_document(
    connection: Connection, claim_id: str, *, drafts: bool
) -> tuple[str, str] | None:
    """The claim's stored document and ETag: the lookup every dashboard makes most. A
    draft is there only for callers who see `drafts` (to others it does not exist)."""
    row = fetch_first(connection, _DOCUMENT_BY_ID, {"claim_id": claim_id})
    if row is None or (row[2] == ClaimStatus.draft and not drafts):
        return None
    return row[0], row[1]


def lookup(
    connection: Connection, claim_id: str, if_none_match: str | None, *, drafts: bool
) -> Response | None:
    """The claim's stored document (or 304), None when there is no such claim (or it is a
    draft and the caller does not see drafts); the route and app.fastpath answer with it."""
    found = fetch_document(connection, claim_id, drafts=drafts)
    if found is None:
        return None
    document, etag = found
    return conditional(if_none_match, etag) or json_response(document.encode(), etag)


# Aliases are built once: building one costs more than the query it serves (~150 µs).
_PAGE = aliased(Claim, name="page")

# Below this many (actor, date) rows in the period, SQLite is faster collecting them all and
# reading them in claim order than walking the actor's rows in claim order until a page is
# found (measured at 100k claims: even at about 400; at 1M claims a sparse walk costs ten
# times more, a dense collection too).
FEW_IN_PERIOD = 500


def _count_in_period(dialect: str, shape: Shape) -> Select[Any]:
    # An estimate is enough to choose: the rows that start in the period. (Counting those
    # that merely overlap it would also scan the year before, which at 1M claims made the
    # count cost more than the page.)
    earliest = col(ClaimActorDate.earliest)
    starting = [earliest >= bindparam("first_day")] if shape.first_day else []
    if shape.last_day:
        starting.append(earliest <= bindparam("last_day"))
    starting_rows = (
        select(col(ClaimActorDate.claim_id))
        .where(
            col(ClaimActorDate.actor_id).in_(bindparam("actor_ids", expanding=True)),
            col(ClaimActorDate.kind) == bindparam("date_kind"),
            *starting,
        )
        .limit(FEW_IN_PERIOD)
        .subquery()
    )
    return select(func.count()).select_from(starting_rows)


@dataclass(frozen=True)
class PageQuery:
    """What a page statement's form depends on; `values` are bound into it."""

    shape: Shape
    sort: ClaimSort
    continued: bool  # after a cursor
    walk: bool  # by the actor's rows of the period (see `_actor_period_page`)
    etags_only: bool  # the validator's read: ids, ETags and keys, no documents

    def build(self, dialect: str) -> Select[Any]:
        return _page_statement(dialect, self)


def _walks(connection: Connection, shape: Shape, sort: ClaimSort, values: dict[str, Any]) -> bool:
    """Whether a page walks the actor's rows in claim order (see `_actor_period_page`).

    PostgreSQL chooses between the walk and the range scan itself, from its statistics.
    SQLite has none, so the period's rows are counted first, up to FEW_IN_PERIOD (one short
    range scan): when there are fewer, collecting them is cheaper than walking."""
    if sort != ClaimSort.id or not shape.dated_actor:
        return False
    dialect = connection.dialect.name
    if dialect != "sqlite":
        return True
    key = ("count_in_period", shape.first_day, shape.last_day)
    counted = statements.run(
        connection, key, lambda name: _count_in_period(name, shape), values
    ).scalar_one()
    return bool(counted >= FEW_IN_PERIOD)


def _payload(page: Any, query: "PageQuery | UndatedQuery") -> list[Any]:
    columns = [col(page.id), col(page.etag)]
    return columns if query.etags_only else [*columns, col(page.document)]


def _actor_period_page(dialect: str, query: PageQuery) -> Select[Any]:
    """A page in claim order of "actor X in this period": the ids come from a walk of the
    actor's claim_actor_date rows in claim order that stops after a page of matches
    (however many claims the period holds), then their documents are read by id."""
    paired = (
        in_period(dialect, query.shape)
        .join(Claim, col(Claim.id) == col(ClaimActorDate.claim_id))
        .where(*conditions(dialect, query.shape, paired=False))
        .distinct()  # a claim has a row per date of the kind
        .order_by(col(ClaimActorDate.claim_id))
    )
    if query.continued:
        paired = paired.where(col(ClaimActorDate.claim_id) > bindparam("after_tie"))
    page = _PAGE
    return (
        select(*_payload(page, query), col(page.id))
        .where(col(page.id).in_(limited(paired)))
        .order_by(col(page.id))
    )


def _page_statement(dialect: str, query: PageQuery) -> Select[Any]:
    """Select (id, etag, [document,] sort key) in page order, after the cursor's row, up to
    `page_size` rows (with `walk`, by walking the actor's rows of the period)."""
    sort, shape = query.sort, query.shape
    t = shape.tables
    claim = t.claim
    descending = sort in (ClaimSort.date_desc, ClaimSort.updated_at_desc)
    key: Any
    tie: Any
    statement: Select[Any]
    if sort == ClaimSort.id:
        if query.walk:
            return _actor_period_page(dialect, query)
        statement = select(*_payload(claim, query), col(claim.id))
        statement = statement.where(*conditions(dialect, shape)).order_by(col(claim.id))
        if query.continued:
            statement = statement.where(col(claim.id) > bindparam("after_tie"))
        return limited(statement)
    if sort in (ClaimSort.updated_at, ClaimSort.updated_at_desc):
        key, tie = col(claim.updated_at), col(claim.id)
        statement = select(*_payload(claim, query), key).where(*conditions(dialect, shape))
    elif sort in (ClaimSort.date, ClaimSort.date_desc):
        placed, is_placing = placing_date(dialect, bindparam("date_kinds", expanding=True), t)
        key = col(placed.earliest)
        # The placing row's claim id where it has one (the current tables' index order).
        tie = col(claim.id) if shape.as_of else col(placed.claim_id)
        statement = (
            select(*_payload(claim, query), key)
            .select_from(placed)
            .join(claim, t.claim_key() == t.owner_of(placed))
            .where(is_placing, *conditions(dialect, shape))
        )
    else:
        assert shape.text is not None
        source, score = ranked_source(dialect, shape.text)
        ranked = (
            select(
                col(Claim.id),
                col(Claim.etag),
                *([] if query.etags_only else [col(Claim.document)]),
                score.label("score"),
            )
            .select_from(source)
            .where(relevance_condition(dialect, shape.text))
            .where(*conditions(dialect, shape, with_text=False))
            .subquery("ranked")
        )
        key, tie = ranked.c.score, ranked.c.id
        statement = select(
            ranked.c.id,
            ranked.c.etag,
            *([] if query.etags_only else [ranked.c.document]),
            key,
        )
    if query.continued:
        statement = statement.where(after_key(key, tie, descending))
    if descending:
        return limited(statement.order_by(key.desc(), tie.desc()))
    return limited(statement.order_by(key, tie))


# The cursor key's date of a claim without a date of the kind, after every dated claim.
UNDATED = ""


@dataclass(frozen=True)
class UndatedQuery:
    """The claims without a date of the kind, by id: what follows the dated ones of a page
    in date order (either direction)."""

    shape: Shape
    continued: bool
    etags_only: bool

    def build(self, dialect: str) -> Select[Any]:
        t = self.shape.tables
        dates = t.owner_of(t.date) == t.claim_key()
        if not self.shape.any_kind:
            dates = and_(dates, col(t.date.kind).in_(bindparam("date_kinds", expanding=True)))
        statement = (
            select(*_payload(t.claim, self), null().label("placed"))
            .where(*conditions(dialect, self.shape), ~exists().where(dates))
            .order_by(col(t.claim.id))
        )
        if self.continued:
            statement = statement.where(col(t.claim.id) > bindparam("after_tie"))
        return limited(statement)


# The JSON types of each sort's cursor key: the sort key (if not the id), then the id.
_KEY_PARTS: dict[ClaimSort, tuple[type, ...]] = {
    ClaimSort.id: (str,),
    ClaimSort.date: (str, str),
    ClaimSort.date_desc: (str, str),
    ClaimSort.updated_at: (str, str),
    ClaimSort.updated_at_desc: (str, str),
    ClaimSort.relevance: (float, str),
}


def _as_utc(value: datetime) -> datetime:
    # SQLite hands timestamps back without their zone; they are stored in UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _key_of(sort: ClaimSort, row: Row[Any]) -> list[Any]:
    claim_id, key = row[0], row[-1]
    if sort == ClaimSort.id:
        return [claim_id]
    if key is None:
        return [UNDATED, claim_id]
    if isinstance(key, datetime):
        return [_as_utc(key).isoformat(), claim_id]
    if isinstance(key, date):
        return [key.isoformat(), claim_id]
    return [float(key), claim_id]


def _bound_key(sort: ClaimSort, after: list[Any]) -> dict[str, Any]:
    """The cursor's key as the values the statement binds; a key that does not parse (a
    validly signed cursor of another shape) is a 400."""
    if sort == ClaimSort.id:
        return {"after_tie": after[0]}
    if after[0] == UNDATED and sort in (ClaimSort.date, ClaimSort.date_desc):
        return {"after_tie": after[1]}
    value: Any = after[0]
    try:
        if sort in (ClaimSort.updated_at, ClaimSort.updated_at_desc):
            value = _as_utc(datetime.fromisoformat(value))
        elif sort in (ClaimSort.date, ClaimSort.date_desc):
            value = date.fromisoformat(value)
        else:
            value = float(value)
    except ValueError:
        raise BadRequest("The cursor is not valid for this query.", errors=[]) from None
    return {"after_key": value, "after_tie": after[1]}


def check_sort(criteria: ClaimCriteria, sort: ClaimSort) -> None:
    if sort == ClaimSort.relevance and criteria.text is None:
        raise InvalidInput.parameter("sort", "sort=relevance needs a full-text query `q`.")


@dataclass(frozen=True)
class ClaimRows:
    """A page of claims as rows (id, etag, [document,] key), and the next page's cursor."""

    rows: Sequence[Row[Any]]
    next_cursor: str | None


def claim_rows(
    connection: Connection,
    secret: str,
    criteria: ClaimCriteria,
    sort: ClaimSort,
    limit: int,
    cursor: str | None,
    *,
    etags_only: bool = False,
) -> ClaimRows:
    """A page of the claims `criteria` select, in `sort` order after `cursor`: with
    `etags_only`, what the page's validator needs and no documents."""
    check_sort(criteria, sort)
    dialect = connection.dialect.name
    shape = shape_of(criteria)
    values = statements.bind_values(dialect, criteria)
    values["date_kinds"] = (
        list(ALL_DATE_KINDS) if criteria.date_kind == ANY_DATE_KIND else [criteria.date_kind]
    )
    walk = _walks(connection, shape, sort, values)
    # In date order, the claims without a date of the kind follow the dated ones (a window
    # selects dated claims only).
    undated_last = sort in (ClaimSort.date, ClaimSort.date_desc) and not shape.dated

    def fetch(after: list[Any] | None, size: int) -> Sequence[Row[Any]]:
        rows: list[Row[Any]] = []
        in_undated = undated_last and after is not None and after[0] == UNDATED
        if not in_undated:
            query = PageQuery(shape, sort, after is not None, walk, etags_only)
            bound = {**values, "page_size": size, **(_bound_key(sort, after) if after else {})}
            rows += statements.run(connection, query, query.build, bound).all()
        if undated_last and len(rows) < size:
            undated = UndatedQuery(shape, in_undated, etags_only)
            bound = {**values, "page_size": size - len(rows)}
            if in_undated:
                assert after is not None
                bound["after_tie"] = after[1]
            rows += statements.run(connection, undated, undated.build, bound).all()
        return rows

    rows, next_cursor = keyset_page(
        secret=secret,
        scope=criteria.scope(sort=sort.value),
        cursor=cursor,
        limit=limit,
        key=_KEY_PARTS[sort],
        fetch=fetch,
        key_of=lambda row: _key_of(sort, row),
    )
    return ClaimRows(rows, next_cursor)


def claim_listing(secret: str, params: ClaimListParams) -> Listing[ClaimCriteria]:
    """The claim list `params` ask for: its validator reads ids and ETags, its page the
    stored documents, both through `claim_rows` (so both hash the same rows)."""

    def rows(connection: Connection, criteria: ClaimCriteria, etags_only: bool) -> ClaimRows:
        return claim_rows(
            connection,
            secret,
            criteria,
            params.sort,
            params.limit,
            params.cursor,
            etags_only=etags_only,
        )

    def etag(criteria: ClaimCriteria, page: ClaimRows) -> str:
        scope = criteria.scope(sort=params.sort.value, limit=params.limit, cursor=params.cursor)
        return page_etag(scope, (row[1] for row in page.rows), page.next_cursor is not None)

    def validator(connection: Connection, criteria: ClaimCriteria) -> str:
        return etag(criteria, rows(connection, criteria, etags_only=True))

    def page(connection: Connection, criteria: ClaimCriteria) -> tuple[bytes, str]:
        found = rows(connection, criteria, etags_only=False)
        body = claim_page_body((row[2] for row in found.rows), found.next_cursor)
        return body, etag(criteria, found)

    return Listing(lambda connection: resolve_as_of(connection, params), validator, page)
