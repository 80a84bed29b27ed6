"""Appending to the revision log, inside the caller's write transaction."""

from typing import Any

from sqlalchemy import Connection, select, update
from sqlmodel import Session, col

from app.db import fetch_first
from app.models import EntityType, Operation, Revision, RevisionCounter
from app.pagination import encode_cursor, query_scope, read_cursor
from app.revisions.schemas import RevisionPage, RevisionRead


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
    return int(session.execute(statement).scalar_one())


def append_revision(
    session: Session,
    entity_type: EntityType,
    entity_id: str,
    version: int,
    operation: Operation,
    snapshot: dict[str, Any],
    recorded_by: str | None,
) -> Revision:
    revision = Revision(
        seq=next_sequence(session),
        entity_type=entity_type,
        entity_id=entity_id,
        version=version,
        operation=operation,
        recorded_by=recorded_by,
        snapshot=snapshot,
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


def list_revisions(
    connection: Connection,
    secret: str,
    entity_type: EntityType,
    entity_id: str,
    limit: int,
    cursor: str | None,
) -> RevisionPage:
    scope = query_scope(resource="revisions", entity_type=entity_type, entity_id=entity_id)
    statement = (
        select(Revision)
        .where(col(Revision.entity_type) == entity_type, col(Revision.entity_id) == entity_id)
        .order_by(col(Revision.seq))
    )
    if cursor:
        (after,) = read_cursor(secret, scope, cursor, (int,))
        statement = statement.where(col(Revision.seq) > after)
    rows = connection.execute(statement.limit(limit + 1)).mappings().all()
    data = [RevisionRead.model_validate(dict(row)) for row in rows[:limit]]
    next_cursor = encode_cursor(secret, scope, [data[-1].seq]) if len(rows) > limit else None
    return RevisionPage(data=data, next_cursor=next_cursor)
