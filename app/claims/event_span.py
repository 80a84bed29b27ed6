"""The time of an event as one span, which every read by `occurred` date uses.

An event is dated by an `occurred` date (a day, month or year, or an interval of two), or
only by the interval from its `start` to its `end` ("clashes on 24–25 January 2019" is two
dates, not one). So that a window over 2019, the year facet, `sort=date` and timelines find
the second kind too, a claim with a `start` but no `occurred` date gets a derived
`occurred` row in claim_date: from its earliest start to its latest end, or open to the
future (ongoing) when it has no end. When a claim has both, its `occurred` dates win.
A claim with an `end` but no `start` has no span: when it began is not known.
"""

from collections.abc import Sequence

from app.isodates import DatePrefix, span
from app.models import DateKind


def event_span(dates: Sequence[tuple[str, DatePrefix]]) -> DatePrefix | None:
    """The derived `occurred` span of a claim with these (kind, date) pairs, if it needs one."""
    if any(kind == DateKind.occurred for kind, _ in dates):
        return None
    starts = [parsed for kind, parsed in dates if kind == DateKind.start]
    ends = [parsed for kind, parsed in dates if kind == DateKind.end]
    if not starts:
        return None
    start = min(starts, key=lambda parsed: parsed.earliest)
    end = max(ends, key=lambda parsed: parsed.latest) if ends else None
    return span(start, end)
