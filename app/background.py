"""The work an API process does beside its requests, for as long as it serves.

- On PostgreSQL, the commit listener that wakes the change feed's long polls
  (app/changes/notify.py).
- With rate limits on, sharing their counts with the other processes once a second
  (app/ratelimits/sharing.py).
- Deleting idempotency entries past their retention, in batches in a worker thread, so no
  request waits for it (a request already ignores an expired entry of its own key).
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

import anyio.to_thread
from fastapi import FastAPI
from sqlalchemy import Engine

from app.changes.notify import start_listening, stop_listening
from app.idempotency.service import sweep
from app.models.base import utcnow
from app.ratelimits.sharing import CountSharing

SWEEP_SECONDS = 600.0
logger = logging.getLogger(__name__)


async def sweep_expired(engine: Engine, retention: timedelta) -> None:
    while True:
        # Sleep first: a process that starts has nothing urgent to sweep (requests ignore
        # expired entries), and its start is when its writers are busiest.
        await asyncio.sleep(SWEEP_SECONDS)
        try:
            await anyio.to_thread.run_sync(sweep, engine, utcnow() - retention)
        except Exception:
            logger.warning("expired idempotency entries not swept", exc_info=True)


@contextlib.asynccontextmanager
async def background_work(app: FastAPI) -> AsyncIterator[None]:
    settings = app.state.settings
    engine: Engine = app.state.engine
    tasks = [
        asyncio.create_task(
            sweep_expired(engine, timedelta(hours=settings.idempotency_retention_hours))
        )
    ]
    if settings.rate_limits:
        tasks.append(asyncio.create_task(CountSharing(engine, app.state.limiter).run()))
    await anyio.to_thread.run_sync(start_listening, engine)
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await anyio.to_thread.run_sync(stop_listening, engine)
