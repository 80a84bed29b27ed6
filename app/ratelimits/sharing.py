"""Sharing rate limit counts between API processes through their one database.

Once a second, in the background, a process writes its own totals of the current window
(one row per subject and process, overwritten, so a lost flush loses nothing) and reads the
sum of every other process's rows; rows of past windows are deleted. Requests never wait
for this: they read and charge the counts in memory (app/ratelimits/limiter.py).

The price is overshoot. A process sees another's use of the last one to two seconds late, so
with N processes a subject can be admitted up to the requests the others admitted in those
seconds beyond its limit; in the worst case (a burst on every process within the same
second at the start of a window) N times its limit in that window.
"""

import asyncio
import logging

import anyio.to_thread
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col

from app.db import for_writes, is_sqlite
from app.ids import new_id
from app.models import RateLimitUsage
from app.ratelimits.limiter import Limiter

SHARE_SECONDS = 1.0
logger = logging.getLogger(__name__)


class CountSharing:
    def __init__(self, engine: Engine, limiter: Limiter) -> None:
        self.engine = engine
        self.limiter = limiter
        self.process = new_id()  # this process's rows
        self._written: tuple[int, dict[str, float]] = (0, {})

    def exchange(self, window_start: int, own: dict[str, float]) -> dict[str, float]:
        """Write this process's totals (when they changed), read the others'."""
        insert = (sqlite.insert if is_sqlite(self.engine) else postgresql.insert)(RateLimitUsage)
        with for_writes(self.engine).begin() as connection:
            if (window_start, own) != self._written and own:
                rows = [
                    {"subject": s, "window_start": window_start, "process": self.process, "used": u}
                    for s, u in own.items()
                ]
                connection.execute(
                    insert.on_conflict_do_update(
                        index_elements=["subject", "window_start", "process"],
                        set_={"used": insert.excluded.used},
                    ),
                    rows,
                )
            if window_start != self._written[0]:
                connection.execute(
                    delete(RateLimitUsage).where(col(RateLimitUsage.window_start) < window_start)
                )
            totals = connection.execute(
                select(col(RateLimitUsage.subject), func.sum(col(RateLimitUsage.used)))
                .where(
                    col(RateLimitUsage.window_start) == window_start,
                    col(RateLimitUsage.process) != self.process,
                )
                .group_by(col(RateLimitUsage.subject))
            ).all()
        self._written = (window_start, own)
        return {subject: float(used) for subject, used in totals}

    async def run(self) -> None:
        """Exchange counts every second until cancelled; a failed exchange is logged and
        tried again (the limits then hold per process)."""
        while True:
            await asyncio.sleep(SHARE_SECONDS)
            self.limiter.roll()
            window_start, own = self.limiter.window_start, dict(self.limiter.own)
            try:
                others = await anyio.to_thread.run_sync(self.exchange, window_start, own)
            except Exception:
                logger.warning("rate limit counts not shared this second", exc_info=True)
                continue
            self.limiter.absorb(window_start, others)
