"""Dates written as ISO 8601 prefixes (`2017`, `2019-12`, `2022-07-15`) or intervals of two
(`2019-01-24/2019-01-25`, `2014-03/2014-05`).

A prefix keeps the precision the source gave ("July 2022" is not "1 July 2022"); the
earliest and latest day it can mean are computed once, on write, for range queries. Only
ASCII digits are dates: Python's `\\d` and `int` also take Arabic-Indic or full-width
digits, which would store `٢٠٢٢-٠٨` as a date no client can compare as text.
"""

import calendar
import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

_PREFIX = re.compile(r"^([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?$", re.ASCII)
PREFIX_PATTERN = r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$"
INTERVAL_PATTERN = r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?(/[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?)?$"
# The end of a span that is still going on (ISO 8601-2 writes an open end as `..`).
ONGOING = ".."


class Precision(StrEnum):
    year = "year"
    month = "month"
    day = "day"


_COARSENESS = {Precision.year: 0, Precision.month: 1, Precision.day: 2}


@dataclass(frozen=True)
class DatePrefix:
    value: str
    precision: Precision
    earliest: date
    latest: date


def parse_prefix(value: str) -> DatePrefix:
    """Parse `YYYY`, `YYYY-MM` or `YYYY-MM-DD`; raise ValueError with a readable reason."""
    match = _PREFIX.match(value)
    if match is None:
        raise ValueError(
            f"{value!r} is not an ISO 8601 date prefix (YYYY, YYYY-MM or YYYY-MM-DD, "
            "in ASCII digits)"
        )
    year, month, day = (int(part) if part else None for part in match.groups())
    assert year is not None
    if year < 1:
        raise ValueError(f"{value!r}: year must be 0001 or later")
    if month is None:
        return DatePrefix(value, Precision.year, date(year, 1, 1), date(year, 12, 31))
    if not 1 <= month <= 12:
        raise ValueError(f"{value!r}: month must be 01 to 12")
    last_day = calendar.monthrange(year, month)[1]
    if day is None:
        return DatePrefix(value, Precision.month, date(year, month, 1), date(year, month, last_day))
    if not 1 <= day <= last_day:
        raise ValueError(f"{value!r}: day must be 01 to {last_day:02d} in that month")
    the_day = date(year, month, day)
    return DatePrefix(value, Precision.day, the_day, the_day)


def span(start: DatePrefix, end: DatePrefix | None) -> DatePrefix:
    """The interval from `start` to `end` (None: ongoing, open to the future), written
    `start/end` (`start/..`). Its precision is the coarser of its ends'."""
    if end is None:
        return DatePrefix(f"{start.value}/{ONGOING}", start.precision, start.earliest, date.max)
    if end.latest < start.earliest:
        raise ValueError(f"the interval {start.value}/{end.value} ends before it starts")
    precision = min(start.precision, end.precision, key=_COARSENESS.__getitem__)
    return DatePrefix(f"{start.value}/{end.value}", precision, start.earliest, end.latest)


def parse_date(value: str) -> DatePrefix:
    """Parse a prefix or an interval `prefix/prefix` (each end with its own precision)."""
    if "/" not in value:
        return parse_prefix(value)
    start, _, end = value.partition("/")
    return span(parse_prefix(start), parse_prefix(end))
