"""Pages of claims as JSON bytes: the one place stored documents are joined into a body.

Stored claim documents are already the JSON of `ClaimRead`; a page (`ClaimPage`) or a
timeline page (`TimelinePage`) joins them without parsing or re-serialising them, the
timeline's date entries built by the projection's own `date_entry`. tests/test_served_documents.py
checks every body against its declared model.
"""

from collections.abc import Iterable, Sequence
from typing import Any

import orjson

from app.claims.projection import date_entry


def page_body(items: Iterable[bytes], next_cursor: str | None) -> bytes:
    """`{"data": [...items], "next_cursor": ...}` from items that are JSON already."""
    return b'{"data":[' + b",".join(items) + b'],"next_cursor":' + orjson.dumps(next_cursor) + b"}"


def claim_page_body(documents: Iterable[str], next_cursor: str | None) -> bytes:
    """The body of a `ClaimPage` from stored claim documents, in page order."""
    return page_body((document.encode() for document in documents), next_cursor)


def timeline_entry(document: str, placed: Sequence[Any] | None) -> bytes:
    """A `TimelineEntry`: the date that placed the claim (kind, value, precision, earliest,
    latest; None for a claim without a date of the asked kinds) and its stored document."""
    date = orjson.dumps(date_entry(*placed) if placed is not None else None)
    return b'{"date":' + date + b',"claim":' + document.encode() + b"}"
