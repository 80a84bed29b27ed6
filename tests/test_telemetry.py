"""Request ids on every answer, one JSON log line per request, and Prometheus metrics."""

import io
import json
import re
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine

from app.main import create_app
from app.settings import Settings
from tests.factories import World

GENERATED_ID = re.compile(r"^[0-9a-f]{16}-[0-9a-f]+$")


@pytest.fixture
def world(client: TestClient) -> World:
    return World(client)


def _samples(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/claims/{claim}"),  # answered before routing
        ("HEAD", "/v1/claims/{claim}"),
        ("GET", "/v1/claims"),
        ("GET", "/v1/claims?limit=0"),  # 422
        ("PUT", "/v1/claims"),  # 405
        ("GET", "/nowhere"),  # 404
        ("POST", "/v1/sources"),  # 422, no body
        ("GET", "/metrics"),
    ],
)
def test_every_answer_carries_a_request_id(
    client: TestClient, world: World, method: str, path: str
) -> None:
    url = path.replace("{claim}", world.claim["id"])
    generated = client.request(method, url)
    assert GENERATED_ID.match(generated.headers["X-Request-Id"])
    kept = client.request(method, url, headers={"X-Request-Id": "lb-7f3a:42"})
    assert kept.headers["X-Request-Id"] == "lb-7f3a:42"


@pytest.mark.parametrize("sent", ["", "has space", "x" * 129, 'quote"', "semi;colon"])
def test_an_insane_request_id_is_replaced(client: TestClient, sent: str) -> None:
    response = client.get("/healthz", headers={"X-Request-Id": sent})
    assert GENERATED_ID.match(response.headers["X-Request-Id"])


def test_a_crash_answers_500_with_its_request_id(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*_: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr("app.claims.queries.fetch_document", explode)
    response = client.get("/v1/claims/anything", headers={"X-Request-Id": "crash-1"})
    assert response.status_code == 500
    assert response.headers["X-Request-Id"] == "crash-1"
    assert response.headers["content-type"] == "application/problem+json"


def test_each_request_is_logged_once_as_a_json_line(client: TestClient, world: World) -> None:
    claim = f"/v1/claims/{world.claim['id']}"
    log = client.app.state.request_log  # type: ignore[attr-defined]
    log.flush()
    log.stream = io.StringIO()
    client.get(claim, headers={"X-Request-Id": "one"})  # the fast path's answer
    client.head(f"/v1/actors/{world.actor['id']}", headers={"X-Request-Id": "two"})
    client.get("/v1/claims?limit=0", headers={"X-Request-Id": "three"})
    client.get("/nowhere", headers={"X-Request-Id": "four"})
    client.get("/openapi.json", headers={"X-Request-Id": "five"})
    log.flush()
    lines = [json.loads(line) for line in log.stream.getvalue().splitlines()]
    assert [{k: v for k, v in line.items() if k != "duration_ms"} for line in lines] == [
        {"method": "GET", "route": "/v1/claims/{claim_id}", "path": claim, "status": 200,
         "request_id": "one"},
        {"method": "HEAD", "route": "/v1/actors/{actor_id}",
         "path": f"/v1/actors/{world.actor['id']}", "status": 200, "request_id": "two"},
        {"method": "GET", "route": "/v1/claims", "path": "/v1/claims", "status": 422,
         "request_id": "three"},
        {"method": "GET", "route": "unmatched", "path": "/nowhere", "status": 404,
         "request_id": "four"},
        {"method": "GET", "route": "/openapi.json", "path": "/openapi.json", "status": 200,
         "request_id": "five"},
    ]  # fmt: skip
    assert all(isinstance(line["duration_ms"], float) for line in lines)


def test_lines_are_written_within_the_flush_delay(settings: Settings, engine: Engine) -> None:
    stream = io.StringIO()
    with TestClient(create_app(settings, engine)) as client:
        client.app.state.request_log.stream = stream  # type: ignore[attr-defined]
        client.get("/healthz", headers={"X-Request-Id": "soon"})
        deadline = time.monotonic() + 5
        while "soon" not in stream.getvalue() and time.monotonic() < deadline:
            client.get("/nowhere")  # the event loop turns; the line is due 50 ms after
            time.sleep(0.02)
    assert '"request_id":"soon"' in stream.getvalue()


def test_uvicorns_own_access_line_is_off_by_default() -> None:
    assert Settings().access_log is False


def test_metrics_count_requests_by_route_template_and_status(
    client: TestClient, world: World
) -> None:
    claim = f"/v1/claims/{world.claim['id']}"
    etag = client.get(claim).headers["ETag"]
    client.get(claim, headers={"If-None-Match": etag})
    client.get("/v1/claims/no-such-claim")
    list_etag = client.get("/v1/claims?limit=5").headers["ETag"]
    client.get("/v1/claims?limit=5", headers={"If-None-Match": list_etag})  # before routing

    samples = _samples(client)

    def count(route: str, status: str, method: str = "GET") -> float:
        labels = (("method", method), ("route", route), ("status", status))
        return samples.get(("claims_http_requests_total", labels), 0)

    assert count("/v1/claims/{claim_id}", "200") == 1
    assert count("/v1/claims/{claim_id}", "304") == 1
    assert count("/v1/claims/{claim_id}", "404") == 1
    assert count("/v1/claims", "200") == 1
    assert count("/v1/claims", "304") == 1
    assert count("/v1/claims", "201", "POST") == 1  # the world's claim
    buckets = [
        value
        for (name, labels), value in samples.items()
        if name == "claims_http_request_duration_seconds_count"
        and ("route", "/v1/claims/{claim_id}") in labels
    ]
    assert sum(buckets) == 3


def test_metrics_show_the_pool_and_the_feeds_last_sequence(
    client: TestClient, world: World
) -> None:
    samples = _samples(client)
    last = client.get("/v1/changes?fields=ids&limit=500").json()["data"][-1]["seq"]
    assert samples[("claims_change_feed_last_sequence", ())] == last
    assert samples[("claims_db_pool_connections_in_use", ())] >= 0
    assert samples[("claims_db_pool_size", ())] >= 1


@pytest.fixture
def quiet(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    """The app with telemetry off, as the benchmark's comparison runs it."""
    app = create_app(settings.model_copy(update={"telemetry": False}), engine)
    with TestClient(app) as client:
        yield client


def test_telemetry_off_sends_no_id(quiet: TestClient) -> None:
    assert "X-Request-Id" not in quiet.get("/healthz").headers
