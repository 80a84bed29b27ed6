"""Conditional answers for lists: one ETag rule, one read, 304 or the page.

A list's answer is a function of its URL and of the data, and every committed write takes
the next revision sequence number. So the ETag of a list derives from the path, the query
string exactly as the client sent it and the last committed sequence number: a poll whose
copy is current is answered from that one keyed read, before its filters are parsed or
its names resolved (app/fastpath.py does so even before the framework routes it).
"""

from collections.abc import Callable

from fastapi import Request, Response
from sqlalchemy import Connection, Engine
from starlette.types import Scope

from app.db import run_read
from app.http import conditional, digest_etag, json_response
from app.revisions.service import current_sequence


def listing_etag(sequence: int, path: str, query: bytes) -> str:
    # Parameters are sorted: their order never changes a list (a repeated one is an OR).
    return digest_etag("listing", sequence, path, b"&".join(sorted(query.split(b"&"))))


def listing_etag_of(connection: Connection, scope: Scope) -> str:
    """The ETag of the list the request of `scope` asks for, as of `connection`'s snapshot."""
    return listing_etag(current_sequence(connection), scope["path"], scope["query_string"])


async def answer_listing(
    request: Request,
    engine: Engine,
    if_none_match: str | None,
    page: Callable[[Connection], bytes],
) -> Response:
    """304 when the client's copy is current, else the JSON body `page` renders; the ETag
    and the page come from one snapshot."""

    def read(connection: Connection) -> Response:
        etag = listing_etag_of(connection, request.scope)
        return conditional(if_none_match, etag) or json_response(page(connection), etag)

    return await run_read(engine, read, scans=True)
