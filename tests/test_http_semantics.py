"""HTTP's ordinary rules, on every route: 405 with Allow, 415, 400 for bodies that do not
parse and 422 for parsed ones that are invalid, strict input types, repeated parameters,
and cursors of an unexpected shape; every error a problem document that changes nothing."""

import base64
import re
import socket
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from app.middleware import StrictQueryRoute, _query_parameters
from app.pagination import encode_cursor
from app.settings import Settings
from bench.servers import api_process
from tests.db_state import row_counts
from tests.factories import World, claim_body, create

PROBLEM = "application/problem+json"
PROBLEM_BASE = "https://sanctions-claims.dev/problems/"
JSON = {"content-type": "application/json"}
MERGE_PATCH = {"content-type": "application/merge-patch+json"}
SECRET = "test-secret"  # the cursor secret of the test settings


@pytest.fixture
def world(client: TestClient) -> World:
    return World(client)


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    assert problem["type"].startswith(PROBLEM_BASE), problem  # never about:blank
    return problem


def _concrete(template: str, world: World) -> str:
    ids = {
        "{claim_id}": world.claim["id"],
        "{source_id}": world.source["id"],
        "{actor_id}": world.actor["id"],
        "{instrument_id}": "no-such-instrument",
    }
    for name, value in ids.items():
        template = template.replace(name, value)
    return template


# 405 lists every method of the path, from the document (not from the route table the
# server uses), with HEAD wherever GET is. A concrete path is matched before the templates
# it also fits, as OpenAPI says: `/v1/claims/facets` has its own methods only, not those of
# `/v1/claims/{claim_id}`.


def _documented_methods(client: TestClient) -> dict[str, set[str]]:
    paths = client.get("/openapi.json").json()["paths"]
    return {path: {method.upper() for method in operations} for path, operations in paths.items()}


def _methods_of(path: str, documented: dict[str, set[str]]) -> set[str]:
    found: set[str] = set(documented.get(path, ()))
    for template, methods in documented.items() if not found else ():
        if re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", template), path):
            found |= methods
    return found | ({"HEAD"} if "GET" in found else set())


def test_every_405_lists_every_method_of_the_path(client: TestClient, world: World) -> None:
    documented = _documented_methods(client)
    path = _concrete("/v1/sources/{source_id}", world)
    assert _methods_of(path, documented) == {"GET", "HEAD", "PATCH", "DELETE"}
    assert _methods_of("/v1/claims/transitions", documented) == {"GET", "HEAD"}
    for template in documented:
        path = _concrete(template, world)
        methods = _methods_of(path, documented)
        for method in sorted({"GET", "POST", "PUT", "PATCH", "DELETE"} - methods):
            response = client.request(method, path)
            _problem(response, 405)
            allowed = {m.strip() for m in response.headers["Allow"].split(",")}
            assert allowed == methods, (method, template)


def test_put_on_the_claims_list_is_405_with_get_head_and_post(client: TestClient) -> None:
    response = client.put("/v1/claims", json={})
    assert _problem(response, 405)["type"] == PROBLEM_BASE + "method-not-allowed"
    assert response.headers["Allow"] == "GET, HEAD, POST"


def test_an_unknown_path_is_a_404_problem(client: TestClient) -> None:
    assert _problem(client.get("/v2/nothing"), 404)["type"] == PROBLEM_BASE + "not-found"


# Bodies: 415, 400, 422.


@pytest.mark.parametrize(
    ("method", "path", "headers", "accepted"),
    [
        ("POST", "/v1/sources", {"content-type": "text/plain"}, "application/json"),
        ("POST", "/v1/sources", {"content-type": "application/x-www-form-urlencoded"}, None),
        ("POST", "/v1/claims", MERGE_PATCH, "application/json"),
        ("PATCH", "/v1/sources/{source_id}", JSON, "application/merge-patch+json"),
        ("PATCH", "/v1/claims/{claim_id}", {}, "application/merge-patch+json"),
    ],
)
def test_another_media_type_is_415_naming_the_accepted_one(
    client: TestClient,
    engine: Engine,
    world: World,
    method: str,
    path: str,
    headers: dict[str, str],
    accepted: str | None,
) -> None:
    before = row_counts(engine)
    url = _concrete(path, world)
    etag = client.get(url).headers.get("ETag", "") if method == "PATCH" else ""
    response = client.request(
        method, url, content=b'{"title": "x"}', headers={**headers, "If-Match": etag}
    )
    problem = _problem(response, 415)
    if accepted:
        assert problem["accepted"] == [accepted]
        assert accepted in problem["detail"]
    assert row_counts(engine) == before


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b'{"kind": "news_article",\n  "title": }', "line 2, column 12"),
        (b'{"title": "caf\xe9"}', "not UTF-8"),
        (b'{"title": "x", "n": ' + b"9" * 5000 + b"}", "too long"),
        (b'{"title": NaN}', "not readable JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    ],
    ids=["syntax", "latin-1", "long number", "NaN", "deep"],
)
def test_a_body_that_does_not_parse_is_400(
    client: TestClient, engine: Engine, body: bytes, says: str
) -> None:
    before = row_counts(engine)
    problem = _problem(client.post("/v1/sources", content=body, headers=JSON), 400)
    assert says in problem["detail"]
    assert row_counts(engine) == before


def test_a_parsed_body_that_is_invalid_is_422(client: TestClient) -> None:
    _problem(client.post("/v1/sources", content=b"[1, 2]", headers=JSON), 422)
    _problem(client.post("/v1/sources", content=b"{}", headers=JSON), 422)
    _problem(client.post("/v1/sources", headers=JSON), 422)  # no body at all


# Strict input types.


@pytest.mark.parametrize(
    ("override", "pointer"),
    [
        ({"confidence": True}, "/confidence"),
        ({"confidence": "0.5"}, "/confidence"),
        ({"start": "0"}, "/evidence/0/start"),
        ({"end": 10.0}, "/evidence/0/end"),
        ({"start": False}, "/evidence/0/start"),
    ],
)
def test_numbers_are_json_numbers(
    client: TestClient, engine: Engine, world: World, override: dict[str, Any], pointer: str
) -> None:
    body = claim_body(world.source["id"], world.actor["id"])
    if "confidence" in override:
        body |= override
    else:
        body["evidence"][0] |= override
    before = row_counts(engine)
    problem = _problem(client.post("/v1/claims", json=body), 422)
    assert pointer in {error.get("pointer") for error in problem["errors"]}
    assert row_counts(engine) == before


def test_an_integer_is_a_confidence(client: TestClient, world: World) -> None:
    body = claim_body(world.source["id"], world.actor["id"], confidence=1)
    assert create(client, "/v1/claims", body)["confidence"] == 1


@pytest.mark.parametrize("value", ["1700000000", "1700000000.5", "2024", "yesterday"])
def test_a_bare_number_is_not_a_date_time(client: TestClient, value: str) -> None:
    problem = _problem(client.get(f"/v1/claims?updated_since={value}"), 422)
    assert problem["errors"][0]["parameter"] == "updated_since"


def test_an_iso_date_time_is_one(client: TestClient, world: World) -> None:
    found = client.get("/v1/claims?updated_since=2000-01-01T00:00:00Z").json()["data"]
    assert [claim["id"] for claim in found] == [world.claim["id"]]


# Query parameters given twice, on every route that has single-valued ones.


def _api_routes(client: TestClient) -> list[APIRoute]:
    return [
        route
        for route in client.app.routes  # type: ignore[attr-defined]
        if isinstance(route, APIRoute)
    ]


def test_every_api_route_is_strict(client: TestClient) -> None:
    assert all(isinstance(route, StrictQueryRoute) for route in _api_routes(client))


def test_a_single_valued_parameter_given_twice_is_422_on_every_route(
    client: TestClient, world: World
) -> None:
    checked = 0
    for route in _api_routes(client):
        single = sorted(
            name for name, repeats in _query_parameters(route.dependant).items() if not repeats
        )
        for method in sorted(route.methods):
            for name in single:
                url = f"{_concrete(route.path, world)}?{name}=1&{name}=2"
                problem = _problem(client.request(method, url), 422)
                assert problem["errors"] == [
                    {"parameter": name, "detail": "This parameter takes one value, not several"}
                ], (method, url)
                checked += 1
    assert checked >= 20


# A validly signed cursor of another shape is a 400 on every list.


def _lists(world: World) -> list[str]:
    return [
        "/v1/claims?limit=1",
        "/v1/claims?limit=1&sort=date",
        "/v1/sources?limit=1",
        "/v1/actors?limit=1",
        "/v1/instruments?limit=1",
        "/v1/changes?limit=1",  # its cursor is `after`
        f"/v1/claims/{world.claim['id']}/revisions?limit=1",
        f"/v1/actors/{world.actor['id']}/timeline?limit=1",
    ]


def _scope_of(cursor: str) -> str:
    payload = cursor.split(".")[0]
    scope: str = orjson.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))[0]
    return scope


SHAPES: list[list[Any]] = [[], [None], [1, 2, 3, 4, 5, 6, 7], [[1], {"a": 1}], [{"a": 1}]]


def test_a_signed_cursor_of_another_shape_is_400_on_every_list(
    client: TestClient, world: World
) -> None:
    second = create(client, "/v1/claims", claim_body(world.source["id"], world.actor["id"]))
    create(client, "/v1/sources", {"kind": "news_article", "title": "Two", "text": "Two."})
    create(client, "/v1/actors", {"kind": "state", "name": "Ukraine"})
    for symbol in ("S/RES/2397 (2017)", "S/RES/2375 (2017)"):
        create(client, "/v1/instruments", {"symbol": symbol, "adopted": "2017-12-22"})
    path = f"/v1/claims/{world.claim['id']}"
    etag = client.get(path).headers["ETag"]
    patched = client.patch(
        path, json={"confidence": 0.5}, headers={**MERGE_PATCH, "If-Match": etag}
    )
    assert patched.status_code == 200, patched.text
    assert second["id"]
    for url in _lists(world):
        page = client.get(url)
        assert page.status_code == 200, (url, page.text)
        cursor = page.json()["next_cursor"]
        assert cursor, url
        name = "after" if url.startswith("/v1/changes") else "cursor"
        assert client.get(f"{url}&{name}={cursor}").status_code == 200
        for key in SHAPES:
            forged = encode_cursor(SECRET, _scope_of(cursor), key)
            _problem(client.get(f"{url}&{name}={forged}"), 400)


# What the server itself answers, before the app: over a socket to `claims serve`.


def _raw(base_url: str, request: bytes) -> tuple[bytes, dict[bytes, bytes], bytes]:
    host, port = base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(request)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
            if b"\r\n\r\n" in received:
                head, _, body = received.partition(b"\r\n\r\n")
                headers = dict(
                    line.split(b": ", 1) for line in head.split(b"\r\n")[1:] if b": " in line
                )
                if len(body) >= int(headers.get(b"content-length", b"0")):
                    break
    status_line, _, _ = head.partition(b"\r\n")
    return status_line, {k.lower(): v for k, v in headers.items()}, body


def test_the_served_api_answers_unreadable_requests_with_a_problem(
    settings: Settings, tmp_path: Path
) -> None:
    with api_process(settings.database_url, settings.cursor_secret, tmp_path) as server:
        for target in (b"/v1/claims/caf\xc3\xa9", b"/v1/claims?q=\xff"):
            status, headers, body = _raw(
                server.base_url, b"GET " + target + b" HTTP/1.1\r\nHost: x\r\n\r\n"
            )
            assert status == b"HTTP/1.1 400 Bad Request", target
            assert headers[b"content-type"] == PROBLEM.encode()
            problem = orjson.loads(body)
            assert problem["type"] == PROBLEM_BASE + "bad-request"
            assert "ASCII" in problem["detail"]
        # HEAD over the wire: the GET's headers, Content-Length included, and no body.
        status, headers, body = _raw(
            server.base_url, b"HEAD /v1/claims HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        assert status == b"HTTP/1.1 200 OK"
        assert int(headers[b"content-length"]) > 0
        assert body == b""
        assert headers[b"etag"].startswith(b'"')
