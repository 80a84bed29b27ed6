"""Engines, sessions and the SQLite settings that make it a real embedded database.

Writes go through a `Session` whose transaction starts with `BEGIN IMMEDIATE` on SQLite, so
two writers never deadlock on a lock upgrade; reads use plain connections and a deferred
`BEGIN`, so a page and the revision number its ETag derives from come from one snapshot.
"""

from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, TypeVar

import anyio.to_thread
from anyio import CapacityLimiter
from fastapi import Depends, Request
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlmodel import Session

from app.settings import get_settings

T = TypeVar("T")


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def _configure_sqlite(engine: Engine, lock_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the driver: we emit BEGIN ourselves below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(lock_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "")
        connection.exec_driver_sql(f"BEGIN {mode}".strip())


def make_engine(url: str, *, lock_timeout_ms: int = 5000) -> Engine:
    """An engine for `url`; a write waits at most `lock_timeout_ms` for a lock."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False})
        _configure_sqlite(engine, lock_timeout_ms)
        return engine
    return create_engine(
        url,
        pool_size=10,
        max_overflow=10,
        pool_pre_ping=True,
        connect_args={"options": f"-c lock_timeout={int(lock_timeout_ms)}"},
    )


async def get_engine(request: Request) -> Engine:
    """The engine `create_app` built for this application.

    `async` although it awaits nothing: FastAPI runs plain `def` dependencies in a thread,
    a hop the read path cannot afford on every request.
    """
    engine: Engine = request.app.state.engine
    return engine


EngineDep = Annotated[Engine, Depends(get_engine)]


def write_session(engine: Engine) -> Session:
    """A session for one write use case; the service commits it."""
    return Session(engine.execution_options(sqlite_begin="IMMEDIATE"), expire_on_commit=False)


def get_session(engine: EngineDep) -> Iterator[Session]:
    with write_session(engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


@lru_cache
def _read_limiter() -> CapacityLimiter:
    return CapacityLimiter(get_settings().read_threads)


async def run_read(engine: Engine, query: Callable[[Connection], T]) -> T:
    """Run a read-only query function on a connection of `engine`, in one transaction.

    SQLite answers a keyed read in microseconds, far less than a thread hop costs, so it
    runs inline on the event loop; a network database runs in a small, bounded pool.
    """

    def _run() -> T:
        with engine.connect() as connection, connection.begin():
            return query(connection)

    if is_sqlite(engine):
        return _run()
    return await anyio.to_thread.run_sync(_run, limiter=_read_limiter())
