"""Actor use cases (the only place actors are written) and actor reads."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, RowMapping, and_, delete, select, update
from sqlmodel import Session, col

from app.actors.schemas import (
    ActorCreate,
    ActorListItem,
    ActorMatch,
    ActorMerge,
    ActorPage,
    ActorPatch,
    ActorRead,
    AliasIn,
    MatchedBy,
)
from app.checks import BodyChecks
from app.claims.service import refresh_claims_citing, repoint_actor
from app.duplicates import actors_named
from app.errors import Conflict, InvalidInput, NotFound
from app.http import digest_etag, require_match
from app.ids import new_id
from app.instruments.service import reassign_issuer
from app.listings import Listing, id_ordered_listing
from app.models import (
    Actor,
    ActorAlias,
    ActorExternalId,
    AliasStrength,
    EntityType,
    Operation,
    Vocabulary,
)
from app.models.base import utcnow
from app.names import external_id_key, match_key, spelling_key
from app.pagination import query_scope
from app.patching import merge_patch, validate_body
from app.revisions.schemas import Cause
from app.revisions.service import Author, append_revision


def actor_etag(actor_id: str, version: int) -> str:
    # Aliases and external ids change only through writes to the actor, which bump version.
    return digest_etag("actor", actor_id, version)


# Reads, on a plain connection (see `app.db.run_read`).


def render_actors(connection: Connection, actor_rows: list[dict[str, Any]]) -> list[ActorRead]:
    """Actors with their aliases and external ids, in three statements for any number."""
    ids = [row["id"] for row in actor_rows]
    aliases: dict[str, list[dict[str, Any]]] = {actor_id: [] for actor_id in ids}
    for alias in connection.execute(
        select(ActorAlias)
        .where(col(ActorAlias.actor_id).in_(ids))
        .order_by(col(ActorAlias.actor_id), col(ActorAlias.position))
    ).mappings():
        aliases[alias["actor_id"]].append(dict(alias))
    external_ids: dict[str, list[dict[str, Any]]] = {actor_id: [] for actor_id in ids}
    for external in connection.execute(
        select(ActorExternalId)
        .where(col(ActorExternalId.actor_id).in_(ids))
        .order_by(
            col(ActorExternalId.actor_id), col(ActorExternalId.scheme), col(ActorExternalId.value)
        )
    ).mappings():
        external_ids[external["actor_id"]].append(dict(external))
    return [
        ActorRead.model_validate(
            {**row, "aliases": aliases[row["id"]], "external_ids": external_ids[row["id"]]}
        )
        for row in actor_rows
    ]


def fetch_actor(connection: Connection, actor_id: str) -> ActorRead | None:
    row = connection.execute(select(Actor).where(col(Actor.id) == actor_id)).mappings().first()
    return render_actors(connection, [dict(row)])[0] if row else None


@dataclass(frozen=True)
class ActorQuery:
    """`q`: words that one of an actor's names contains (after `match_key`); `external_id`:
    a `(scheme, value)` that identifies it."""

    q: str | None = None
    external_id: tuple[str, str] | None = None

    @property
    def words(self) -> list[str]:
        return match_key(self.q).split() if self.q else []


def _contains_all(name_key: Any, words: list[str]) -> ColumnElement[bool]:
    return and_(*(name_key.contains(word, autoescape=True) for word in words))


def _best_match(actor: ActorRead, name_key: str, query: ActorQuery) -> ActorMatch | None:
    """The name the query matched: an exact name before a partial one, then the canonical
    name, then strong aliases before weak ones."""
    if query.external_id:
        scheme, value = query.external_id
        return ActorMatch(via=MatchedBy.external_id, value=f"{scheme}:{value}", strength=None)
    if not query.q:
        return None
    wanted = match_key(query.q)
    names = [(name_key, actor.name, None)] + [
        (match_key(alias.name), alias.name, alias.strength) for alias in actor.aliases
    ]
    matching = [name for name in names if all(word in name[0] for word in query.words)]
    if not matching:
        return None
    _, name, strength = min(
        matching,
        key=lambda n: (n[0] != wanted, n[2] is not None, n[2] == AliasStrength.weak),
    )
    via = MatchedBy.name if strength is None else MatchedBy.alias
    return ActorMatch(via=via, value=name, strength=strength)


def actor_listing(secret: str, limit: int, cursor: str | None, query: ActorQuery) -> Listing[None]:
    """Actors (not merged ones) in id order, by name words or external id."""
    statement = select(Actor).where(col(Actor.merged_into_id).is_(None)).order_by(col(Actor.id))
    if words := query.words:
        # One name has to hold every word: `korea north` finds North Korea, not an actor
        # called Korea with an alias North.
        in_alias = select(col(ActorAlias.actor_id)).where(
            _contains_all(col(ActorAlias.name_key), words)
        )
        statement = statement.where(
            _contains_all(col(Actor.name_key), words) | col(Actor.id).in_(in_alias)
        )
    if query.external_id:
        scheme, value = query.external_id
        holder = select(col(ActorExternalId.actor_id)).where(
            col(ActorExternalId.id_key) == external_id_key(scheme, value)
        )
        statement = statement.where(col(Actor.id).in_(holder))

    def render(
        connection: Connection, rows: Sequence[RowMapping], next_cursor: str | None
    ) -> bytes:
        page = [dict(row) for row in rows]
        data = [
            ActorListItem.model_validate(
                {**read.model_dump(), "matched": _best_match(read, row["name_key"], query)}
            )
            for read, row in zip(render_actors(connection, page), page, strict=True)
        ]
        return ActorPage(data=data, next_cursor=next_cursor).model_dump_json().encode()

    return id_ordered_listing(
        secret=secret,
        scope=query_scope(resource="actors", q=query.q, external_id=query.external_id),
        limit=limit,
        cursor=cursor,
        statement=statement,
        id_column=col(Actor.id),
        version_column=col(Actor.version),
        row_etag=actor_etag,
        render=render,
    )


# Writes.


def distinct_aliases(name: str, aliases: list[AliasIn]) -> list[AliasIn]:
    """The aliases without repeats of the name or of each other (case and accents aside,
    `spelling_key`): each first spelling is kept, and is strong if any of its repeats is."""
    kept: dict[str, AliasIn] = {}
    for alias in aliases:
        key = spelling_key(alias.name)
        if key == spelling_key(name):
            continue
        first = kept.setdefault(key, alias)
        if alias.strength == AliasStrength.strong != first.strength:
            kept[key] = first.model_copy(update={"strength": AliasStrength.strong})
    return list(kept.values())


def _as_stored(data: ActorCreate) -> ActorCreate:
    return data.model_copy(
        update={"aliases": distinct_aliases(data.name, data.aliases), "allow_duplicate_name": False}
    )


def _names(data: ActorCreate | dict[str, Any]) -> list[tuple[str, str]]:
    """(pointer, name) of the names other actors may not share: the name, strong aliases."""
    body = data.model_dump(mode="json") if isinstance(data, ActorCreate) else data
    return [("/name", body["name"])] + [
        (f"/aliases/{i}/name", alias["name"])
        for i, alias in enumerate(body["aliases"])
        if alias.get("strength", AliasStrength.strong) == AliasStrength.strong
    ]


def _check_names(
    session: Session, checks: BodyChecks, data: ActorCreate, actor_id: str, keys: set[str]
) -> None:
    """409 for each name (of those with `keys`) that names another actor already."""
    holders: dict[str, list[dict[str, str]]] = {}
    for named in actors_named(session, keys, excluding=actor_id):
        holders.setdefault(named.key, []).append(
            {"id": named.id, "name": named.name, "matched_name": named.matched_name}
        )
    for pointer, name in _names(data):
        if found := holders.get(match_key(name)):
            listed = "; ".join(f"{actor['name']} ({actor['id']})" for actor in found)
            checks.conflict(
                pointer,
                f"{name!r} is already a name of {listed}. If this is a different actor, "
                'send "allow_duplicate_name": true.',
                actors=found,
            )


def _check_external_ids(
    session: Session, checks: BodyChecks, data: ActorCreate, actor_id: str
) -> None:
    keys = [external_id_key(e.scheme, e.value) for e in data.external_ids]
    holders = {
        key: (holder_id, holder_name)
        for key, holder_id, holder_name in session.execute(
            select(col(ActorExternalId.id_key), col(Actor.id), col(Actor.name))
            .join(Actor, col(Actor.id) == col(ActorExternalId.actor_id))
            .where(col(ActorExternalId.id_key).in_(keys))
        ).tuples()
    }
    first: dict[str, int] = {}
    for i, (external, key) in enumerate(zip(data.external_ids, keys, strict=True)):
        shown = f"{external.scheme}:{external.value}"
        if key in first:
            checks.fail(
                f"/external_ids/{i}", f"{shown} is listed twice (see /external_ids/{first[key]})."
            )
            continue
        first[key] = i
        holder = holders.get(key)
        if holder is not None and holder[0] != actor_id:
            checks.conflict(
                f"/external_ids/{i}",
                f"{shown} already identifies actor {holder[0]!r} ({holder[1]}).",
                actors=[{"id": holder[0], "name": holder[1]}],
            )


def _check(session: Session, data: ActorCreate, actor_id: str, name_keys: set[str]) -> None:
    """Every problem of the body: invalid fields (422) before duplicates of other actors'
    names (checked for `name_keys`) and external ids (409)."""
    checks = BodyChecks()
    checks.terms(session, Vocabulary.actor_kind, [("/kind", data.kind)])
    checks.terms(
        session,
        Vocabulary.id_scheme,
        [(f"/external_ids/{i}/scheme", e.scheme) for i, e in enumerate(data.external_ids)],
    )
    _check_external_ids(session, checks, data, actor_id)
    _check_names(session, checks, data, actor_id, name_keys)
    checks.raise_if_any()


def _write_names(session: Session, actor: Actor, data: ActorCreate) -> None:
    actor.kind = data.kind
    actor.name = data.name
    actor.name_key = match_key(data.name)
    session.execute(delete(ActorAlias).where(col(ActorAlias.actor_id) == actor.id))
    session.execute(delete(ActorExternalId).where(col(ActorExternalId.actor_id) == actor.id))
    session.flush()
    session.add_all(
        ActorAlias(
            actor_id=actor.id,
            position=i,
            name=alias.name,
            name_key=match_key(alias.name),
            language=alias.language,
            script=alias.script,
            strength=alias.strength,
        )
        for i, alias in enumerate(distinct_aliases(data.name, data.aliases))
    )
    session.add_all(
        ActorExternalId(
            actor_id=actor.id,
            scheme=e.scheme,
            value=e.value,
            id_key=external_id_key(e.scheme, e.value),
        )
        for e in data.external_ids
    )
    session.flush()


def _record(session: Session, actor: Actor, operation: Operation, who: Author | None) -> ActorRead:
    session.flush()
    read = fetch_actor(session.connection(), actor.id)
    assert read is not None
    append_revision(
        session,
        EntityType.actor,
        actor.id,
        actor.version,
        operation,
        read.model_dump(mode="json"),
        who,
    )
    return read


def create_actor(
    session: Session,
    data: ActorCreate,
    who: Author | None,
    actor_id: str | None = None,
    *,
    commit: bool = True,
) -> ActorRead:
    """Create an actor; without `commit` the caller's transaction (an import's batch) holds
    the write and commits it with the others."""
    actor = Actor(id=actor_id or new_id(), kind=data.kind, name=data.name, name_key="")
    name_keys = set() if data.allow_duplicate_name else {match_key(n) for _, n in _names(data)}
    _check(session, data, actor.id, name_keys)
    session.add(actor)
    _write_names(session, actor, data)
    read = _record(session, actor, Operation.created, who)
    if commit:
        session.commit()
    return read


def lock_actor(session: Session, actor_id: str) -> Actor:
    actor = session.get(Actor, actor_id, with_for_update=True)
    if actor is None:
        raise NotFound(f"No actor with id {actor_id!r}.")
    return actor


def editable(session: Session, actor: Actor) -> dict[str, Any]:
    read = fetch_actor(session.connection(), actor.id)
    assert read is not None
    fields = set(ActorCreate.model_fields)
    return read.model_dump(mode="json", include=fields)


def update_actor(
    session: Session,
    actor_id: str,
    patch: ActorPatch | dict[str, Any],
    if_match: str | None,
    who: Author | None,
    *,
    commit: bool = True,
) -> ActorRead:
    actor = lock_actor(session, actor_id)
    require_match(if_match, actor_etag(actor.id, actor.version), actor.version)
    if actor.merged_into_id:
        raise Conflict(
            f"Actor {actor.id!r} was merged into {actor.merged_into_id!r}; edit that one."
        )
    changes = dict(
        patch if isinstance(patch, dict) else patch.model_dump(mode="json", exclude_unset=True)
    )
    allow_duplicate_name = bool(changes.pop("allow_duplicate_name", False))
    before = editable(session, actor)
    data = validate_body(ActorCreate, merge_patch(before, changes))
    if _as_stored(data).model_dump(mode="json", exclude={"allow_duplicate_name"}) == before:
        read = fetch_actor(session.connection(), actor.id)
        assert read is not None
        return read  # nothing changes, so nothing is written
    # Only names the actor did not have are checked: one kept as a duplicate on purpose
    # is not refused again on every later edit.
    added = {match_key(name) for _, name in _names(data)} - {
        match_key(name) for _, name in _names(before)
    }
    _check(session, data, actor.id, set() if allow_duplicate_name else added)
    # What claim documents embed of an actor: its name and kind.
    embedded_change = (
        "actor_renamed"
        if data.name != actor.name
        else "actor_kind_changed"
        if data.kind != actor.kind
        else None
    )
    _write_names(session, actor, data)
    actor.version += 1
    actor.updated_at = utcnow()
    read = _record(session, actor, Operation.updated, who)
    if embedded_change:
        cause = Cause(kind=embedded_change, entity_type=EntityType.actor, entity_id=actor.id)
        refresh_claims_citing(session, cause, who)
    if commit:
        session.commit()
    return read


def merge_actor(
    session: Session, actor_id: str, merge: ActorMerge, if_match: str | None, who: Author | None
) -> ActorRead:
    """Merge `actor_id` into `merge.into`: names, ids and claims move to the survivor."""
    actor = lock_actor(session, actor_id)
    require_match(if_match, actor_etag(actor.id, actor.version), actor.version)
    if actor.merged_into_id:
        raise Conflict(f"Actor {actor.id!r} was already merged into {actor.merged_into_id!r}.")
    survivor = session.get(Actor, merge.into, with_for_update=True)
    if survivor is None or survivor.id == actor.id or survivor.merged_into_id:
        reason = (
            "an actor cannot be merged into itself"
            if survivor and survivor.id == actor.id
            else f"actor {merge.into!r} does not exist or was itself merged"
        )
        raise InvalidInput.at("/into", f"Cannot merge: {reason}.")

    # The survivor keeps its names and gains the merged actor's name, aliases and ids.
    survivor_body = editable(session, survivor)
    merged_body = editable(session, actor)
    known = {match_key(a["name"]) for a in survivor_body["aliases"]} | {survivor.name_key}
    for alias in [{"name": actor.name}, *merged_body["aliases"]]:
        if match_key(alias["name"]) not in known:
            known.add(match_key(alias["name"]))
            survivor_body["aliases"].append(alias)
    survivor_body["external_ids"] += merged_body["external_ids"]
    session.execute(delete(ActorExternalId).where(col(ActorExternalId.actor_id) == actor.id))
    _write_names(session, survivor, validate_body(ActorCreate, survivor_body))
    survivor.version += 1
    survivor.updated_at = utcnow()

    actor.merged_into_id = survivor.id
    actor.version += 1
    actor.updated_at = utcnow()
    session.execute(
        update(Actor)
        .where(col(Actor.merged_into_id) == actor.id)
        .values(merged_into_id=survivor.id)
    )
    _record(session, actor, Operation.merged, who)
    survivor_read = _record(session, survivor, Operation.updated, who)
    # Claims and instruments that named the merged actor now name the survivor.
    repoint_actor(session, actor.id, survivor.id, who)
    reassign_issuer(session, actor.id, survivor.id, who)
    session.commit()
    return survivor_read
