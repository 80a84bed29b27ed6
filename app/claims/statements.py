"""The SQL of the claim reads, built once per filter shape and compiled once per dialect.

A request pays for binding its values, not for building a statement and computing its
cache key: those cost more than the query itself (0.4 ms of a filtered list's 1.5 ms of
CPU, where its SQL took 0.2 ms). So a statement's form depends only on its `Shape` (which
filters are present, the sort, whether a cursor continues it), every value is a bound
parameter (IN lists expand at execution), and `run` keeps the compiled statement per
(dialect, shape). Nothing but `ClaimCriteria` reaches this module: names were resolved.
"""

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Connection,
    CursorResult,
    Date,
    DateTime,
    Executable,
    Float,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    exists,
    func,
    or_,
    select,
    tuple_,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import aliased
from sqlalchemy.sql.compiler import Compiled
from sqlmodel import col

from app.claims.criteria import ClaimCriteria
from app.claims.params import ANY_DATE_KIND
from app.claims.search import TextShape, match_condition, text_binds, text_shape
from app.models import (
    Claim,
    ClaimActor,
    ClaimActorDate,
    ClaimDate,
    ClaimInstrument,
    ClaimProgram,
    ClaimStatus,
    ClaimVersion,
    ClaimVersionActor,
    ClaimVersionDate,
    ClaimVersionInstrument,
    ClaimVersionProgram,
    ClaimVersionSource,
    DateKind,
    EvidenceSpan,
    Source,
)

# Compiled statements kept per (dialect, shape). Shapes are few in practice (a dashboard
# sends a handful), but each list filter may be present or not; the bound keeps memory flat.
COMPILED_STATEMENTS = 2048


def _expanding(name: str) -> Any:
    return bindparam(name, expanding=True)


@dataclass(frozen=True)
class Shape:
    """What the form of a claim query's SQL depends on: which filters are present (not
    their values, which are bound)."""

    published: bool
    predicates: bool
    modalities: bool
    min_confidence: bool
    actor_ids: bool
    actor_roles: bool
    programs: bool
    instrument_ids: bool
    provisions: bool
    source_ids: bool
    source_kinds: bool
    publishers: bool
    first_day: bool
    last_day: bool
    updated_since: bool
    text: TextShape | None
    any_kind: bool = False  # `date_kind=any`: every one of a claim's own dates
    valid_at: bool = False
    as_of: bool = False  # read the versions valid at a past revision (`ClaimTables`)

    @property
    def dated(self) -> bool:
        return self.first_day or self.last_day

    @property
    def dated_actor(self) -> bool:
        """ "Actor X in this period", answered from claim_actor_date (which is by kind and
        has no versions: as of a past revision, the actor and date conditions apply apart,
        which selects the same claims)."""
        return self.actor_ids and self.dated and not self.any_kind and not self.as_of

    @property
    def tables(self) -> "ClaimTables":
        return VERSIONS if self.as_of else CURRENT


def shape_of(criteria: ClaimCriteria) -> Shape:
    return Shape(
        published=ClaimStatus.published in criteria.statuses,
        predicates=bool(criteria.predicates),
        modalities=bool(criteria.modalities),
        min_confidence=criteria.min_confidence is not None,
        actor_ids=bool(criteria.actor_ids),
        actor_roles=bool(criteria.actor_roles),
        programs=bool(criteria.programs),
        instrument_ids=bool(criteria.instrument_ids),
        provisions=bool(criteria.provisions),
        source_ids=bool(criteria.source_ids),
        source_kinds=bool(criteria.source_kinds),
        publishers=bool(criteria.publishers),
        first_day=criteria.first_day is not None,
        last_day=criteria.last_day is not None,
        updated_since=criteria.updated_since is not None,
        text=text_shape(criteria.text) if criteria.text else None,
        any_kind=criteria.date_kind == ANY_DATE_KIND,
        valid_at=criteria.valid_day is not None,
        as_of=criteria.as_of_seq is not None,
    )


def bind_values(dialect: str, criteria: ClaimCriteria) -> dict[str, Any]:
    """The values of `criteria`, by the names the statements of its shape bind."""
    values: dict[str, Any] = {
        "statuses": list(criteria.statuses),
        "predicates": list(criteria.predicates),
        "modalities": list(criteria.modalities),
        "min_confidence": criteria.min_confidence,
        "actor_ids": list(criteria.actor_ids),
        "actor_roles": list(criteria.actor_roles),
        "programs": list(criteria.programs),
        "instrument_ids": list(criteria.instrument_ids),
        "provisions": list(criteria.provisions),
        "source_ids": list(criteria.source_ids),
        "source_kinds": list(criteria.source_kinds),
        "publishers": list(criteria.publishers),
        "date_kind": criteria.date_kind,
        "first_day": criteria.first_day,
        "last_day": criteria.last_day,
        "updated_since": criteria.updated_since,
        "valid_day": criteria.valid_day,
        "as_of_seq": criteria.as_of_seq,
    }
    if criteria.text is not None:
        values.update(text_binds(dialect, criteria.text))
    return values


def run(
    connection: Connection,
    key: Hashable,
    build: Callable[[str], Executable],
    values: Mapping[str, Any],
) -> CursorResult[Any]:
    """Execute the statement `build(dialect name)` makes for `key` (which must determine
    it), compiled once per dialect; `values` are its bound parameters."""
    compiled = _compiled(connection.dialect, key, build)
    result: CursorResult[Any] = connection.execute(compiled, dict(values))  # type: ignore[call-overload]
    return result


def run_plain(
    connection: Connection,
    key: Hashable,
    build: Callable[[str], Executable],
    values: Mapping[str, Any],
) -> CursorResult[Any]:
    """`run` without the compiled-statement cache: what the tests compare it with."""
    del key
    return connection.execute(build(connection.dialect.name), dict(values))


_COMPILED: dict[tuple[Any, ...], Compiled] = {}


def _compiled(dialect: Dialect, key: Hashable, build: Callable[[str], Executable]) -> Compiled:
    # Keyed by the dialect's class and server version, not the instance: every engine of
    # the same database kind compiles the same text (tests make an engine per test).
    cache_key = (type(dialect), dialect.server_version_info, key)
    compiled = _COMPILED.get(cache_key)
    if compiled is None:
        if len(_COMPILED) >= COMPILED_STATEMENTS:
            _COMPILED.clear()  # more shapes than the bound is rare: start over
        compiled = build(dialect.name).compile(dialect=dialect)  # type: ignore[attr-defined]
        _COMPILED[cache_key] = compiled
    return compiled


@dataclass(frozen=True)
class ClaimTables:
    """The tables a claim query reads: the current claims, or every version of them
    (app/models/claim_version.py), whose rows have the same columns. `key` names the
    column of `claim` that its child rows point at by their column `owner`."""

    claim: Any
    key: str
    owner: str
    actor: Any
    date: Any
    program: Any
    instrument: Any
    source: Any  # a row per cited source: its column `source_id`
    placed: Any  # aliases of `date`, for `placing_date`
    earlier: Any

    def claim_key(self) -> Any:
        return col(getattr(self.claim, self.key))

    def owner_of(self, child: Any) -> Any:
        return col(getattr(child, self.owner))


CURRENT = ClaimTables(
    claim=Claim,
    key="id",
    owner="claim_id",
    actor=ClaimActor,
    date=ClaimDate,
    program=ClaimProgram,
    instrument=ClaimInstrument,
    source=EvidenceSpan,
    # Aliases are built once: building one costs more than the query it serves (~150 µs).
    placed=aliased(ClaimDate, name="placed"),
    earlier=aliased(ClaimDate, name="earlier"),
)
VERSIONS = ClaimTables(
    claim=ClaimVersion,
    key="from_seq",
    owner="from_seq",
    actor=ClaimVersionActor,
    date=ClaimVersionDate,
    program=ClaimVersionProgram,
    instrument=ClaimVersionInstrument,
    source=ClaimVersionSource,
    placed=aliased(ClaimVersionDate, name="placed"),
    earlier=aliased(ClaimVersionDate, name="earlier"),
)


def valid_as_of() -> ColumnElement[bool]:
    """The versions valid at revision `as_of_seq`: written at or before it, not replaced by it."""
    seq = bindparam("as_of_seq", type_=Integer)
    return and_(
        col(ClaimVersion.from_seq) <= seq,
        or_(col(ClaimVersion.to_seq).is_(None), col(ClaimVersion.to_seq) > seq),
    )


def usually(dialect: str, condition: ColumnElement[bool]) -> ColumnElement[bool]:
    """Tell SQLite's planner (which has no statistics unless ANALYZE ran) that `condition`
    holds for most rows, so it does not pick an index for it over a better one."""
    if dialect == "sqlite":
        return func.likely(condition, type_=Boolean)
    return condition


def conditions(
    dialect: str, shape: Shape, *, with_text: bool = True, paired: bool = True
) -> list[ColumnElement[bool]]:
    """The filters as conditions on `claim` (or, `as_of`, on its versions valid then):
    semi-joins on the indexed child tables, so each narrows by its own index. Without
    `paired`, the (actor, period) pairing is left to the caller, which drives the query
    from claim_actor_date."""
    t = shape.tables
    claim_id = t.claim_key()
    visible: ColumnElement[bool] = col(t.claim.status).in_(_expanding("statuses"))
    if shape.published:
        # Most claims are published: without this hint SQLite would fetch every visible
        # claim through the status index and sort them all for each page, instead of
        # walking the index of the page order.
        visible = usually(dialect, visible)
    where: list[ColumnElement[bool]] = [visible]
    if shape.as_of:
        where.append(valid_as_of())
    if shape.predicates:
        where.append(col(t.claim.predicate).in_(_expanding("predicates")))
    if shape.modalities:
        where.append(col(t.claim.modality).in_(_expanding("modalities")))
    if shape.min_confidence:
        where.append(col(t.claim.confidence) >= bindparam("min_confidence", type_=Float))
    if shape.actor_roles or (shape.actor_ids and not shape.dated_actor):
        linked = select(t.owner_of(t.actor))
        if shape.actor_ids:
            linked = linked.where(col(t.actor.actor_id).in_(_expanding("actor_ids")))
        if shape.actor_roles:
            linked = linked.where(col(t.actor.role).in_(_expanding("actor_roles")))
        where.append(claim_id.in_(linked))
    if shape.programs:
        where.append(
            claim_id.in_(
                select(t.owner_of(t.program)).where(
                    col(t.program.program).in_(_expanding("programs"))
                )
            )
        )
    if shape.instrument_ids or shape.provisions:
        cited = select(t.owner_of(t.instrument))
        if shape.instrument_ids:
            cited = cited.where(col(t.instrument.instrument_id).in_(_expanding("instrument_ids")))
        if shape.provisions:
            provision = func.lower(col(t.instrument.provision))
            cited = cited.where(provision.in_(_expanding("provisions")))
        where.append(claim_id.in_(cited))
    if shape.source_ids or shape.source_kinds or shape.publishers:
        # One cited source has to meet all three: a Reuters news article, not a Reuters
        # list and someone's news article. (Its kind and publisher as they are now.)
        spans = select(t.owner_of(t.source))
        if shape.source_ids:
            spans = spans.where(col(t.source.source_id).in_(_expanding("source_ids")))
        if shape.source_kinds or shape.publishers:
            spans = spans.join(Source, col(Source.id) == col(t.source.source_id))
        if shape.source_kinds:
            spans = spans.where(col(Source.kind).in_(_expanding("source_kinds")))
        if shape.publishers:
            publisher = func.lower(col(Source.publisher))
            spans = spans.where(publisher.in_(_expanding("publishers")))
        where.append(claim_id.in_(spans))
    if shape.dated_actor and paired:
        # One range scan of (actor, kind, earliest) answers "actor X in this period"
        # (and makes the plain actor condition redundant, unless a role narrows it).
        where.append(claim_id.in_(in_period(dialect, shape)))
    elif shape.dated and not shape.dated_actor:
        dated = select(t.owner_of(t.date)).where(*date_overlap(dialect, shape, t.date))
        where.append(claim_id.in_(dated))
    if shape.valid_at:
        where.append(claim_id.in_(covering(t)))
    if shape.updated_since:
        where.append(
            col(t.claim.updated_at) >= bindparam("updated_since", type_=DateTime(timezone=True))
        )
    if shape.text and with_text:
        where.append(match_condition(dialect, shape.text))
    return where


def covering(t: ClaimTables) -> Select[Any]:
    """The claims whose event-time span (their `occurred` rows, the derived one included:
    app/claims/event_span.py) covers the day `valid_day`."""
    day = bindparam("valid_day", type_=Date)
    return select(t.owner_of(t.date)).where(
        col(t.date.kind) == DateKind.occurred.value,
        col(t.date.earliest) <= day,
        col(t.date.latest) >= day,
    )


def in_period(dialect: str, shape: Shape) -> Select[Any]:
    """The ids of the claims naming the criteria's actors with a date in its period."""
    return select(col(ClaimActorDate.claim_id)).where(
        col(ClaimActorDate.actor_id).in_(_expanding("actor_ids")),
        *date_overlap(dialect, shape, ClaimActorDate),
    )


def date_overlap(dialect: str, shape: Shape, dated: Any = ClaimDate) -> list[ColumnElement[bool]]:
    """Dates of the chosen kind whose earliest–latest range overlaps the asked range.

    (A lower bound on `earliest`, a year before `first_day`, used to bound SQLite's scan of
    the (kind, earliest) index: it held while no date spanned more than a year. Intervals
    and event spans, ongoing ones above all, span any length, so it went.)"""
    where: list[ColumnElement[bool]]
    if shape.any_kind:
        assert dated is not ClaimActorDate, "claim_actor_date is read by kind"
        where = [~col(dated.derived)]
    else:
        where = [col(dated.kind) == bindparam("date_kind", type_=String)]
    if shape.first_day:
        where.append(col(dated.latest) >= bindparam("first_day", type_=Date))
    if shape.last_day:
        where.append(col(dated.earliest) <= bindparam("last_day", type_=Date))
    return where


def placing_date(
    dialect: str, kinds: ColumnElement[Any], t: ClaimTables = CURRENT
) -> tuple[Any, ColumnElement[bool]]:
    """The date row that places a claim in date order: its earliest date of `kinds` (an
    IN list), by earliest day, then position, and the condition that keeps only that row."""
    placed, earlier = t.placed, t.earlier
    # The claim's own few dates, found by its primary key: SQLite would otherwise scan the
    # (kind, earliest) index for every earlier date of anyone, for each row of the page.
    has_earlier = exists().where(
        t.owner_of(earlier) == t.owner_of(placed),
        usually(dialect, col(earlier.kind).in_(kinds)),
        usually(
            dialect,
            tuple_(col(earlier.earliest), col(earlier.position))
            < tuple_(col(placed.earliest), col(placed.position)),
        ),
    )
    return placed, and_(col(placed.kind).in_(kinds), ~has_earlier)


def after_key(key: Any, tie: Any, descending: bool) -> ColumnElement[bool]:
    """Rows after the cursor's (`after_key`, `after_tie`) in order, written so the first
    condition is an index range."""
    value, tie_value = bindparam("after_key", type_=key.type), bindparam("after_tie", type_=String)
    if descending:
        return and_(key <= value, or_(key < value, tie < tie_value))
    return and_(key >= value, or_(key > value, tie > tie_value))


PAGE_SIZE = bindparam("page_size", type_=Integer)


def limited(statement: Select[Any]) -> Select[Any]:
    return statement.limit(PAGE_SIZE)
