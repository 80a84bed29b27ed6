"""Duplicates among stored records, by the normalised keys of app.names.

Two uses: a write asks whether what it is about to store duplicates records already there
(indexed lookups on the key columns), and a report command lists the duplicates a database
already holds (`find_duplicates` and the `find_duplicate_*` it gathers). The migration that
added the keys leaves old duplicates in place, for that report, rather than failing on them.
"""

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select, union_all
from sqlmodel import Session, col

from app.models import Actor, ActorAlias, ActorExternalId, AliasStrength, Instrument, Source


@dataclass(frozen=True)
class NamedActor:
    """A stored actor one of whose names (canonical or strong alias) has `key`."""

    key: str
    id: str
    name: str
    matched_name: str


@dataclass(frozen=True)
class DuplicateGroup:
    """Records of one kind sharing one key: `key_kind` says which key (`name`, `url`, ...)."""

    entity_type: str
    key_kind: str
    key: str
    ids: list[str]


def _actor_names(keys: Collection[str] | None = None) -> Select[Any]:
    """(actor_id, key, matched_name) of every canonical name and strong alias of actors not
    merged away; only those with one of `keys` when given (each an indexed lookup)."""
    by_name: Select[Any] = select(
        col(Actor.id).label("actor_id"),
        col(Actor.name_key).label("key"),
        col(Actor.name).label("matched_name"),
    ).where(col(Actor.merged_into_id).is_(None))
    by_alias: Select[Any] = (
        select(col(ActorAlias.actor_id), col(ActorAlias.name_key), col(ActorAlias.name))
        .join(Actor, col(Actor.id) == col(ActorAlias.actor_id))
        .where(
            col(ActorAlias.strength) == AliasStrength.strong,
            col(Actor.merged_into_id).is_(None),
        )
    )
    if keys is not None:
        by_name = by_name.where(col(Actor.name_key).in_(keys))
        by_alias = by_alias.where(col(ActorAlias.name_key).in_(keys))
    return select(union_all(by_name, by_alias).subquery("names"))


def actors_named(session: Session, keys: Collection[str], excluding: str) -> list[NamedActor]:
    """The actors other than `excluding` with a canonical name or strong alias whose match
    key is one of `keys`, in id order."""
    if not keys:
        return []
    names = _actor_names(keys).subquery("named")
    rows = session.execute(
        select(names.c.key, col(Actor.id), col(Actor.name), names.c.matched_name)
        .join(Actor, col(Actor.id) == names.c.actor_id)
        .where(col(Actor.id) != excluding)
        .order_by(col(Actor.id), names.c.matched_name)
    )
    return [NamedActor(*row) for row in rows]


def _groups(
    session: Session, entity_type: str, key_kind: str, keyed: Select[Any]
) -> list[DuplicateGroup]:
    """Keys that `keyed` (rows of record id, key) gives more than one record, with them."""
    rows = keyed.subquery("keyed")
    shared = (
        select(rows.c.key)
        .where(rows.c.key.is_not(None), rows.c.key != "")
        .group_by(rows.c.key)
        .having(func.count(func.distinct(rows.c.record_id)) > 1)
    )
    found: dict[str, list[str]] = {}
    for key, record_id in session.execute(
        select(rows.c.key, rows.c.record_id)
        .where(rows.c.key.in_(shared))
        .distinct()
        .order_by(rows.c.key, rows.c.record_id)
    ):
        found.setdefault(key, []).append(record_id)
    return [DuplicateGroup(entity_type, key_kind, key, ids) for key, ids in found.items()]


def find_duplicate_actors(session: Session) -> list[DuplicateGroup]:
    """Actors sharing a name key (canonical or strong alias), and external ids held by more
    than one actor."""
    names = _actor_names().subquery("names")
    return _groups(
        session,
        "actor",
        "name",
        select(names.c.actor_id.label("record_id"), names.c.key.label("key")),
    ) + _groups(
        session,
        "actor",
        "external_id",
        select(
            col(ActorExternalId.actor_id).label("record_id"),
            col(ActorExternalId.id_key).label("key"),
        ),
    )


def find_duplicate_sources(session: Session) -> list[DuplicateGroup]:
    """Sources sharing a URL (as app.names.url_key compares them) or a held text."""
    return _groups(
        session,
        "source",
        "url",
        select(col(Source.id).label("record_id"), col(Source.url_key).label("key")),
    ) + _groups(
        session,
        "source",
        "sha256",
        select(col(Source.id).label("record_id"), col(Source.sha256).label("key")),
    )


def find_duplicate_instruments(session: Session) -> list[DuplicateGroup]:
    """Instruments whose symbols are equal but for spaces and case."""
    return _groups(
        session,
        "instrument",
        "symbol",
        select(col(Instrument.id).label("record_id"), col(Instrument.symbol_key).label("key")),
    )


def find_duplicates(session: Session) -> list[DuplicateGroup]:
    """Every duplicate the write checks would now refuse, already stored."""
    return (
        find_duplicate_actors(session)
        + find_duplicate_sources(session)
        + find_duplicate_instruments(session)
    )
