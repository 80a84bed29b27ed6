"""Fixed-window counts, kept in the process; the other processes' counts as last shared.

Each subject (an API key, or the address of a caller without a valid key) may use `limit`
units per window of `window_seconds` (windows start at multiples of it, in Unix time). A
request costs one unit, a 304 a quarter: revalidating what a client holds is the cheap read
the API wants pollers to make. A request is admitted while the subject has used less than
its limit, and charged when its status is known (so the last admitted request may take the
count up to one unit over). Only the event loop reads and writes the counts: no lock.
"""

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

NOT_MODIFIED_COST = 0.25
REQUEST_COST = 1.0


@dataclass(frozen=True)
class Standing:
    """What a subject has left in the current window, as the RateLimit headers say it."""

    limit: int
    remaining: int
    reset_seconds: int  # until the window ends (at least 1)

    @property
    def exhausted(self) -> bool:
        return self.remaining <= 0

    def headers(self) -> list[tuple[bytes, bytes]]:
        return [
            (b"ratelimit-limit", str(self.limit).encode()),
            (b"ratelimit-remaining", str(self.remaining).encode()),
            (b"ratelimit-reset", str(self.reset_seconds).encode()),
        ]


class Limiter:
    def __init__(self, window_seconds: int, clock: Callable[[], float] = time.time) -> None:
        self.window_seconds = window_seconds
        self.clock = clock
        self.window_start = self._window_of(clock())
        # This process's use in the current window, and the others' as last shared.
        self.own: dict[str, float] = {}
        self.others: dict[str, float] = {}

    def _window_of(self, moment: float) -> int:
        return int(moment // self.window_seconds) * self.window_seconds

    def roll(self) -> float:
        now = self.clock()
        window = self._window_of(now)
        if window != self.window_start:
            self.window_start, self.own, self.others = window, {}, {}
        return now

    def standing(self, subject: str, limit: int) -> Standing:
        now = self.roll()
        used = self.own.get(subject, 0.0) + self.others.get(subject, 0.0)
        # A partly used unit is not left: remaining counts whole requests.
        remaining = max(0, math.ceil(limit - used - 1e-9)) if used < limit else 0
        reset = max(1, math.ceil(self.window_start + self.window_seconds - now))
        return Standing(limit, remaining, reset)

    def charge(self, subject: str, cost: float) -> None:
        self.roll()
        self.own[subject] = self.own.get(subject, 0.0) + cost

    def absorb(self, window_start: int, others: dict[str, float]) -> None:
        """The other processes' totals of a window, read from the database."""
        if window_start == self.window_start:
            self.others = others
