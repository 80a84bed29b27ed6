"""The hottest reads, answered before the framework routes them.

Dashboards mostly fetch one claim by id and re-poll lists they hold; both answers come
from a single keyed read. Routing, dependency solving and the middleware of the framework
cost several times that read (an in-process claim lookup: about 110 µs through them,
a fraction of that here), so this layer answers:

- `GET /v1/claims/{id}` with no query string, when the claim exists: the route's own
  `claims.queries.lookup` (stored document, ETag, 304 when current);
- `GET` of a list whose `If-None-Match` is the ETag this process last computed for it, when
  nothing was committed since: the 304 of `app.listings` (its first, cheapest step).

Everything else, misses and errors included, goes on to the framework, which answers it
with the same functions. So there is one implementation of each answer; this is only a
shorter way to reach it.
"""

from fastapi import Response
from sqlalchemy import Connection
from starlette.types import ASGIApp, Receive, Scope, Send

from app.claims.queries import lookup
from app.db import run_read
from app.fields import NUL
from app.http import conditional
from app.listings import known_etag
from app.models.base import ID_LENGTH

CLAIM_PREFIX = "/v1/claims/"
# Lists whose answer is a function of the query and the data only (see app.listings).
LISTINGS = frozenset(
    {"/v1/claims", "/v1/claims/facets", "/v1/sources", "/v1/actors", "/v1/instruments"}
)


def _not_modified(connection: Connection, scope: Scope, if_none_match: str) -> Response | None:
    etag = known_etag(connection, scope)
    return conditional(if_none_match, etag) if etag else None


def _if_none_match(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"if-none-match":
            return str(value.decode("latin-1"))
    return None


class FastReads:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            answer = await _answer(scope)
            if answer is not None:
                await answer(scope, receive, send)
                return
        await self.app(scope, receive, send)


async def _answer(scope: Scope) -> Response | None:
    path: str = scope["path"]
    engine = scope["app"].state.engine
    if_none_match = _if_none_match(scope)
    if path in LISTINGS and if_none_match:
        return await run_read(
            engine,
            lambda connection: _not_modified(connection, scope, if_none_match),
            snapshot=False,
        )
    if path.startswith(CLAIM_PREFIX) and path not in LISTINGS and not scope["query_string"]:
        claim_id = path[len(CLAIM_PREFIX) :]
        if not 0 < len(claim_id) <= ID_LENGTH or "/" in claim_id or NUL in claim_id:
            return None
        return await run_read(
            engine, lambda connection: lookup(connection, claim_id, if_none_match), snapshot=False
        )
    return None
