"""Appending to the revision log, inside the caller's write transaction."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, or_, select, text, update
from sqlmodel import Session, col

from app.db import fetch_first
from app.models import EntityType, Operation, Revision, RevisionCounter
from app.pagination import encode_cursor, query_scope, read_cursor
from app.revisions.schemas import Cause, RevisionPage, RevisionRead


@dataclass(frozen=True)
class Author:
    """Who wrote a revision: a key's name at the time and its id, or a process (`seed`,
    `import`) that writes without one."""

    name: str
    key_id: str | None = None


SEED = Author("seed")


def next_sequence(session: Session) -> int:
    """Take the next sequence number.

    The UPDATE locks the counter row until the transaction ends, so a later writer gets
    its number only after this one commits: numbers follow commit order.
    """
    statement = (
        update(RevisionCounter)
        .where(col(RevisionCounter.id) == 1)
        .values(last_seq=col(RevisionCounter.last_seq) + 1)
        .returning(col(RevisionCounter.last_seq))
    )
    sequence = int(session.execute(statement).scalar_one())
    _announce_commit(session)
    return sequence


# The long polls of every API process wake on this notice (app/changes/notify.py).
COMMIT_CHANNEL = "claims_commits"
_NOTIFY = text(f"NOTIFY {COMMIT_CHANNEL}")
_NOTIFIED = "claims_notified_transaction"


def _announce_commit(session: Session) -> None:
    """On PostgreSQL, have the transaction notify the listeners when it commits: once per
    transaction, however many revisions it appends (a rollback sends nothing)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    transaction = session.get_transaction()
    if session.info.get(_NOTIFIED) is not transaction:
        session.execute(_NOTIFY)
        session.info[_NOTIFIED] = transaction


def append_revision(
    session: Session,
    entity_type: EntityType,
    entity_id: str,
    version: int,
    operation: Operation,
    snapshot: dict[str, Any],
    who: Author | None,
    *,
    reason: str | None = None,
    cause: Cause | None = None,
) -> Revision:
    revision = Revision(
        seq=next_sequence(session),
        entity_type=entity_type,
        entity_id=entity_id,
        version=version,
        operation=operation,
        recorded_by=who.name if who else None,
        recorded_by_key_id=who.key_id if who else None,
        snapshot=snapshot,
        reason=reason,
        cause=None if cause is None else cause.model_dump(mode="json"),
    )
    session.add(revision)
    return revision


_LAST_SEQUENCE = select(col(RevisionCounter.last_seq))  # the table has one row


def current_sequence(connection: Connection) -> int:
    """The last sequence number committed: every list ETag derives from it (and every 304
    of a poll costs this one read, so it goes straight to the driver)."""
    row = fetch_first(connection, _LAST_SEQUENCE, {})
    assert row is not None, "the revision counter row is made by the first migration"
    return int(row[0])


def public_revision() -> ColumnElement[bool]:
    """Revisions any caller may read: all but those whose snapshot is a draft claim (drafts
    are for analysts and above, their history too)."""
    status = col(Revision.snapshot)["status"].as_string()
    return or_(col(Revision.entity_type) != EntityType.claim, status.is_(None), status != "draft")


def list_revisions(
    connection: Connection,
    secret: str,
    entity_type: EntityType,
    entity_id: str,
    limit: int,
    cursor: str | None,
    *,
    drafts: bool,
) -> RevisionPage:
    scope = query_scope(resource="revisions", entity_type=entity_type, entity_id=entity_id)
    statement = (
        select(Revision)
        .where(col(Revision.entity_type) == entity_type, col(Revision.entity_id) == entity_id)
        .order_by(col(Revision.seq))
    )
    if not drafts:
        statement = statement.where(public_revision())
    if cursor:
        (after,) = read_cursor(secret, scope, cursor, (int,))
        statement = statement.where(col(Revision.seq) > after)
    rows = connection.execute(statement.limit(limit + 1)).mappings().all()
    data = [RevisionRead.model_validate(dict(row)) for row in rows[:limit]]
    next_cursor = encode_cursor(secret, scope, [data[-1].seq]) if len(rows) > limit else None
    return RevisionPage(data=data, next_cursor=next_cursor)
