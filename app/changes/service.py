"""The change feed: revisions in commit order, served from a signed position.

Sequence numbers are assigned in commit order (see `app.revisions.service`), so every
revision numbered at or below the committed counter is visible: a page bounded by the
counter read in the same transaction is complete, and reading `seq > position` never skips.
"""

import asyncio
import time
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Connection, Engine, exists, select
from sqlmodel import col

from app.changes import notify
from app.changes.schemas import Change, ChangeFeed, ChangeFields
from app.db import run_read
from app.errors import BadRequest
from app.models import EntityType, Revision
from app.pagination import decode_cursor, encode_cursor, query_scope
from app.revisions.service import current_sequence, public_revision

# How often a long poll looks for a newer commit.
POLL_SECONDS = 0.15

_ID_COLUMNS = (
    col(Revision.seq),
    col(Revision.entity_type),
    col(Revision.entity_id),
    col(Revision.version),
    col(Revision.operation),
    col(Revision.recorded_at),
    col(Revision.recorded_by),
    col(Revision.reason),
    col(Revision.cause),
    col(Revision.recorded_by_key_id),
)


@dataclass(frozen=True)
class FeedQuery:
    """A normalised feed query; only the entity types bind a cursor."""

    entity_types: tuple[EntityType, ...]
    fields: ChangeFields
    limit: int
    # Whether the caller sees drafts (app.auth); the changes of draft claims are theirs only.
    drafts: bool = False

    def scope(self) -> str:
        return query_scope(resource="changes", entity_type=list(self.entity_types))


def start_position(secret: str, query: FeedQuery, after: str | None) -> int:
    """The sequence number a request reads after: 0 (the beginning) without a cursor."""
    if after is None:
        return 0
    key = decode_cursor(secret, query.scope(), after)
    if len(key) != 1 or not isinstance(key[0], int) or key[0] < 0:
        raise BadRequest("The cursor is not a change feed position.")
    position: int = key[0]
    return position


def _matching(query: FeedQuery, position: int, upto: int) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [
        col(Revision.seq) > position,
        col(Revision.seq) <= upto,
    ]
    if query.entity_types:
        conditions.append(col(Revision.entity_type).in_(query.entity_types))
    else:
        # Keys' changes are for admins, who ask for them by name (`entity_type=key`).
        conditions.append(col(Revision.entity_type) != EntityType.key)
    if not query.drafts:
        conditions.append(public_revision())
    return conditions


def has_changes(connection: Connection, query: FeedQuery, position: int, upto: int) -> bool:
    """Whether a change the query selects lies in (position, upto]."""
    return bool(connection.scalar(select(exists().where(*_matching(query, position, upto)))))


def read_changes(
    connection: Connection, secret: str, query: FeedQuery, position: int, upto: int
) -> ChangeFeed:
    """The changes after `position`, up to `upto` (the counter read in this transaction).

    A short page has seen everything up to `upto`, so its cursor moves there even when a
    filter left nothing to show: a filtered poller does not rescan what it skipped.
    """
    columns = list(_ID_COLUMNS)
    if query.fields == ChangeFields.full:
        columns.append(col(Revision.snapshot))
    statement = (
        select(*columns)
        .where(*_matching(query, position, upto))
        .order_by(col(Revision.seq))
        .limit(query.limit)
    )
    rows = connection.execute(statement).mappings().all()
    data = [Change.model_validate(dict(row)) for row in rows]
    reached = data[-1].seq if len(data) == query.limit else max(position, upto)
    return ChangeFeed(data=data, next_cursor=encode_cursor(secret, query.scope(), [reached]))


# Long polls: waiters share one look at the counter per engine, so a thousand waiting
# dashboards cost what one does. With a commit listener (PostgreSQL) the look is taken when
# a notice arrives and at most once a second otherwise; without one, every half interval.
_last_look: "weakref.WeakKeyDictionary[Engine, tuple[float, int, int]]" = (
    weakref.WeakKeyDictionary()
)
LISTENED_LOOK_SECONDS = 1.0
# Counter reads of waiting long polls, per engine (GET /metrics exports them).
waiting_reads: "weakref.WeakKeyDictionary[Engine, int]" = weakref.WeakKeyDictionary()


async def committed_sequence(engine: Engine) -> int:
    """The committed counter, as seen at most one look interval ago (or since the last
    commit notice)."""
    started = time.monotonic()
    listener = notify.listeners.get(engine)
    notices = listener.notices if listener is not None else 0
    interval = LISTENED_LOOK_SECONDS if listener is not None else POLL_SECONDS / 2
    cached = _last_look.get(engine)
    if cached is not None and started - cached[0] < interval and cached[2] == notices:
        return cached[1]
    # Taken before the read: a waiter that comes while it runs reuses it.
    _last_look[engine] = (started, cached[1] if cached else -1, notices)
    waiting_reads[engine] = waiting_reads.get(engine, 0) + 1
    value = await run_read(engine, current_sequence)
    _last_look[engine] = (started, value, notices)
    return value


async def wait_for_commit(
    engine: Engine,
    seen: int,
    deadline: float,
    gone: Callable[[], Awaitable[bool]] | None = None,
) -> bool:
    """Sleep until a sequence number above `seen` commits (True) or `deadline` (False).

    Holds no database connection while it sleeps, and gives up early when `gone` says the
    client went away.
    """
    while (remaining := deadline - time.monotonic()) > 0:
        await asyncio.sleep(min(POLL_SECONDS, remaining))
        if await committed_sequence(engine) > seen:
            return True
        if gone is not None and await gone():
            return False
    return False
