"""What a claim's dates mean for reads by date, worked out apart from the app's own code:
the oracle the query, facet and timeline tests compare with.

`occurred` is the event span: the claim's `occurred` dates, or, without one, the interval
from its earliest `start` to its latest `end` (to date.max, ongoing, without an end).
"""

from collections.abc import Iterable
from datetime import UTC, date, datetime

from app.isodates import parse_prefix


def _days(value: str) -> tuple[date, date]:
    first, _, last = value.partition("/")
    return parse_prefix(first).earliest, parse_prefix(last or first).latest


def spans(dates: Iterable[tuple[str, str]], kind: str) -> list[tuple[date, date]]:
    """The (earliest, latest) days the claim's dates of `kind` (or `any`) cover."""
    dates = list(dates)
    if kind == "any":
        return [_days(value) for _, value in dates]
    own = [_days(value) for k, value in dates if k == kind]
    if kind != "occurred" or own:
        return own
    starts = [_days(value)[0] for k, value in dates if k == "start"]
    ends = [_days(value)[1] for k, value in dates if k == "end"]
    if not starts:
        return []
    return [(min(starts), max(ends) if ends else date.max)]


def overlaps(span: tuple[date, date], first: date | None, last: date | None) -> bool:
    return (first is None or span[1] >= first) and (last is None or span[0] <= last)


def years(span: tuple[date, date], first: date | None, last: date | None) -> set[int]:
    """The years of the window a span counts in (an ongoing one up to this year)."""
    if not overlaps(span, first, last):
        return set()
    start = span[0].year if first is None else max(span[0].year, first.year)
    if last is not None:
        end = min(span[1].year, last.year)
    elif span[1] == date.max:  # ongoing: up to this year, or the window's start if later
        end = max(datetime.now(UTC).year, start)
    else:
        end = span[1].year
    return set(range(start, end + 1))
