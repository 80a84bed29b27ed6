"""app.fastpath answers claim lookups and current list polls before the framework does, and
its answers are the framework's own, byte for byte; everything else passes through."""

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import Engine
from starlette.types import Receive, Scope, Send

from app.fastpath import FastReads
from app.main import create_app
from app.settings import Settings
from tests.factories import World, claim_body, create

CLAIMS_QUERY = "/v1/claims?predicate=talks&limit=5"
LISTINGS = ["/v1/claims", "/v1/claims/facets", "/v1/sources", "/v1/actors", "/v1/instruments"]


class Passed:
    """An inner app that records what the fast path let through."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.paths: list[str] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.paths.append(scope["path"])
        await self.app(scope, receive, send)


@pytest.fixture
def world(client: TestClient) -> World:
    return World(client)


@pytest.fixture
def framework(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    """The same app without the fast path: every answer made by the routes."""
    app = create_app(settings, engine)
    app.user_middleware = [m for m in app.user_middleware if m.cls is not FastReads]
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def watched(client: TestClient) -> Iterator[Passed]:
    """The fast path of `client`'s app over a recorder of what it passes on."""
    app = client.app
    assert isinstance(app, FastAPI)
    stack = app.middleware_stack
    assert stack is not None
    fast = _find_fast_reads(stack)
    inner = Passed(fast.app)  # type: ignore[arg-type]
    fast.app = inner
    yield inner
    fast.app = inner.app


def _find_fast_reads(layer: object) -> FastReads:
    while not isinstance(layer, FastReads):
        layer = layer.app  # type: ignore[attr-defined]
    return layer


def _same(fast: Response, slow: Response) -> None:
    assert fast.status_code == slow.status_code
    assert fast.content == slow.content
    keep = {"etag", "cache-control", "content-type", "content-length"}
    assert {k: v for k, v in fast.headers.items() if k in keep} == {
        k: v for k, v in slow.headers.items() if k in keep
    }


def test_claim_lookup_is_the_routes_answer(
    client: TestClient, framework: TestClient, world: World, watched: Passed
) -> None:
    path = f"/v1/claims/{world.claim['id']}"
    fast, slow = client.get(path), framework.get(path)
    assert fast.status_code == 200
    _same(fast, slow)
    etag = fast.headers["ETag"]
    fast, slow = (c.get(path, headers={"If-None-Match": etag}) for c in (client, framework))
    assert fast.status_code == 304
    _same(fast, slow)
    assert watched.paths == []  # neither went through the framework


def test_misses_and_queries_go_to_the_framework(
    client: TestClient, world: World, watched: Passed
) -> None:
    missing = client.get("/v1/claims/no-such-claim")
    assert missing.status_code == 404
    assert missing.headers["Content-Type"] == "application/problem+json"
    assert client.get(f"/v1/claims/{world.claim['id']}?x=1").status_code == 422
    assert client.get(f"/v1/claims/{'a' * 300}").status_code == 422
    assert client.get(CLAIMS_QUERY).status_code == 200  # no If-None-Match
    assert client.get(CLAIMS_QUERY, headers={"If-None-Match": '"stale"'}).status_code == 200
    assert watched.paths == [
        "/v1/claims/no-such-claim",
        f"/v1/claims/{world.claim['id']}",
        f"/v1/claims/{'a' * 300}",
        "/v1/claims",
        "/v1/claims",
    ]


@pytest.mark.parametrize("path", LISTINGS)
def test_current_list_poll_is_answered_304_before_routing(
    client: TestClient, framework: TestClient, world: World, watched: Passed, path: str
) -> None:
    etag = client.get(path).headers["ETag"]
    assert framework.get(path).headers["ETag"] == etag  # one ETag rule for both
    fast = client.get(path, headers={"If-None-Match": etag})
    _same(fast, framework.get(path, headers={"If-None-Match": etag}))
    assert fast.status_code == 304
    assert watched.paths == [path]  # only the first, unconditional read was routed


def test_a_write_to_the_page_ends_the_304(client: TestClient, world: World) -> None:
    etag = client.get(CLAIMS_QUERY).headers["ETag"]
    assert client.get(CLAIMS_QUERY, headers={"If-None-Match": etag}).status_code == 304
    body = {**claim_body(world.source["id"], world.actor["id"]), "predicate": "talks"}
    create(client, "/v1/claims", body)
    again = client.get(CLAIMS_QUERY, headers={"If-None-Match": etag})
    assert again.status_code == 200
    assert again.headers["ETag"] != etag
    assert body["statement"] in again.text


def test_an_unrelated_write_keeps_the_304(
    client: TestClient, world: World, watched: Passed
) -> None:
    """The page's own validator: a claim outside the filter changes the sequence (so the
    poll is routed) but not the page (so it is still a 304)."""
    etag = client.get(CLAIMS_QUERY).headers["ETag"]
    create(client, "/v1/claims", claim_body(world.source["id"], world.actor["id"]))
    create(client, "/v1/actors", {"name": "Someone Unrelated", "kind": "state"})
    again = client.get(CLAIMS_QUERY, headers={"If-None-Match": etag})
    assert (again.status_code, again.headers["ETag"]) == (304, etag)
    assert watched.paths[-1] == "/v1/claims"  # routed: the sequence moved
