"""Keys use cases: issue, list, revoke; and recognising a presented secret.

Recognising a key is on every keyed request, so `KeyRing` keeps what it read of each key
for a few seconds (a revocation reaches every other process within `RECHECK_SECONDS`, and
this one at once) and records use in memory: `last_used_at` is written at most once a
minute per key, in a short transaction of its own after the answer, so reads never wait
on a write.
"""

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from pydantic import SecretStr
from sqlalchemy import Connection, Engine, select, update
from sqlmodel import Session, col

from app.errors import Conflict, NotFound
from app.ids import new_id
from app.keys.schemas import KeyCreate, KeyRead
from app.keys.secrets import SHOWN_CHARACTERS, new_secret, same_hash, secret_hash
from app.models import ApiKey, EntityType, Operation, Role
from app.models.base import utcnow
from app.pagination import keyset_page, query_scope
from app.revisions.service import Author, append_revision

RECHECK_SECONDS = 5.0
USE_FLUSH_SECONDS = 60.0


def _snapshot(key: ApiKey) -> dict[str, object]:
    """What a key's revision records: never the hash."""
    return KeyRead.model_validate(key, from_attributes=True).model_dump(mode="json")


def create_key(
    session: Session, data: KeyCreate, pepper: SecretStr, who: Author | None
) -> tuple[ApiKey, str]:
    """A new key and its secret (the only time the secret exists outside its holder)."""
    taken = session.scalar(select(col(ApiKey.id)).where(col(ApiKey.name) == data.name))
    if taken:
        raise Conflict(f"A key named {data.name!r} exists ({taken}); names are unique.")
    secret = new_secret()
    key = ApiKey(
        id=new_id(),
        name=data.name,
        role=data.role,
        prefix=secret[:SHOWN_CHARACTERS],
        secret_hash=secret_hash(secret, pepper),
        created_by=who.name if who else None,
    )
    session.add(key)
    session.flush()
    append_revision(session, EntityType.key, key.id, 1, Operation.created, _snapshot(key), who)
    session.commit()
    return key, secret


def revoke_key(session: Session, key_id: str, who: Author | None) -> ApiKey:
    """Revoke a key; it stays listed with `revoked_at`. Revoking twice changes nothing."""
    key = session.get(ApiKey, key_id, with_for_update=True)
    if key is None:
        raise NotFound(f"No key with id {key_id!r}.")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        append_revision(session, EntityType.key, key.id, 2, Operation.updated, _snapshot(key), who)
        session.commit()
    return key


def list_keys(
    connection: Connection, secret: str, limit: int, cursor: str | None
) -> tuple[Sequence[ApiKey], str | None]:
    def fetch(after: list[object] | None, size: int) -> Sequence[ApiKey]:
        statement = select(ApiKey).order_by(col(ApiKey.id))
        if after is not None:
            statement = statement.where(col(ApiKey.id) > after[0])
        with Session(connection) as session:
            return session.scalars(statement.limit(size)).all()

    return keyset_page(
        secret=secret,
        scope=query_scope(resource="keys"),
        cursor=cursor,
        limit=limit,
        key=(str,),
        fetch=fetch,
        key_of=lambda key: [key.id],
    )


def get_key(connection: Connection, key_id: str) -> ApiKey:
    with Session(connection) as session:
        key = session.get(ApiKey, key_id)
    if key is None:
        raise NotFound(f"No key with id {key_id!r}.")
    return key


@dataclass(frozen=True)
class KnownKey:
    id: str
    name: str
    role: Role
    revoked: bool


class KeyRing:
    """The keys this process has recognised recently, and their unrecorded use."""

    def __init__(self, engine: Engine, pepper: SecretStr) -> None:
        self.engine = engine
        self.pepper = pepper
        self._known: dict[str, tuple[KnownKey | None, float]] = {}
        self._flushed: dict[str, float] = {}
        self._lock = threading.Lock()

    def recognise(self, secret: str) -> KnownKey | None:
        """The key whose secret this is (revoked or not), or None if there is none."""
        digest = secret_hash(secret, self.pepper)
        now = time.monotonic()
        cached = self._known.get(digest)
        if cached is not None and now - cached[1] < RECHECK_SECONDS:
            return cached[0]
        with self.engine.connect() as connection:
            row = connection.execute(
                select(
                    col(ApiKey.id),
                    col(ApiKey.name),
                    col(ApiKey.role),
                    col(ApiKey.secret_hash),
                    col(ApiKey.revoked_at),
                ).where(col(ApiKey.secret_hash) == digest)
            ).first()
        known = (
            KnownKey(row.id, row.name, Role(row.role), row.revoked_at is not None)
            if row is not None and same_hash(row.secret_hash, digest)
            else None
        )
        with self._lock:
            self._known[digest] = (known, now)
        return known

    def forget(self, key_id: str) -> None:
        """After a revocation in this process: recognise the key afresh."""
        with self._lock:
            self._known = {d: v for d, v in self._known.items() if not v[0] or v[0].id != key_id}

    def use_due(self, key_id: str) -> bool:
        """Whether this use should be written (at most once a minute per key)."""
        now = time.monotonic()
        with self._lock:
            if now - self._flushed.get(key_id, -USE_FLUSH_SECONDS) < USE_FLUSH_SECONDS:
                return False
            self._flushed[key_id] = now
            return True

    def record_use(self, key_id: str, at: datetime) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                update(ApiKey).where(col(ApiKey.id) == key_id).values(last_used_at=at)
            )
