"""app.fastpath answers claim lookups and current list polls before the framework does, and
its answers are the framework's own, byte for byte; everything else passes through."""

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
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


# The same request matrix, with and without the fast path: whole answers must be equal.

SAME = {"X-Request-Id": "matrix"}


def _requests(world: World, etags: dict[str, str]) -> list[tuple[str, str, list[tuple[str, str]]]]:
    claim = f"/v1/claims/{world.claim['id']}"
    long_tag = ", ".join(f'"{n:030d}"' for n in range(70))  # over 2,000 characters
    matrix: list[tuple[str, str, list[tuple[str, str]]]] = [
        ("GET", claim, []),
        ("HEAD", claim, []),
        ("GET", claim, [("If-None-Match", etags[claim])]),
        ("HEAD", claim, [("If-None-Match", etags[claim])]),
        ("GET", claim, [("If-None-Match", f'"stale", W/{etags[claim]}')]),
        ("GET", claim, [("If-None-Match", "*")]),
        ("GET", claim, [("If-None-Match", '"stale"')]),
        ("GET", claim, [("If-None-Match", long_tag + ", " + etags[claim])]),
        ("GET", claim, [("If-None-Match", etags[claim]), ("If-None-Match", '"x"')]),
        ("GET", claim + "?x=1", []),
        ("GET", "/v1/claims/no-such-claim", [("If-None-Match", "*")]),
        ("GET", f"/v1/claims/{'a' * 300}", []),
        ("GET", claim + "/", []),
        ("DELETE", claim, []),
    ]
    for path in LISTINGS:
        matrix += [
            ("GET", path, [("If-None-Match", etags[path])]),
            ("HEAD", path, [("If-None-Match", etags[path])]),
            ("GET", path, [("If-None-Match", "*")]),
            ("GET", path, [("If-None-Match", long_tag + ", " + etags[path])]),
            ("GET", path + "?limit=0", [("If-None-Match", "*")]),
            ("GET", path + "?limit=1&limit=1", [("If-None-Match", "*")]),
            ("GET", path + "?cursor=forged.cursor", [("If-None-Match", "*")]),
            ("GET", path + "?unknown=1", [("If-None-Match", etags[path])]),
            ("PUT", path, [("If-None-Match", "*")]),
        ]
    matrix.append(("GET", "/v1/claims?actor=Nobody+Known", [("If-None-Match", "*")]))
    return matrix


def _answers(client: TestClient, matrix: list[tuple[str, str, list[tuple[str, str]]]]) -> list:
    answers = []
    for method, path, headers in matrix:
        response = client.request(method, path, headers=[*SAME.items(), *headers])
        answers.append(
            (method, path, response.status_code, dict(response.headers), response.content)
        )
    return answers


def _etags(client: TestClient, world: World) -> dict[str, str]:
    """The ETags of the claim and of each list, read through the routes (which remembers the
    lists for the fast path)."""
    paths = [f"/v1/claims/{world.claim['id']}", *LISTINGS]
    return {path: client.get(path).headers["ETag"] for path in paths}


def test_the_matrix_answers_the_same_with_and_without_the_fast_path(
    client: TestClient, framework: TestClient, world: World, watched: Passed
) -> None:
    matrix = _requests(world, _etags(client, world))
    fast, slow = _answers(client, matrix), _answers(framework, matrix)
    for with_fast_path, without in zip(fast, slow, strict=True):
        assert with_fast_path == without
    answered_early = len(matrix) - len(watched.paths)
    assert answered_early >= 1 + 2 * len(LISTINGS) + 4  # the matrix does reach the fast path
    statuses = {answer[2] for answer in fast}
    assert {200, 304, 404, 405, 422, 400} <= statuses


def _locked(*_: object, **__: object) -> None:
    raise OperationalError("SELECT", {}, Exception("database is locked"))


def _crash(*_: object, **__: object) -> None:
    raise RuntimeError("secret internals")


@pytest.mark.parametrize(("failure", "status"), [(_locked, 503), (_crash, 500)])
def test_a_failing_read_answers_the_same_on_both_paths(
    client: TestClient,
    framework: TestClient,
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    failure: object,
    status: int,
) -> None:
    etags = _etags(client, world)
    monkeypatch.setattr("app.claims.queries.fetch_document", failure)
    monkeypatch.setattr("app.listings.current_sequence", failure)
    matrix = [
        ("GET", f"/v1/claims/{world.claim['id']}", []),
        ("HEAD", f"/v1/claims/{world.claim['id']}", []),
        *(("GET", path, [("If-None-Match", etags[path])]) for path in LISTINGS),
    ]
    fast, slow = _answers(client, matrix), _answers(framework, matrix)
    assert fast == slow
    for _, _, answered, headers, _ in fast:
        assert answered == status
        assert headers["content-type"] == "application/problem+json"
        if status == 503:
            assert headers["retry-after"] == "1"


def test_the_matrix_is_limited_the_same_with_and_without_the_fast_path(
    client: TestClient, settings: Settings, engine: Engine, world: World
) -> None:
    """With rate limits on, both paths carry the same RateLimit headers on every answer and
    refuse the same requests with the same 429: the limits apply outside the fast path."""
    matrix = _requests(world, _etags(client, world))
    limit = len(matrix) // 2  # the later requests are refused (304s cost a quarter)
    limited = settings.model_copy(
        update={"rate_limits": True, "rate_limit_per_key": limit, "rate_limit_per_address": limit}
    )
    answers = []
    for fast_path in (True, False):
        app = create_app(limited, engine)
        app.state.limiter.clock = lambda: 1_800_000_000.0  # one moment: equal Reset values
        if not fast_path:
            app.user_middleware = [m for m in app.user_middleware if m.cls is not FastReads]
        with TestClient(app, raise_server_exceptions=False) as anonymous:
            answers.append(_answers(anonymous, matrix))
    fast, slow = answers
    assert fast == slow
    statuses = [answer[2] for answer in fast]
    refused = statuses.index(429)
    assert statuses[refused:] == [429] * (len(matrix) - refused)
    assert 304 in statuses[:refused]
    assert fast[refused - 1][3]["ratelimit-remaining"] == "0"
    assert all(answer[3]["ratelimit-limit"] == str(limit) for answer in fast)
