"""HTTP plumbing shared by every resource: ETags, conditional requests, JSON bodies."""

import hashlib
from typing import Annotated, Any

import orjson
from fastapi import Header
from fastapi.responses import Response

from app.errors import PreconditionFailed, PreconditionRequired

JSON_MEDIA_TYPE = "application/json"
MERGE_PATCH_MEDIA_TYPE = "application/merge-patch+json"
CACHE_HEADERS = {"Cache-Control": "no-cache"}
IF_NONE_MATCH_MAX_LENGTH = 2000

IfMatchHeader = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description="The ETag of the version you read. Required: a write without it is 428, "
        "a write against a changed resource is 412.",
        max_length=200,
    ),
]
IfNoneMatchHeader = Annotated[
    str | None,
    Header(
        alias="If-None-Match",
        description="ETags you hold; when one still matches the answer is 304 with no body.",
        max_length=IF_NONE_MATCH_MAX_LENGTH,
    ),
]


def digest_etag(*parts: str | int | bytes | None) -> str:
    """A strong ETag from the parts that determine a representation."""
    hasher = hashlib.blake2b(digest_size=12)
    for part in parts:
        hasher.update(part if isinstance(part, bytes) else str(part).encode())
        hasher.update(b"\x00")
    return hasher.hexdigest()


def quoted(etag: str) -> str:
    return f'"{etag}"'


def _listed(header: str) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}


def matches_none(if_none_match: str | None, etag: str) -> bool:
    """True when the client's copy is current (RFC 9110 weak comparison for GET)."""
    if not if_none_match:
        return False
    tags = _listed(if_none_match)
    return "*" in tags or quoted(etag) in tags


def require_match(if_match: str | None, etag: str, version: int) -> None:
    """Refuse a write made without, or against a stale, copy of the resource."""
    if not if_match:
        raise PreconditionRequired(
            "Send If-Match with the ETag of the version you are changing.",
            current_etag=quoted(etag),
            current_version=version,
        )
    tags = {tag.strip() for tag in if_match.split(",")}
    if "*" not in tags and quoted(etag) not in tags:
        raise PreconditionFailed(
            "The resource changed since you read it; read it again and reapply your change.",
            current_etag=quoted(etag),
            current_version=version,
        )


def json_response(
    body: bytes, etag: str, *, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        body,
        status,
        headers={"ETag": quoted(etag), **CACHE_HEADERS, **(headers or {})},
        media_type=JSON_MEDIA_TYPE,
    )


def conditional(if_none_match: str | None, etag: str) -> Response | None:
    """A 304 when the client's copy is current, else None (the caller sends the body)."""
    if matches_none(if_none_match, etag):
        return Response(status_code=304, headers={"ETag": quoted(etag), **CACHE_HEADERS})
    return None


def dumps(content: Any) -> bytes:
    return orjson.dumps(content, option=orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC)
