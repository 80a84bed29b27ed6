"""Facet counts of the claims a filter selects: four grouped statements, whatever the data.

Every count is of distinct claims: a claim citing two programs counts once under each, a
claim with dates of the chosen kind in two years counts once in each year (only its dates
that overlap `date_from`/`date_to` when those are given).
"""

from collections import Counter

from sqlalchemy import Connection, func, select
from sqlmodel import col

from app.claims.filters import ClaimFilters
from app.claims.queries import conditions, date_overlap
from app.claims.schemas import ActorCount, ClaimFacets, TermCount, YearCount
from app.models import Actor, Claim, ClaimActor, ClaimDate, ClaimProgram

TOP_ACTORS = 20


def _ranked(counts: Counter[str]) -> list[TermCount]:
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [TermCount(value=value, count=count) for value, count in ordered]


def count_facets(connection: Connection, filters: ClaimFilters) -> ClaimFacets:
    where = conditions(connection.dialect.name, filters)
    matched = select(col(Claim.id)).where(*where)

    predicates: Counter[str] = Counter()
    modalities: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    for predicate, modality, status, count in connection.execute(
        select(col(Claim.predicate), col(Claim.modality), col(Claim.status), func.count())
        .where(*where)
        .group_by(col(Claim.predicate), col(Claim.modality), col(Claim.status))
    ):
        predicates[predicate] += count
        modalities[modality] += count
        statuses[status] += count

    programs: Counter[str] = Counter(
        dict(
            connection.execute(
                select(col(ClaimProgram.program), func.count())
                .where(col(ClaimProgram.claim_id).in_(matched))
                .group_by(col(ClaimProgram.program))
            )
            .tuples()
            .all()
        )
    )

    claims = func.count(col(ClaimActor.claim_id).distinct())
    actors = connection.execute(
        select(col(ClaimActor.actor_id), col(Actor.name), claims)
        .join(Actor, col(Actor.id) == col(ClaimActor.actor_id))
        .where(col(ClaimActor.claim_id).in_(matched))
        .group_by(col(ClaimActor.actor_id), col(Actor.name))
        .order_by(claims.desc(), col(ClaimActor.actor_id))
        .limit(TOP_ACTORS)
    ).all()

    year = func.substr(col(ClaimDate.value), 1, 4)
    years = connection.execute(
        select(year, func.count(col(ClaimDate.claim_id).distinct()))
        .where(*date_overlap(filters), col(ClaimDate.claim_id).in_(matched))
        .group_by(year)
        .order_by(year)
    ).all()

    return ClaimFacets(
        total=sum(statuses.values()),
        date_kind=filters.date_kind,
        predicate=_ranked(predicates),
        modality=_ranked(modalities),
        status=_ranked(statuses),
        program=_ranked(programs),
        actor=[ActorCount(actor_id=a, name=name, count=n) for a, name, n in actors],
        year=[YearCount(year=int(y), count=n) for y, n in years],
    )
