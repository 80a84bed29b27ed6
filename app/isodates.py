"""Dates written as ISO 8601 prefixes: `2017`, `2019-12`, `2022-07-15`.

A prefix keeps the precision the source gave ("July 2022" is not "1 July 2022"); the
earliest and latest day it can mean are computed once, on write, for range queries.
"""

import calendar
import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

_PREFIX = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


class Precision(StrEnum):
    year = "year"
    month = "month"
    day = "day"


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
        raise ValueError(f"{value!r} is not an ISO 8601 date prefix (YYYY, YYYY-MM or YYYY-MM-DD)")
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
