"""Rate limits: per key, per address without one; 429 past the limit, then through again."""

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from app.main import create_app
from app.models import RateLimitUsage, Role
from app.ratelimits.limiter import Limiter
from app.ratelimits.sharing import CountSharing
from app.settings import Settings
from tests.conftest import issue_key
from tests.factories import World

# A window start: the fake clock starts at the beginning of a window, so Reset is exact.
START = 1_800_000_000.0
WINDOW = 60


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


def limited_app(settings: Settings, engine: Engine, limit: int, clock: Clock) -> FastAPI:
    limited = settings.model_copy(
        update={
            "rate_limits": True,
            "rate_limit_window_seconds": WINDOW,
            "rate_limit_per_key": limit,
            "rate_limit_per_address": limit,
        }
    )
    app = create_app(limited, engine)
    app.state.limiter.clock = clock
    return app


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def limited(settings: Settings, engine: Engine, clock: Clock) -> Iterator[TestClient]:
    """An anonymous client of an app that allows 3 requests a minute."""
    with TestClient(limited_app(settings, engine, 3, clock), raise_server_exceptions=False) as c:
        yield c


def _limits(answer: httpx.Response) -> dict[str, str]:
    return {
        name: answer.headers[name]
        for name in ("ratelimit-limit", "ratelimit-remaining", "ratelimit-reset")
    }


def test_past_the_limit_is_a_429_and_after_retry_after_requests_succeed(
    limited: TestClient, clock: Clock
) -> None:
    seen = []
    for _ in range(3):
        clock.now += 5
        answer = limited.get("/v1/sources")
        assert answer.status_code == 200
        seen.append(_limits(answer))
    assert seen == [
        {"ratelimit-limit": "3", "ratelimit-remaining": "2", "ratelimit-reset": "55"},
        {"ratelimit-limit": "3", "ratelimit-remaining": "1", "ratelimit-reset": "50"},
        {"ratelimit-limit": "3", "ratelimit-remaining": "0", "ratelimit-reset": "45"},
    ]
    refused = limited.get("/v1/sources")
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json() == {
        "type": "https://sanctions-claims.dev/problems/rate-limited",
        "title": "Too many requests",
        "status": 429,
        "detail": "This address may make 3 requests every 60 s (a 304 counts a quarter); "
        "retry in 45 s.",
        "errors": [],
    }
    assert {**_limits(refused), "retry-after": refused.headers["retry-after"]} == {
        "ratelimit-limit": "3",
        "ratelimit-remaining": "0",
        "ratelimit-reset": "45",
        "retry-after": "45",
    }
    assert limited.get("/v1/claims/anything").status_code == 429  # every /v1 path
    clock.now += int(refused.headers["retry-after"])
    again = limited.get("/v1/sources")
    assert again.status_code == 200
    assert _limits(again) == {
        "ratelimit-limit": "3",
        "ratelimit-remaining": "2",
        "ratelimit-reset": "60",
    }


def test_a_304_costs_a_quarter(limited: TestClient) -> None:
    etag = limited.get("/v1/sources").headers["etag"]  # one unit: 2 left
    remaining = []
    for _ in range(8):  # eight quarters: two units
        answer = limited.get("/v1/sources", headers={"If-None-Match": etag})
        assert answer.status_code == 304
        remaining.append(answer.headers["ratelimit-remaining"])
    assert remaining == ["2", "2", "2", "1", "1", "1", "1", "0"]
    assert limited.get("/v1/sources", headers={"If-None-Match": etag}).status_code == 429


def test_keys_and_addresses_are_counted_apart(
    settings: Settings, engine: Engine, clock: Clock
) -> None:
    app = limited_app(settings, engine, 2, clock)
    first = issue_key(engine, settings, "limited-1", Role.reader)
    second = issue_key(engine, settings, "limited-2", Role.reader)
    with (
        TestClient(app) as anonymous,
        TestClient(app, headers={"Authorization": f"Bearer {first}"}) as one,
        TestClient(app, headers={"Authorization": f"Bearer {second}"}) as other,
    ):
        for client in (anonymous, one):
            assert [client.get("/v1/actors").status_code for _ in range(3)] == [200, 200, 429]
        assert other.get("/v1/actors").status_code == 200
        refused = one.get("/v1/actors")
        assert refused.json()["detail"].startswith("This key may make 2 requests")
        # Probes, metrics and the document are never limited.
        for path in ("/healthz", "/readyz", "/metrics", "/openapi.json"):
            answer = anonymous.get(path)
            assert answer.status_code == 200, path
            assert "ratelimit-limit" not in answer.headers


def test_writes_count_against_the_key(settings: Settings, engine: Engine, clock: Clock) -> None:
    app = limited_app(settings, engine, 2, clock)
    secret = issue_key(engine, settings, "writer", Role.analyst)
    with TestClient(app, headers={"Authorization": f"Bearer {secret}"}) as client:
        body = {"kind": "state", "name": "Somewhere"}
        assert client.post("/v1/actors", json=body).status_code == 201
        assert client.get("/v1/actors").status_code == 200
        refused = client.post("/v1/actors", json={"kind": "state", "name": "Elsewhere"})
        assert refused.status_code == 429


def test_off_means_no_limits_and_no_headers(anonymous: TestClient) -> None:
    for _ in range(5):
        answer = anonymous.get("/v1/sources")
        assert answer.status_code == 200
        assert not {h for h in answer.headers if h.startswith("ratelimit")}


def test_processes_share_their_counts_through_the_database(engine: Engine) -> None:
    """Two processes' limiters (one engine stands for their one database)."""
    clock = Clock()
    first, second = Limiter(WINDOW, clock), Limiter(WINDOW, clock)
    sharing = [CountSharing(engine, first), CountSharing(engine, second)]
    first.charge("key:a", 1.0)
    first.charge("key:a", 0.25)
    second.charge("key:b", 1.0)
    for limiter, shared in zip((first, second), sharing, strict=True):
        shared.exchange(limiter.window_start, dict(limiter.own))
    second.absorb(second.window_start, sharing[1].exchange(second.window_start, second.own))
    first.absorb(first.window_start, sharing[0].exchange(first.window_start, first.own))
    assert (first.others, second.others) == ({"key:b": 1.0}, {"key:a": 1.25})
    assert second.standing("key:a", 3).remaining == 2
    # A new window: the old one's rows go, and nothing carries over.
    clock.now += WINDOW
    second.roll()
    assert sharing[1].exchange(second.window_start, {"key:a": 1.0}) == {}
    with engine.connect() as connection:
        rows: list[Any] = list(connection.execute(select(RateLimitUsage.window_start)))
        assert rows == [(second.window_start,)]
        assert connection.scalar(select(func.count()).select_from(RateLimitUsage)) == 1


def test_hot_path_lookups_are_limited_like_routed_ones(
    settings: Settings, engine: Engine, clock: Clock, client: TestClient
) -> None:
    claim = World(client).claim
    with TestClient(limited_app(settings, engine, 2, clock)) as limited:
        statuses = [limited.get(f"/v1/claims/{claim['id']}").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_the_document_declares_429_and_the_headers(app: FastAPI) -> None:
    document = app.openapi()
    declared = document["components"]["headers"]
    names = ["RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"]
    for name in names:
        assert declared[name]["schema"] == {"type": "integer", "minimum": 0}
    refs = {name: {"$ref": f"#/components/headers/{name}"} for name in names}
    operations = [
        operation
        for path, item in document["paths"].items()
        if path.startswith("/v1/")
        for method, operation in item.items()
        if method in ("get", "post", "patch", "delete")
    ]
    assert len(operations) > 20
    for operation in operations:
        refused = operation["responses"]["429"]
        assert refused["content"] == {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        }
        assert refused["headers"] == {
            "Retry-After": {
                "description": "Seconds to wait before retrying.",
                "schema": {"type": "integer"},
            },
            **refs,
        }
        for status, response in operation["responses"].items():
            if status.startswith("2") or status == "304":
                assert {k: v for k, v in response["headers"].items() if k in refs} == refs
