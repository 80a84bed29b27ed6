"""Idempotency entries: claimed before a POST runs, completed or released after it.

An entry is claimed (inserted and committed) before the request runs, so a concurrent
retry finds it and is told the first is still running (409) instead of running twice.
Only an answer that changed something (2xx) is kept: every other answer changed nothing
(writes are transactional and bad input changes nothing), so its entry is released and a
corrected or later retry runs afresh. An entry past its retention counts as absent.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

import orjson
from sqlalchemy import Engine, delete, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col

from app.db import for_writes, is_sqlite
from app.models import IdempotencyEntry
from app.models.base import utcnow

# Headers of a kept answer that a replay repeats; the rest (request id, rate limits,
# telemetry) belong to the request that carries them.
KEPT_HEADERS = frozenset({b"content-type", b"location", b"etag"})
# Expired entries are deleted this many at a time, so no sweep holds the write lock long.
SWEEP_BATCH = 500


@dataclass(frozen=True)
class Claimed:
    """The entry is this request's: run it."""


@dataclass(frozen=True)
class Found:
    """Another request holds the key: still running (`status` None), or its kept answer."""

    request_hash: str
    status: int | None
    headers: list[tuple[bytes, bytes]]
    body: bytes


def claim(
    engine: Engine, key_id: str, idempotency_key: str, request_hash: str, retention: timedelta
) -> Claimed | Found:
    """Take the key for this request, or say who holds it."""
    now = utcnow()
    insert = (sqlite.insert if is_sqlite(engine) else postgresql.insert)(IdempotencyEntry)
    entry = (
        col(IdempotencyEntry.api_key_id) == key_id,
        col(IdempotencyEntry.idempotency_key) == idempotency_key,
    )
    with for_writes(engine).begin() as connection:
        connection.execute(
            delete(IdempotencyEntry).where(
                *entry, col(IdempotencyEntry.created_at) < now - retention
            )
        )
        inserted = connection.execute(
            insert.values(
                api_key_id=key_id,
                idempotency_key=idempotency_key,
                request_hash=request_hash,
                created_at=now,
            )
            .on_conflict_do_nothing()
            .returning(col(IdempotencyEntry.request_hash))
        ).first()
        if inserted is not None:  # (psycopg reports no rowcount for ON CONFLICT DO NOTHING)
            return Claimed()
        row = connection.execute(
            select(
                col(IdempotencyEntry.request_hash),
                col(IdempotencyEntry.status),
                col(IdempotencyEntry.headers),
                col(IdempotencyEntry.body),
            ).where(*entry)
        ).one()
    headers = [(name.encode(), value.encode()) for name, value in orjson.loads(row.headers or "[]")]
    return Found(row.request_hash, row.status, headers, row.body or b"")


def keep(
    engine: Engine,
    key_id: str,
    idempotency_key: str,
    status: int,
    headers: list[tuple[bytes, bytes]],
    body: bytes,
) -> None:
    """Store the answer of the request that claimed the key, for its retries."""
    kept = [[name.decode("latin-1"), value.decode("latin-1")] for name, value in headers]
    with for_writes(engine).begin() as connection:
        connection.execute(
            update(IdempotencyEntry)
            .where(
                col(IdempotencyEntry.api_key_id) == key_id,
                col(IdempotencyEntry.idempotency_key) == idempotency_key,
            )
            .values(status=status, headers=orjson.dumps(kept).decode(), body=body)
        )


def release(engine: Engine, key_id: str, idempotency_key: str) -> None:
    """Give the key back: the request changed nothing, so a retry may run."""
    with for_writes(engine).begin() as connection:
        connection.execute(
            delete(IdempotencyEntry).where(
                col(IdempotencyEntry.api_key_id) == key_id,
                col(IdempotencyEntry.idempotency_key) == idempotency_key,
            )
        )


def sweep(engine: Engine, before: datetime) -> int:
    """Delete entries created before `before`, a batch per transaction; how many."""
    deleted = 0
    while True:
        with for_writes(engine).begin() as connection:
            batch = (
                select(col(IdempotencyEntry.api_key_id), col(IdempotencyEntry.idempotency_key))
                .where(col(IdempotencyEntry.created_at) < before)
                .limit(SWEEP_BATCH)
            )
            keys = [tuple(row) for row in connection.execute(batch)]
            if keys:
                connection.execute(
                    delete(IdempotencyEntry).where(
                        tuple_(
                            col(IdempotencyEntry.api_key_id),
                            col(IdempotencyEntry.idempotency_key),
                        ).in_(keys)
                    )
                )
        deleted += len(keys)
        if len(keys) < SWEEP_BATCH:
            return deleted
