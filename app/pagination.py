"""Opaque keyset cursors, signed so any API process can verify any other's.

A cursor carries the sort key of the last row served and a digest of the query it belongs
to (filters and sort, not `limit`): reusing it with other filters, or editing it, is a 400.
"""

import base64
import binascii
import hashlib
import hmac
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import orjson
from fastapi import Query
from pydantic import BaseModel, Field

from app.errors import BadRequest

DEFAULT_LIMIT = 50
MAX_LIMIT = 500

LimitQuery = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=f"Page size, 1 to {MAX_LIMIT}.")
CursorQuery = Query(
    None,
    max_length=1000,
    description="`next_cursor` from the previous page; only valid with the same filters.",
)


class PageMeta(BaseModel):
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last page."
    )


def query_scope(**query: Any) -> str:
    """A digest of the normalised query a cursor is bound to."""
    canonical = orjson.dumps(query, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
    return hashlib.blake2b(canonical, digest_size=8).hexdigest()


def _sign(secret: str, payload: bytes) -> bytes:
    return hmac.new(secret.encode(), payload, hashlib.sha256).digest()[:16]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode_cursor(secret: str, scope: str, key: Sequence[Any]) -> str:
    payload = orjson.dumps([scope, list(key)])
    return f"{_b64(payload)}.{_b64(_sign(secret, payload))}"


Row = TypeVar("Row")


def keyset_page(
    *,
    secret: str,
    scope: str,
    cursor: str | None,
    limit: int,
    key: tuple[type, ...],
    fetch: Callable[[list[Any] | None, int], Sequence[Row]],
    key_of: Callable[[Row], list[Any]],
) -> tuple[Sequence[Row], str | None]:
    """One page of a keyset-paginated list, and the cursor of the next (None on the last).

    `key` gives the JSON types of the sort key's parts (the last is the tie-breaker, an
    id); `fetch(after, size)` reads up to `size` rows after the cursor's key (None: from the
    start) in page order; `key_of(row)` is a row's key. One more row than the page is read:
    its presence says whether a next page exists."""
    after = read_cursor(secret, scope, cursor, key) if cursor else None
    rows = fetch(after, limit + 1)
    page = rows[:limit]
    next_cursor = encode_cursor(secret, scope, key_of(page[-1])) if len(rows) > limit else None
    return page, next_cursor


def read_cursor(secret: str, scope: str, cursor: str, key: tuple[type, ...]) -> list[Any]:
    """The key a cursor carries, checked against the parts `key` names: a signed cursor of
    another shape (an older version's, say) is a 400 like any invalid one."""
    parts = decode_cursor(secret, scope, cursor)
    if len(parts) != len(key) or not all(
        isinstance(part, kind) or (kind is float and type(part) is int)
        for part, kind in zip(parts, key, strict=True)
    ):
        raise _invalid_cursor()
    return parts


def _invalid_cursor() -> BadRequest:
    return BadRequest(
        "The cursor is not valid for this query: pass `next_cursor` unchanged, with the same "
        "filters and sort as the request that returned it.",
        errors=[],
    )


def decode_cursor(secret: str, scope: str, cursor: str) -> list[Any]:
    """The sort key a cursor carries; 400 if it was altered or belongs to another query."""
    invalid = _invalid_cursor()
    try:
        payload_text, signature_text = cursor.split(".", 1)
        payload, signature = _unb64(payload_text), _unb64(signature_text)
    except (ValueError, binascii.Error):
        raise invalid from None
    if not hmac.compare_digest(signature, _sign(secret, payload)):
        raise invalid
    try:
        cursor_scope, key = orjson.loads(payload)
    except (orjson.JSONDecodeError, TypeError, ValueError):
        raise invalid from None
    if cursor_scope != scope or not isinstance(key, list):
        raise invalid
    return key
