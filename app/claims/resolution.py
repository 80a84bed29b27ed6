"""Resolving the actors a query names: by id, or by name through canonical names and aliases.

An external id written `scheme:value` (`un_sc:KPi.034`, `ofac:20157`) names its holder
as an id does, compared as its scheme compares identifiers (`app.names.external_id_key`).
Names meet on `app.names.match_key` (case, diacritics, apostrophe styles, punctuation and
word order do not matter), so `DPRK`, `North Korea` and `Democratic People’s Republic of
Korea` find one actor when they are its names. A canonical name or strong alias outranks a
weak alias (`Pyongyang` for the government); actors tied at the best rank are a 422 that
lists them, and a name that matches nothing is a 422 with the closest names. Nothing is
guessed: a query either names actors exactly or is refused. A merged actor (by id or by
name) resolves to the actor it was merged into.

It lives with the claim queries, whose names it resolves, so that app.claims imports nothing
from app.actors (the actors package imports claims, never the other way round).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz, process
from sqlalchemy import (
    BindParameter,
    Connection,
    Select,
    String,
    bindparam,
    func,
    literal,
    select,
    union_all,
)
from sqlalchemy.orm import aliased
from sqlmodel import col

from app.errors import FieldError, InvalidInput
from app.models import Actor, ActorAlias, ActorExternalId, AliasStrength
from app.names import external_id_key, match_key

CLOSEST_NAMES = 5
MIN_SIMILARITY = 50.0
_EXACT = frozenset({"id", "external_id"})
_RANK = {"id": 3, "name": 2, AliasStrength.strong.value: 2, AliasStrength.weak.value: 1}


@dataclass(frozen=True)
class NameHit:
    """One way a value named an actor: `via` is id, name or alias."""

    key: str
    via: str
    strength: str
    matched_name: str
    actor_id: str
    actor_name: str

    @property
    def rank(self) -> int:
        return _RANK["id"] if self.via in _EXACT else _RANK[self.strength]


def _hits_statement() -> Select[Any]:
    """Every id, external id, name and alias matching the `values` (ids), `id_keys` (external
    id keys) or `keys` (match keys), with the actor each one names after merges. Built once:
    building it costs more than running it."""
    values: BindParameter[str] = bindparam("values", expanding=True)
    id_keys: BindParameter[str] = bindparam("id_keys", expanding=True)
    keys: BindParameter[str] = bindparam("keys", expanding=True)
    by_id: Select[Any] = select(
        col(Actor.id).label("actor_id"),
        col(Actor.id).label("key"),
        literal("id", String).label("via"),
        literal(AliasStrength.strong.value, String).label("strength"),
        col(Actor.name).label("matched_name"),
    ).where(col(Actor.id).in_(values))
    by_external_id = select(
        col(ActorExternalId.actor_id),
        col(ActorExternalId.id_key),
        literal("external_id", String),
        literal(AliasStrength.strong.value, String),
        col(ActorExternalId.value),
    ).where(col(ActorExternalId.id_key).in_(id_keys))
    by_name = select(
        col(Actor.id),
        col(Actor.name_key),
        literal("name", String),
        literal(AliasStrength.strong.value, String),
        col(Actor.name),
    ).where(col(Actor.name_key).in_(keys))
    by_alias = select(
        col(ActorAlias.actor_id),
        col(ActorAlias.name_key),
        literal("alias", String),
        col(ActorAlias.strength),
        col(ActorAlias.name),
    ).where(col(ActorAlias.name_key).in_(keys))
    found = union_all(by_id, by_external_id, by_name, by_alias).subquery("found")
    named = aliased(Actor, name="named")
    survivor = aliased(Actor, name="survivor")
    return (
        select(
            found.c.key,
            found.c.via,
            found.c.strength,
            found.c.matched_name,
            col(survivor.id),
            col(survivor.name),
        )
        .join(named, col(named.id) == found.c.actor_id)
        .join(survivor, col(survivor.id) == func.coalesce(named.merged_into_id, named.id))
    )


_HITS = _hits_statement()


def _id_key(value: str) -> str | None:
    """The external id key of a `scheme:value`, or None for a value without a scheme."""
    scheme, colon, identifier = value.partition(":")
    return external_id_key(scheme.strip(), identifier) if colon and identifier.strip() else None


def _hits(connection: Connection, values: Sequence[str]) -> list[NameHit]:
    """Every id, external id, name and alias matching any of `values`, mapped to surviving
    actors."""
    keys = sorted({match_key(value) for value in values} - {""})
    id_keys = sorted({key for value in values if (key := _id_key(value))})
    rows = connection.execute(_HITS, {"values": list(values), "id_keys": id_keys, "keys": keys})
    return [NameHit(*row) for row in rows]


def _closest(connection: Connection, value: str) -> list[dict[str, Any]]:
    """The names (canonical or alias) most like `value`, best first, one per actor."""
    survivor = aliased(Actor, name="survivor")
    names = union_all(
        select(col(Actor.id).label("actor_id"), col(Actor.name), col(Actor.name_key)),
        select(col(ActorAlias.actor_id), col(ActorAlias.name), col(ActorAlias.name_key)),
    ).subquery("names")
    rows = connection.execute(
        select(names.c.name, names.c.name_key, col(survivor.id), col(survivor.name))
        .join(Actor, col(Actor.id) == names.c.actor_id)
        .join(survivor, col(survivor.id) == func.coalesce(Actor.merged_into_id, Actor.id))
    ).all()
    ranked = process.extract(
        match_key(value),
        [row[1] for row in rows],
        scorer=fuzz.WRatio,
        limit=len(rows),
        score_cutoff=MIN_SIMILARITY,
    )
    closest: dict[str, dict[str, Any]] = {}
    for _, score, index in ranked:
        name, _, actor_id, actor_name = rows[index]
        if actor_id not in closest:
            closest[actor_id] = {
                "id": actor_id,
                "name": actor_name,
                "matched_name": name,
                "score": round(score, 1),
            }
        if len(closest) == CLOSEST_NAMES:
            break
    return list(closest.values())


def resolve_actors(connection: Connection, parameter: str, values: Sequence[str]) -> list[str]:
    """The surviving actor ids `values` name, in their order; a 422 naming every value that
    is ambiguous (with its candidates) or unknown (with the closest names)."""
    hits = _hits(connection, values)
    resolved: list[str] = []
    problems: list[dict[str, Any]] = []
    errors: list[FieldError] = []
    for value in values:
        own = (
            [hit for hit in hits if hit.via == "id" and hit.key == value]
            or [hit for hit in hits if hit.via == "external_id" and hit.key == _id_key(value)]
            or [hit for hit in hits if hit.via not in _EXACT and hit.key == match_key(value)]
        )
        best = max((hit.rank for hit in own), default=0)
        actors = {hit.actor_id: hit for hit in own if hit.rank == best}
        if len(actors) == 1:
            resolved.append(next(iter(actors)))
            continue
        if actors:
            candidates = [
                {
                    "id": hit.actor_id,
                    "name": hit.actor_name,
                    "matched_name": hit.matched_name,
                    "strength": hit.strength,
                }
                for hit in sorted(actors.values(), key=lambda hit: hit.actor_name)
            ]
            listed = "; ".join(f"{c['name']} ({c['id']})" for c in candidates)
            detail = f"{value!r} names more than one actor equally: {listed}. Use an actor id."
            problems.append({"value": value, "reason": "ambiguous", "actors": candidates})
        else:
            closest = _closest(connection, value)
            names = ", ".join(repr(c["matched_name"]) for c in closest) or "none"
            detail = f"No actor has the id or name {value!r}. Closest names: {names}."
            problems.append({"value": value, "reason": "no_match", "actors": closest})
        errors.append(FieldError(parameter=parameter, detail=detail))
    if errors:
        summary = errors[0].detail if len(errors) == 1 else f"{len(errors)} actors not resolved."
        raise InvalidInput(summary, errors=errors, candidates=problems)
    return list(dict.fromkeys(resolved))
