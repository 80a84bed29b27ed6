"""Facet counts of the claims a filter selects: one statement, whatever the filters.

The filters are evaluated once per request: the claims they select, with their predicate,
modality and status, are materialized as the CTE `matched`, and every grouping (those three
terms, programs, the top actors, years) reads that set instead of re-running the filters.
The groupings come back as one UNION ALL, each row tagged with its facet.

Every count is of distinct claims: a claim citing two programs counts once under each, a
claim with dates of the chosen kind in two years counts once in each year (only its dates
that overlap `date_from`/`date_to` when those are given).
"""

from collections import Counter
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    CTE,
    CompoundSelect,
    Connection,
    Date,
    Integer,
    Select,
    String,
    bindparam,
    case,
    cast,
    desc,
    extract,
    func,
    literal,
    null,
    select,
    union_all,
)
from sqlmodel import col

from app.claims import statements
from app.claims.criteria import ClaimCriteria, resolve
from app.claims.params import ClaimFilterParams
from app.claims.schemas import ActorCount, ClaimFacets, TermCount, YearCount
from app.claims.statements import Shape, conditions, date_overlap, shape_of, usually
from app.http import digest_etag
from app.listings import Listing
from app.models import Actor, Claim, ClaimActor, ClaimDate, ClaimProgram
from app.revisions.service import current_sequence

TOP_ACTORS = 20
TERMS = ("predicate", "modality", "status")  # columns of `claim`, counted from `matched`


def _ranked(counts: Counter[str]) -> list[TermCount]:
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [TermCount(value=value, count=count) for value, count in ordered]


def _matched(dialect: str, shape: Shape) -> CTE:
    """The selected claims, found once: MATERIALIZED, so no grouping re-runs the filters."""
    return (
        select(col(Claim.id), col(Claim.predicate), col(Claim.modality), col(Claim.status))
        .where(*conditions(dialect, shape))
        .cte("matched")
        .prefix_with("MATERIALIZED")
    )


def _tagged(facet: str, value: Any, name: Any, claims: Any) -> Select[Any]:
    """A grouping's columns, in the shape the UNION ALL needs: (facet, value, name, claims)."""
    return select(
        literal(facet, String).label("facet"),
        value.label("value"),
        name.label("name"),
        claims.label("claims"),
    )


def _by_term(matched: CTE, term: str) -> Select[Any]:
    column = matched.c[term]
    return _tagged(term, column, null(), func.count()).group_by(column)


ChildTable = type[ClaimProgram] | type[ClaimActor] | type[ClaimDate]


def _of_matched(
    dialect: str, matched: CTE, statement: Select[Any], child: ChildTable
) -> Select[Any]:
    """`statement`, over a table of claims' children, kept to the rows of matched claims."""
    claim_id = col(child.claim_id)
    if dialect == "sqlite":
        # A semi-join, which SQLite answers by looking the rows up claim by claim. Joined,
        # it would rather walk the child's whole index in group order: up to twice as slow
        # at 100k claims.
        return statement.where(claim_id.in_(select(matched.c.id)))
    # A join: PostgreSQL has no statistics on a CTE, and under IN assumes it holds 200
    # distinct ids, so it would loop over index lookups even when every claim matched
    # (more than twice as slow as a hash join, at 100k claims).
    return statement.join_from(matched, child, claim_id == matched.c.id)


def _by_program(dialect: str, matched: CTE) -> Select[Any]:
    program = col(ClaimProgram.program)
    counted = _tagged("program", program, null(), func.count())
    return _of_matched(dialect, matched, counted, ClaimProgram).group_by(program)


def _top_actors(dialect: str, matched: CTE) -> Select[Any]:
    """The actors of most claims; their names are read for those few only."""
    actor_id = col(ClaimActor.actor_id)
    claims = func.count(col(ClaimActor.claim_id).distinct())
    counted = select(actor_id, claims.label("claims"))
    top = (
        _of_matched(dialect, matched, counted, ClaimActor)
        .group_by(actor_id)
        .order_by(claims.desc(), actor_id)
        .limit(TOP_ACTORS)
        .subquery("top_actors")
    )
    return _tagged("actor", top.c.actor_id, col(Actor.name), top.c.claims).join_from(
        top, Actor, col(Actor.id) == top.c.actor_id
    )


def _year(day: Any) -> Any:
    return cast(extract("year", day), Integer)


def _least(one: Any, other: Any) -> Any:
    # LEAST on PostgreSQL is MIN on SQLite (an aggregate there with one argument): CASE is both.
    return case((one <= other, one), else_=other)


def _greatest(one: Any, other: Any) -> Any:
    return case((one >= other, one), else_=other)


def _by_year(dialect: str, matched: CTE, shape: Shape) -> Select[Any]:
    """Each year the matched claims' dates overlap, with the distinct claims overlapping it.

    A date within one year (every prefix) counts in that year, grouped as it is read. A
    longer one (an interval, an event span) counts in each year it overlaps within the
    window, an ongoing one up to the current year without `date_to`: those few are joined
    to the years they reach, generated by a recursive CTE over their range."""
    first, last = col(ClaimDate.earliest), col(ClaimDate.latest)
    # The matched claims' own dates, found by claim id: on SQLite the date conditions would
    # otherwise drive a second scan of the whole date range the filters already scanned.
    dated = [usually(dialect, condition) for condition in date_overlap(dialect, shape)]
    within = select(col(ClaimDate.claim_id).label("claim_id"), _year(first).label("year"))
    within = _of_matched(dialect, matched, within, ClaimDate).where(
        *dated, _year(first) == _year(last)
    )
    reach_from = _year(first)
    if shape.first_day:
        reach_from = _greatest(reach_from, bindparam("first_year", type_=Integer))
    reach_to: Any = _year(last)
    if shape.last_day:
        reach_to = _least(reach_to, bindparam("last_year", type_=Integer))
    else:
        # An ongoing span reaches the current year (or the window's start, if later).
        ongoing = last == bindparam("ongoing", type_=Date)
        reach_to = case((ongoing, _greatest(reach_from, bindparam("this_year"))), else_=reach_to)
    spanning = (
        _of_matched(
            dialect,
            matched,
            select(
                col(ClaimDate.claim_id).label("claim_id"),
                reach_from.label("year_from"),
                reach_to.label("year_to"),
            ),
            ClaimDate,
        )
        .where(*dated, _year(first) != _year(last))
        .cte("spanning")
    )
    years = select(func.min(spanning.c.year_from).label("year")).cte("years", recursive=True)
    years = years.union_all(
        select((years.c.year + 1).label("year")).where(
            years.c.year < select(func.max(spanning.c.year_to)).scalar_subquery()
        )
    )
    reached = select(spanning.c.claim_id, years.c.year).join_from(
        spanning,
        years,
        (years.c.year >= spanning.c.year_from) & (years.c.year <= spanning.c.year_to),
    )
    pairs = union_all(within, reached).subquery("dated_years")
    year = cast(pairs.c.year, String)
    counted = _tagged("year", year, null(), func.count(pairs.c.claim_id.distinct()))
    return counted.group_by(pairs.c.year)


def _facets_statement(dialect: str, shape: Shape) -> CompoundSelect[Any]:
    matched = _matched(dialect, shape)
    groupings = union_all(
        *(_by_term(matched, term) for term in TERMS),
        _by_program(dialect, matched),
        _top_actors(dialect, matched),
        _by_year(dialect, matched, shape),
    )
    # In the order the top actors were picked in (claims, then id, in the database's
    # collation), which the actor facet keeps; the other facets are ordered below.
    return groupings.order_by(desc("claims"), "value")


def count_facets(connection: Connection, criteria: ClaimCriteria) -> ClaimFacets:
    """The facets of the claims `criteria` select, in one statement."""
    shape = shape_of(criteria)
    values = statements.bind_values(connection.dialect.name, criteria)
    # The years a long span reaches: from `date_from`'s, up to `date_to`'s; an ongoing
    # span without `date_to` up to the current year.
    values["first_year"] = criteria.first_day.year if criteria.first_day else None
    values["last_year"] = criteria.last_day.year if criteria.last_day else None
    values["this_year"] = datetime.now(UTC).year
    values["ongoing"] = date.max
    rows = statements.run(
        connection,
        ("facets", shape),
        lambda dialect: _facets_statement(dialect, shape),
        values,
    ).all()
    counts: dict[str, Counter[str]] = {facet: Counter() for facet in (*TERMS, "program", "year")}
    actors: list[ActorCount] = []
    for facet, value, name, claims in rows:
        if facet == "actor":
            actors.append(ActorCount(actor_id=value, name=name, count=claims))
        else:
            counts[facet][value] = claims
    return ClaimFacets(
        total=sum(counts["status"].values()),
        date_kind=criteria.date_kind,
        predicate=_ranked(counts["predicate"]),
        modality=_ranked(counts["modality"]),
        status=_ranked(counts["status"]),
        program=_ranked(counts["program"]),
        actor=actors,
        year=[YearCount(year=int(year), count=n) for year, n in sorted(counts["year"].items())],
    )


def facet_listing(params: ClaimFilterParams) -> Listing[ClaimCriteria]:
    """The facets `params` ask for. They count every claim the filters select, and what
    they select depends on claims, actors (names, merges), sources (kinds, publishers) and
    instruments (symbols): the validator hashes the query and the last revision sequence.
    (A validator of the last revision of those four kinds only would survive vocabulary
    writes too, but PostgreSQL plans a per-kind MAX(seq) as a backward walk of the whole
    log when that kind was last written long ago: 8 ms at 10k claims.)"""

    def etag(connection: Connection, criteria: ClaimCriteria) -> str:
        # The year too: an ongoing span counts up to the current year.
        sequence = current_sequence(connection)
        return digest_etag("facets", criteria.scope(), sequence, datetime.now(UTC).year)

    def page(connection: Connection, criteria: ClaimCriteria) -> tuple[bytes, str]:
        body = count_facets(connection, criteria).model_dump_json().encode()
        return body, etag(connection, criteria)

    return Listing(lambda connection: resolve(connection, params), etag, page)
