"""What one claim body may not say twice, or say against itself.

The same actor in the same role, the same evidence span, the same relation, `supports` and
`contradicts` to one claim, the same instrument provision: each repeat is reported at its
pointer, naming the first. A `supersedes` chain may not lead back to the claim through the
claims already stored.
"""

from collections.abc import Hashable, Iterable

from sqlalchemy import select
from sqlmodel import Session, col

from app.checks import BodyChecks
from app.claims.schemas import ClaimCreate
from app.models import ClaimRelation, RelationType
from app.names import normalise

# `supports` and `contradicts` of one target cannot both hold.
_OPPOSED = {RelationType.supports: RelationType.contradicts}
_OPPOSED |= {b: a for a, b in _OPPOSED.items()}


def _first_seen(checks: BodyChecks, entries: Iterable[tuple[str, Hashable]], what: str) -> None:
    first: dict[Hashable, str] = {}
    for pointer, key in entries:
        if key in first:
            checks.fail(pointer, f"The same {what} as {first[key]}; list it once.")
        else:
            first[key] = pointer


def check_repeats(checks: BodyChecks, data: ClaimCreate) -> None:
    _first_seen(
        checks,
        ((f"/actors/{i}", (a.actor_id, a.role)) for i, a in enumerate(data.actors)),
        "actor in the same role",
    )
    _first_seen(
        checks,
        ((f"/evidence/{i}", (e.source_id, e.start, e.end)) for i, e in enumerate(data.evidence)),
        "evidence span",
    )
    _first_seen(
        checks,
        (
            (f"/instruments/{i}", (c.instrument_id, normalise(c.provision or "")))
            for i, c in enumerate(data.instruments)
        ),
        "instrument and provision",
    )
    _first_seen(
        checks,
        ((f"/relations/{i}", (r.relation, r.target_id)) for i, r in enumerate(data.relations)),
        "relation",
    )
    stances: dict[tuple[RelationType, str], int] = {}
    for i, relation in enumerate(data.relations):
        stances.setdefault((relation.relation, relation.target_id), i)
        opposed = _OPPOSED.get(relation.relation)
        if opposed and (opposed, relation.target_id) in stances:
            checks.fail(
                f"/relations/{i}",
                f"A claim cannot both support and contradict claim {relation.target_id!r} "
                f"(see /relations/{stances[(opposed, relation.target_id)]}).",
            )


def check_supersedes_cycle(
    session: Session, checks: BodyChecks, data: ClaimCreate, claim_id: str
) -> None:
    """Refuse a `supersedes` whose target (through what the stored claims supersede) leads
    back to this claim. The walk reads one level per statement, by primary key."""
    for i, relation in enumerate(data.relations):
        if relation.relation != RelationType.supersedes or relation.target_id == claim_id:
            continue
        seen = {relation.target_id}
        frontier = {relation.target_id}
        while frontier and claim_id not in frontier:
            frontier = (
                set(
                    session.scalars(
                        select(col(ClaimRelation.target_id)).where(
                            col(ClaimRelation.claim_id).in_(frontier),
                            col(ClaimRelation.relation) == RelationType.supersedes,
                        )
                    )
                )
                - seen
            )
            seen |= frontier
        if claim_id in frontier:
            checks.fail(
                f"/relations/{i}",
                f"Claim {relation.target_id!r} already supersedes this claim (directly or "
                "through others); a supersedes chain cannot be a cycle.",
            )
