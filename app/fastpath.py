"""The hottest reads, answered before the framework routes them.

Dashboards mostly fetch one claim by id and re-poll lists they hold; both answers come
from a single keyed read. Routing, dependency solving and the middleware of the framework
cost several times that read (an in-process claim lookup: about 110 µs through them,
a fraction of that here), so this layer answers:

- `GET /v1/claims/{id}` with no query string, when the claim exists: the route's own
  `claims.queries.lookup` (stored document, ETag, 304 when current);
- `GET` of a list whose `If-None-Match` matches the ETag this process last computed for
  it, when nothing was committed since: the 304 of `app.listings` (its first, cheapest step).

It is the routed app's behaviour by construction, not by imitation:
- it answers only what the framework would answer the same way: the lookup path is the
  `claims_get` route's own template; a list is one its route remembered (app.listings
  remembers a list only after answering it, so only valid queries of real list routes);
  an If-None-Match the route's header rule would refuse (too long, sent twice) is routed;
- anything else, misses and errors included, goes on to the framework, which answers it
  with the same functions: a read that fails here (a locked database, a bug) is routed,
  and the routed app answers it with its error handlers (503 with Retry-After, 500).
- it knows its caller as the routes do (app.keys.auth): a valid key, or none where reads
  need none; a key it cannot accept is routed (the framework answers its 401), and drafts
  are shown only to analysts and above.
So there is one implementation of each answer; this is only a shorter way to reach it.
"""

from fastapi import Response
from fastapi.routing import APIRoute
from sqlalchemy import Connection
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Receive, Scope, Send

from app.claims.queries import lookup
from app.db import run_read
from app.fields import NUL
from app.http import IF_NONE_MATCH_MAX_LENGTH, conditional
from app.keys.auth import hot_path_caller
from app.listings import known_etag, remembers
from app.models.base import ID_LENGTH

# The route whose lookups are answered here, by operation id.
LOOKUP_OPERATION = "claims_get"
# Templates of the lists answered here, by path; the bound keeps memory flat.
REMEMBERED_ROUTES = 4096


def _not_modified(connection: Connection, scope: Scope, if_none_match: str) -> Response | None:
    etag = known_etag(connection, scope)
    return conditional(if_none_match, etag) if etag else None


def _if_none_match(scope: Scope) -> tuple[bool, str | None]:
    """Whether the route would take the If-None-Match header as sent (not when too long or
    sent twice: the request is then routed, and the route answers it), and its value."""
    values = [value for name, value in scope["headers"] if name == b"if-none-match"]
    if not values:
        return True, None
    if len(values) > 1 or len(values[0]) > IF_NONE_MATCH_MAX_LENGTH:
        return False, None
    return True, str(values[0].decode("latin-1"))


class FastReads:
    def __init__(self, app: ASGIApp, routes: list[BaseRoute]) -> None:
        self.app = app
        self.routes = routes
        self.lookup_route = next(
            route
            for route in routes
            if isinstance(route, APIRoute) and route.unique_id == LOOKUP_OPERATION
        )
        prefix, _, parameter = self.lookup_route.path.partition("{")
        assert parameter.endswith("}"), "one id at the path's end"
        assert "/" not in parameter, "one id at the path's end"
        self.lookup_prefix = prefix
        self._list_routes: dict[str, BaseRoute | None] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            try:
                answer = await self._answer(scope)
            except Exception:  # the framework answers it, with its handlers
                answer = None
            if answer is not None:
                await answer(scope, receive, send)
                return
        await self.app(scope, receive, send)

    async def _answer(self, scope: Scope) -> Response | None:
        caller = hot_path_caller(scope)
        if caller is None:
            return None
        path: str = scope["path"]
        engine = scope["app"].state.engine
        usable, if_none_match = _if_none_match(scope)
        if not usable:
            return None
        if if_none_match and remembers(engine, scope):
            answer = await run_read(
                engine,
                lambda connection: _not_modified(connection, scope, if_none_match),
                snapshot=False,
            )
            if answer is not None:
                scope["route"] = self._list_route(path)
            return answer
        if path.startswith(self.lookup_prefix) and not scope["query_string"]:
            claim_id = path[len(self.lookup_prefix) :]
            if not 0 < len(claim_id) <= ID_LENGTH or "/" in claim_id or NUL in claim_id:
                return None
            answer = await run_read(
                engine,
                lambda connection: lookup(
                    connection, claim_id, if_none_match, drafts=caller.sees_drafts
                ),
                snapshot=False,
            )
            if answer is not None:
                scope["route"] = self.lookup_route
            return answer
        return None

    def _list_route(self, path: str) -> BaseRoute | None:
        """The route of a remembered list's path (for the layers outside, which label a
        request with its route's template)."""
        if path not in self._list_routes:
            if len(self._list_routes) >= REMEMBERED_ROUTES:
                self._list_routes.clear()
            scope = {"type": "http", "path": path, "method": "GET", "root_path": ""}
            self._list_routes[path] = next(
                (route for route in self.routes if route.matches(scope)[0] == Match.FULL),
                None,
            )
        return self._list_routes[path]
