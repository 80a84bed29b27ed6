"""Claim reads: set-based SQL over the indexed tables, answered with stored documents.

A page is one statement that returns ids, stored documents and the sort key, whatever the
filters; the body is those documents joined as bytes, never re-serialised. Pages are
keyset-paginated on (sort key, id): a cursor carries the last row's key, so rows inserted
while a client walks the pages never shift it, and every claim that existed when the walk
began is served exactly once, in order (for every sort but `relevance`, whose SQLite score
depends on the whole corpus).
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any

import orjson
from sqlalchemy import (
    Boolean,
    ColumnElement,
    Connection,
    Select,
    and_,
    bindparam,
    exists,
    func,
    or_,
    select,
    tuple_,
)
from sqlalchemy.orm import aliased
from sqlmodel import col

from app.claims.filters import ClaimFilters
from app.claims.search import match_condition, ranked_source, relevance_condition
from app.db import fetch_first
from app.errors import BadRequest, InvalidInput
from app.models import (
    Claim,
    ClaimActor,
    ClaimActorDate,
    ClaimDate,
    ClaimInstrument,
    ClaimProgram,
    ClaimStatus,
    EvidenceSpan,
    Source,
)
from app.pagination import decode_cursor, encode_cursor


class ClaimSort(StrEnum):
    id = "id"
    date = "date"
    date_desc = "-date"
    updated_at = "updated_at"
    updated_at_desc = "-updated_at"
    relevance = "relevance"


_DOCUMENT_BY_ID = select(col(Claim.document), col(Claim.etag)).where(
    col(Claim.id) == bindparam("claim_id")
)


def fetch_document(connection: Connection, claim_id: str) -> tuple[str, str] | None:
    """The claim's stored document and ETag: the lookup every dashboard makes most."""
    row = fetch_first(connection, _DOCUMENT_BY_ID, {"claim_id": claim_id})
    return (row[0], row[1]) if row else None


def _lowered(values: Sequence[str]) -> list[ColumnElement[str]]:
    return [func.lower(value) for value in values]


# Aliases are built once: building one costs more than the query it serves (~150 µs).
_PAGE = aliased(Claim, name="page")
_PLACED = aliased(ClaimDate, name="placed")
_EARLIER = aliased(ClaimDate, name="earlier")


# Below this many (actor, date) rows in the period, SQLite is faster collecting them all and
# reading them in claim order than walking the actor's rows in claim order until a page is
# found (measured at 100k claims: even at about 400; at 1M claims a sparse walk costs ten
# times more, a dense collection too).
FEW_IN_PERIOD = 500


def walks_actor_dates(filters: ClaimFilters) -> bool:
    """True for "actor X in this period", whose pages in claim order may walk claim_actor_date."""
    return bool(filters.actor) and bool(filters.date_from or filters.date_to)


def _walks(connection: Connection, filters: ClaimFilters, sort: ClaimSort) -> bool:
    """Whether a page walks the actor's rows in claim order (see `_actor_period_page`).

    PostgreSQL chooses between the walk and the range scan itself, from its statistics.
    SQLite has none, so the period's rows are counted first, up to FEW_IN_PERIOD (one short
    range scan): when there are fewer, collecting them is cheaper than walking."""
    if sort != ClaimSort.id or not walks_actor_dates(filters):
        return False
    dialect = connection.dialect.name
    if dialect != "sqlite":
        return True
    # An estimate is enough to choose: the rows that start in the period. (Counting those
    # that merely overlap it would also scan the year before, which at 1M claims made the
    # count cost more than the page.)
    earliest = col(ClaimActorDate.earliest)
    starting = [earliest >= filters.date_from] if filters.date_from else []
    if filters.date_to:
        starting.append(earliest <= filters.date_to)
    in_period = (
        select(col(ClaimActorDate.claim_id))
        .where(
            col(ClaimActorDate.actor_id).in_(filters.actor),
            col(ClaimActorDate.kind) == filters.date_kind,
            *starting,
        )
        .limit(FEW_IN_PERIOD)
        .subquery()
    )
    counted = connection.execute(select(func.count()).select_from(in_period)).scalar_one()
    return bool(counted >= FEW_IN_PERIOD)


def conditions(
    dialect: str, filters: ClaimFilters, *, with_text: bool = True, paired: bool = True
) -> list[ColumnElement[bool]]:
    """The filters (resolved) as conditions on `claim`: semi-joins on the indexed child
    tables, so each narrows by its own index. Without `paired`, the (actor, period) pairing
    is left to the caller, which drives the query from claim_actor_date."""
    claim_id = col(Claim.id)
    visible: ColumnElement[bool] = col(Claim.status).in_(filters.status)
    if ClaimStatus.published in filters.status:
        # Most claims are published: without this hint SQLite would fetch every visible
        # claim through the status index and sort them all for each page, instead of
        # walking the index of the page order.
        visible = usually(dialect, visible)
    where: list[ColumnElement[bool]] = [visible]
    if filters.predicate:
        where.append(col(Claim.predicate).in_(filters.predicate))
    if filters.modality:
        where.append(col(Claim.modality).in_(filters.modality))
    if filters.min_confidence is not None:
        where.append(col(Claim.confidence) >= filters.min_confidence)
    dated_actor = walks_actor_dates(filters)
    if filters.actor_role or (filters.actor and not dated_actor):
        linked = select(col(ClaimActor.claim_id))
        if filters.actor:
            linked = linked.where(col(ClaimActor.actor_id).in_(filters.actor))
        if filters.actor_role:
            linked = linked.where(col(ClaimActor.role).in_(filters.actor_role))
        where.append(claim_id.in_(linked))
    if filters.program:
        where.append(
            claim_id.in_(
                select(col(ClaimProgram.claim_id)).where(
                    col(ClaimProgram.program).in_(filters.program)
                )
            )
        )
    if filters.instrument or filters.provision:
        cited = select(col(ClaimInstrument.claim_id))
        if filters.instrument:
            cited = cited.where(col(ClaimInstrument.instrument_id).in_(filters.instrument))
        if filters.provision:
            provision = func.lower(col(ClaimInstrument.provision))
            cited = cited.where(provision.in_(_lowered(filters.provision)))
        where.append(claim_id.in_(cited))
    if filters.source or filters.source_kind or filters.publisher:
        # One cited source has to meet all three: a Reuters news article, not a Reuters
        # list and someone's news article.
        spans = select(col(EvidenceSpan.claim_id))
        if filters.source:
            spans = spans.where(col(EvidenceSpan.source_id).in_(filters.source))
        if filters.source_kind or filters.publisher:
            spans = spans.join(Source, col(Source.id) == col(EvidenceSpan.source_id))
        if filters.source_kind:
            spans = spans.where(col(Source.kind).in_(filters.source_kind))
        if filters.publisher:
            publisher = func.lower(col(Source.publisher))
            spans = spans.where(publisher.in_(_lowered(filters.publisher)))
        where.append(claim_id.in_(spans))
    if dated_actor and paired:
        # One range scan of (actor, kind, earliest) answers "actor X in this period"
        # (and makes the plain actor condition redundant, unless a role narrows it).
        where.append(claim_id.in_(_in_period(dialect, filters)))
    elif (filters.date_from or filters.date_to) and not dated_actor:
        dated = select(col(ClaimDate.claim_id)).where(*date_overlap(dialect, filters, ClaimDate))
        where.append(claim_id.in_(dated))
    if filters.updated_since:
        where.append(col(Claim.updated_at) >= filters.updated_since)
    if filters.q and with_text:
        where.append(match_condition(dialect, filters.q))
    return where


def _in_period(dialect: str, filters: ClaimFilters) -> Select[Any]:
    """The ids of the claims naming the actors of `filters` with a date in its period."""
    return select(col(ClaimActorDate.claim_id)).where(
        col(ClaimActorDate.actor_id).in_(filters.actor),
        *date_overlap(dialect, filters, ClaimActorDate),
    )


def usually(dialect: str, condition: ColumnElement[bool]) -> ColumnElement[bool]:
    """Tell SQLite's planner (which has no statistics unless ANALYZE ran) that `condition`
    holds for most rows, so it does not pick an index for it over a better one."""
    if dialect == "sqlite":
        return func.likely(condition, type_=Boolean)
    return condition


# The longest range a date value spans: a year-only prefix.
LONGEST_SPAN = timedelta(days=366)


def date_overlap(
    dialect: str, filters: ClaimFilters, dated: type[ClaimDate] | type[ClaimActorDate] = ClaimDate
) -> list[ColumnElement[bool]]:
    """Dates of the chosen kind whose earliest–latest range overlaps the asked range."""
    where = [col(dated.kind) == filters.date_kind]
    if filters.date_from:
        where.append(col(dated.latest) >= filters.date_from)
        if dialect == "sqlite":
            # Implied by the line above (no value spans more than a year), and it bounds the
            # scan of the (kind, earliest) index from below: SQLite, without statistics,
            # would otherwise read every date of the kind up to `date_to`. PostgreSQL
            # plans it better without (a generic plan with it was ten times slower).
            floor = max(filters.date_from, date.min + LONGEST_SPAN) - LONGEST_SPAN
            where.append(col(dated.earliest) >= floor)
    if filters.date_to:
        where.append(col(dated.earliest) <= filters.date_to)
    return where


def placing_date(
    dialect: str, kinds: Sequence[str], *, walk_kinds: bool = True
) -> tuple[Any, ColumnElement[bool]]:
    """The date row that places a claim in date order: its earliest date of `kinds` (by
    earliest day, then position), and the condition that keeps only that row. With
    `walk_kinds` false the rows are found from their claims (an actor's, say) rather than
    by walking the (kind, earliest) index."""
    placed, earlier = _PLACED, _EARLIER
    # The claim's own few dates, found by its primary key: SQLite would otherwise scan the
    # (kind, earliest) index for every earlier date of anyone, for each row of the page.
    has_earlier = exists().where(
        col(earlier.claim_id) == col(placed.claim_id),
        usually(dialect, col(earlier.kind).in_(kinds)),
        usually(
            dialect,
            tuple_(col(earlier.earliest), col(earlier.position))
            < tuple_(col(placed.earliest), col(placed.position)),
        ),
    )
    of_kind = col(placed.kind).in_(kinds)
    return placed, and_(of_kind if walk_kinds else usually(dialect, of_kind), ~has_earlier)


def after_key(key: Any, tie: Any, after: tuple[Any, Any], descending: bool) -> ColumnElement[bool]:
    """Rows after (key, tie) in order, written so the first condition is an index range."""
    value, tie_value = after
    if descending:
        return and_(key <= value, or_(key < value, tie < tie_value))
    return and_(key >= value, or_(key > value, tie > tie_value))


def _as_utc(value: datetime) -> datetime:
    # SQLite hands timestamps back without their zone; they are stored in UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _actor_period_page(
    dialect: str, filters: ClaimFilters, after: list[Any] | None, size: int
) -> Select[Any]:
    """A page in claim order of "actor X in this period": the ids come from a walk of the
    actor's claim_actor_date rows in claim order that stops after `size` matches (however
    many claims the period holds), then their documents are read by id."""
    paired = (
        _in_period(dialect, filters)
        .join(Claim, col(Claim.id) == col(ClaimActorDate.claim_id))
        .where(*conditions(dialect, filters, paired=False))
        .distinct()  # a claim has a row per date of the kind
        .order_by(col(ClaimActorDate.claim_id))
        .limit(size)
    )
    if after:
        paired = paired.where(col(ClaimActorDate.claim_id) > after[0])
    page = _PAGE
    return (
        select(col(page.id), col(page.document), col(page.id))
        .where(col(page.id).in_(paired))
        .order_by(col(page.id))
    )


def _page_statement(
    dialect: str,
    filters: ClaimFilters,
    sort: ClaimSort,
    after: list[Any] | None,
    size: int,
    *,
    walk: bool = False,
) -> Select[Any]:
    """Select (id, document, sort key) in page order, after the cursor's row: `size` rows
    (with `walk`, by walking the actor's rows of the period in claim order)."""
    descending = sort in (ClaimSort.date_desc, ClaimSort.updated_at_desc)
    key: Any
    tie: Any
    statement: Select[Any]
    if sort == ClaimSort.id:
        if walk:
            return _actor_period_page(dialect, filters, after, size)
        statement = select(col(Claim.id), col(Claim.document), col(Claim.id))
        statement = statement.where(*conditions(dialect, filters)).order_by(col(Claim.id))
        if after:
            statement = statement.where(col(Claim.id) > after[0])
        return statement.limit(size)
    if sort in (ClaimSort.updated_at, ClaimSort.updated_at_desc):
        key, tie = col(Claim.updated_at), col(Claim.id)
        statement = select(col(Claim.id), col(Claim.document), key)
        statement = statement.where(*conditions(dialect, filters))
        if after:
            since = _as_utc(datetime.fromisoformat(after[0]))
            statement = statement.where(after_key(key, tie, (since, after[1]), descending))
    elif sort in (ClaimSort.date, ClaimSort.date_desc):
        placed, is_placing = placing_date(dialect, [filters.date_kind])
        key, tie = col(placed.earliest), col(placed.claim_id)
        statement = (
            select(col(Claim.id), col(Claim.document), key)
            .select_from(placed)
            .join(Claim, col(Claim.id) == tie)
            .where(is_placing, *conditions(dialect, filters))
        )
        if after:
            day = date.fromisoformat(after[0])
            statement = statement.where(after_key(key, tie, (day, after[1]), descending))
    else:
        assert filters.q is not None
        source, score = ranked_source(dialect, filters.q)
        ranked = (
            select(col(Claim.id), col(Claim.document), score.label("score"))
            .select_from(source)
            .where(relevance_condition(dialect, filters.q))
            .where(*conditions(dialect, filters, with_text=False))
            .subquery("ranked")
        )
        key, tie = ranked.c.score, ranked.c.id
        statement = select(ranked.c.id, ranked.c.document, key)
        if after:
            statement = statement.where(after_key(key, tie, (float(after[0]), after[1]), False))
    if descending:
        return statement.order_by(key.desc(), tie.desc()).limit(size)
    return statement.order_by(key, tie).limit(size)


def _key_of(sort: ClaimSort, claim_id: str, key: Any) -> list[Any]:
    if sort == ClaimSort.id:
        return [claim_id]
    if isinstance(key, datetime):
        return [_as_utc(key).isoformat(), claim_id]
    if isinstance(key, date):
        return [key.isoformat(), claim_id]
    return [float(key), claim_id]


def _decode(secret: str, scope: str, cursor: str, sort: ClaimSort) -> list[Any]:
    key = decode_cursor(secret, scope, cursor)
    width = 1 if sort == ClaimSort.id else 2
    if len(key) != width or not isinstance(key[-1], str):
        raise BadRequest("The cursor is not valid for this query.", errors=[])
    return key


def check_sort(filters: ClaimFilters, sort: ClaimSort) -> None:
    if sort == ClaimSort.relevance and filters.q is None:
        raise InvalidInput.parameter("sort", "sort=relevance needs a full-text query `q`.")


def list_documents(
    connection: Connection,
    secret: str,
    filters: ClaimFilters,
    sort: ClaimSort,
    limit: int,
    cursor: str | None,
) -> bytes:
    """A page of claims as the JSON body of a `ClaimPage`, built from stored documents."""
    check_sort(filters, sort)
    scope = filters.scope(sort=sort.value)
    after = _decode(secret, scope, cursor, sort) if cursor else None
    walk = _walks(connection, filters, sort)
    statement = _page_statement(connection.dialect.name, filters, sort, after, limit + 1, walk=walk)
    rows = connection.execute(statement).all()
    page = rows[:limit]
    next_cursor = (
        encode_cursor(secret, scope, _key_of(sort, page[-1][0], page[-1][2]))
        if len(rows) > limit
        else None
    )
    documents = b",".join(document.encode() for _, document, _ in page)
    return b'{"data":[' + documents + b'],"next_cursor":' + orjson.dumps(next_cursor) + b"}"
