"""POSTs with an Idempotency-Key: one write, its answer replayed byte for byte."""

import threading
from datetime import timedelta
from typing import Any

import httpx
import jsonschema
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, update
from sqlalchemy.exc import OperationalError

from app.idempotency import service
from app.idempotency.middleware import request_hash_of
from app.models import IdempotencyEntry, Role
from app.models.base import utcnow
from app.settings import Settings
from tests.conftest import issue_key
from tests.db_state import row_counts
from tests.factories import PASSAGE, source_body

PROBLEM_KEYS = {"type", "title", "status", "detail", "errors"}


def _source(tag: str) -> dict[str, Any]:
    """A source body of its own (two equal texts are duplicates, a 409)."""
    return source_body(text=f"{PASSAGE} ({tag})")


def _kept(answer: httpx.Response) -> tuple[int, bytes, dict[str, str | None]]:
    """What a replay must repeat exactly: status, body bytes, the headers that matter."""
    headers = {name: answer.headers.get(name) for name in ("content-type", "location", "etag")}
    return answer.status_code, answer.content, headers


def _entries(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(IdempotencyEntry)) or 0)


def _problem(answer: httpx.Response, status: int) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = answer.json()
    assert set(problem) == PROBLEM_KEYS
    return problem


def test_a_retry_is_the_first_answer_replayed_and_writes_nothing(
    client: TestClient, engine: Engine
) -> None:
    headers = {"Idempotency-Key": "retry-1"}
    first = client.post("/v1/sources", json=source_body(), headers=headers)
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    after_first = row_counts(engine)
    retry = client.post("/v1/sources", json=source_body(), headers=headers)
    assert _kept(retry) == _kept(first)
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.headers["content-length"] == str(len(first.content))
    assert row_counts(engine) == after_first  # one source, one revision, one entry
    assert client.get(first.headers["location"]).json() == first.json()
    listed = client.get("/v1/sources").json()["data"]
    assert [source["id"] for source in listed] == [first.json()["id"]]


def test_the_same_key_with_another_body_is_a_422_and_changes_nothing(
    client: TestClient, engine: Engine
) -> None:
    headers = {"Idempotency-Key": "retry-2"}
    assert client.post("/v1/sources", json=source_body(), headers=headers).status_code == 201
    before = row_counts(engine)
    other = client.post("/v1/sources", json=source_body(title="Another"), headers=headers)
    assert _problem(other, 422) == {
        "type": "https://sanctions-claims.dev/problems/validation-error",
        "title": "Invalid request",
        "status": 422,
        "detail": "This Idempotency-Key was used for another request (method, path or body); "
        "a retry must repeat its request exactly, and a new request needs a new key.",
        "errors": [
            {
                "parameter": "Idempotency-Key",
                "detail": "This Idempotency-Key was used for another request (method, path or "
                "body); a retry must repeat its request exactly, and a new request needs a new "
                "key.",
            }
        ],
    }
    elsewhere = client.post("/v1/actors", json={"kind": "state", "name": "X"}, headers=headers)
    assert _problem(elsewhere, 422)["errors"][0]["parameter"] == "Idempotency-Key"
    assert row_counts(engine) == before


def test_the_same_key_while_the_first_runs_is_a_409(
    client: TestClient, engine: Engine, settings: Settings
) -> None:
    body = source_body()
    # The first request has claimed the key and not answered yet, as a running one has.
    key_id = client.get("/v1/keys").json()["data"][0]["id"]
    request = client.build_request("POST", "/v1/sources", json=body)
    scope = {"method": "POST", "path": "/v1/sources", "query_string": b""}
    claimed = service.claim(
        engine, key_id, "running", request_hash_of(scope, request.content), timedelta(hours=1)
    )
    assert claimed == service.Claimed()
    before = row_counts(engine)
    answer = client.post("/v1/sources", json=body, headers={"Idempotency-Key": "running"})
    assert _problem(answer, 409) == {
        "type": "https://sanctions-claims.dev/problems/conflict",
        "title": "Conflict",
        "status": 409,
        "detail": "A request with this Idempotency-Key is still running; retry once it has "
        "answered, to be sent its answer.",
        "errors": [],
    }
    assert answer.headers["retry-after"] == "1"
    assert row_counts(engine) == before


def _pair(
    client: TestClient, body: dict[str, Any], headers: dict[str, str]
) -> list[httpx.Response]:
    """The same POST twice at the same moment, from two threads."""
    barrier = threading.Barrier(2)
    answers: list[httpx.Response] = []

    def post() -> None:
        barrier.wait()
        answers.append(client.post("/v1/sources", json=body, headers=headers))

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return answers


def test_a_concurrent_pair_makes_one_row(client: TestClient, engine: Engine) -> None:
    for attempt in range(3):
        answers = _pair(client, _source(str(attempt)), {"Idempotency-Key": f"pair-{attempt}"})
        assert len(answers) == 2
        first = next(
            a for a in answers if a.status_code == 201 and "idempotent-replayed" not in a.headers
        )
        second = next(a for a in answers if a is not first)
        if second.status_code == 201:
            assert second.headers["idempotent-replayed"] == "true"
            assert _kept(second) == _kept(first)
        else:
            assert _problem(second, 409)["detail"].startswith("A request with this Idempotency")
    assert len(client.get("/v1/sources").json()["data"]) == 3
    assert _entries(engine) == 3


def test_a_refused_request_keeps_nothing_so_a_corrected_retry_runs(
    client: TestClient, engine: Engine
) -> None:
    headers = {"Idempotency-Key": "fix-me"}
    before = row_counts(engine)
    refused = client.post("/v1/sources", json=source_body(language="xx-invalid!"), headers=headers)
    assert refused.status_code == 422, refused.text
    assert row_counts(engine) == before  # the entry was released too
    corrected = client.post("/v1/sources", json=source_body(), headers=headers)
    assert corrected.status_code == 201, corrected.text
    assert "idempotent-replayed" not in corrected.headers


def test_keys_are_per_caller(
    client: TestClient, app: FastAPI, engine: Engine, settings: Settings
) -> None:
    secret = issue_key(engine, settings, "other-analyst", Role.analyst)
    headers = {"Idempotency-Key": "shared-name"}
    mine = client.post("/v1/sources", json=source_body(), headers=headers)
    with TestClient(app, headers={"Authorization": f"Bearer {secret}"}) as other:
        theirs = other.post("/v1/sources", json=_source("theirs"), headers=headers)
    assert mine.status_code == theirs.status_code == 201
    assert "idempotent-replayed" not in theirs.headers
    assert mine.json()["id"] != theirs.json()["id"]
    assert _entries(engine) == 2


def test_an_expired_entry_counts_as_absent_and_is_swept(client: TestClient, engine: Engine) -> None:
    headers = {"Idempotency-Key": "old"}
    first = client.post("/v1/sources", json=source_body(), headers=headers)
    with engine.begin() as connection:
        connection.execute(
            update(IdempotencyEntry).values(created_at=utcnow() - timedelta(hours=25))
        )
    again = client.post("/v1/sources", json=_source("again"), headers=headers)
    assert again.status_code == 201
    assert "idempotent-replayed" not in again.headers
    assert again.json()["id"] != first.json()["id"]
    with engine.begin() as connection:
        connection.execute(
            update(IdempotencyEntry).values(created_at=utcnow() - timedelta(hours=25))
        )
    assert service.sweep(engine, utcnow() - timedelta(hours=24)) == 1
    assert _entries(engine) == 0


def test_a_malformed_key_is_a_422(client: TestClient, engine: Engine) -> None:
    before = row_counts(engine)
    for value in ["", "x" * 256, "with space"]:
        answer = client.post("/v1/sources", json=source_body(), headers={"Idempotency-Key": value})
        problem = _problem(answer, 422)
        assert problem["errors"] == [{"parameter": "Idempotency-Key", "detail": problem["detail"]}]
    assert row_counts(engine) == before


def test_the_document_declares_the_header_on_every_post(app: FastAPI) -> None:
    document = app.openapi()
    posts = [
        operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method == "post" and path != "/v1/keys"
    ]
    assert posts
    for operation in posts:
        parameter = next(p for p in operation["parameters"] if p["name"] == "Idempotency-Key")
        assert (parameter["in"], parameter["required"]) == ("header", False)
        jsonschema.Draft202012Validator.check_schema(parameter["schema"])
        assert {"409", "422"} <= set(operation["responses"])
        created = [r for s, r in operation["responses"].items() if s.startswith("2")]
        replayed = {"$ref": "#/components/headers/Idempotent-Replayed"}
        assert all(r["headers"]["Idempotent-Replayed"] == replayed for r in created)
    assert document["components"]["headers"]["Idempotent-Replayed"]["schema"] == {
        "type": "string",
        "enum": ["true"],
    }


def test_a_busy_database_when_claiming_is_a_503_and_changes_nothing(
    client: TestClient, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    def locked(*_: object) -> None:
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr(service, "claim", locked)
    before = row_counts(engine)
    answer = client.post("/v1/sources", json=source_body(), headers={"Idempotency-Key": "busy"})
    assert _problem(answer, 503) == {
        "type": "https://sanctions-claims.dev/problems/busy",
        "title": "Service busy",
        "status": 503,
        "detail": "The database is busy with other writes; retry shortly.",
        "errors": [],
    }
    assert answer.headers["retry-after"] == "1"
    assert row_counts(engine) == before


def test_a_keys_creation_is_never_kept(client: TestClient, engine: Engine) -> None:
    """Its answer holds the new key's secret, which is never stored."""
    headers = {"Idempotency-Key": "new-key"}
    first = client.post("/v1/keys", json={"name": "one", "role": "reader"}, headers=headers)
    second = client.post("/v1/keys", json={"name": "two", "role": "reader"}, headers=headers)
    assert (first.status_code, second.status_code) == (201, 201)
    assert "idempotent-replayed" not in second.headers
    assert first.json()["secret"] != second.json()["secret"]
    assert _entries(engine) == 0
    operation = client.app.openapi()["paths"]["/v1/keys"]["post"]  # type: ignore[attr-defined]
    assert "Idempotency-Key" not in [p["name"] for p in operation.get("parameters", [])]
