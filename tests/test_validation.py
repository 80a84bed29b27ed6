"""Bad input gets a clear problem response and writes nothing."""

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.db_state import row_counts
from tests.factories import PASSAGE, World, claim_body, quote_of

PROBLEM = "application/problem+json"


def _claim(world: World, **overrides: Any) -> dict[str, Any]:
    return claim_body(world.source["id"], world.actor["id"], **overrides)


def _evidence(world: World, **span: Any) -> list[dict[str, Any]]:
    base = {"source_id": world.source["id"], **quote_of(PASSAGE, "North Korea recognised")}
    return [base | span]


BAD_CLAIMS: dict[str, tuple[Callable[[World], dict[str, Any]], str]] = {
    "quote differs from the held text": (
        lambda w: _claim(w, evidence=_evidence(w, quote="North Korea recognized")),
        "/evidence/0/quote",
    ),
    "span shifted by one": (
        lambda w: _claim(w, evidence=_evidence(w, start=4, end=26)),
        "/evidence/0/quote",
    ),
    "span past the end of the text": (
        lambda w: _claim(
            w,
            evidence=_evidence(w, start=len(PASSAGE) - 2, end=len(PASSAGE) + 20, quote="x" * 22),
        ),
        "/evidence/0/end",
    ),
    "end before start": (
        lambda w: _claim(w, evidence=_evidence(w, start=10, end=5, quote="abcde")),
        "/evidence/0",
    ),
    "unknown source": (
        lambda w: _claim(
            w, evidence=_evidence(w, source_id="0190a000-0000-7000-8000-00000000dead")
        ),
        "/evidence/0/source_id",
    ),
    "unknown actor": (
        lambda w: _claim(
            w, actors=[{"actor_id": "0190a000-0000-7000-8000-0000000dead0", "role": "agent"}]
        ),
        "/actors/0/actor_id",
    ),
    "unknown instrument": (
        lambda w: _claim(
            w, instruments=[{"instrument_id": "0190a000-0000-7000-8000-000000000bad"}]
        ),
        "/instruments/0/instrument_id",
    ),
    "unknown relation target": (
        lambda w: _claim(
            w,
            relations=[
                {"relation": "supports", "target_id": "0190a000-0000-7000-8000-000000000bad"}
            ],
        ),
        "/relations/0/target_id",
    ),
    "unknown predicate": (lambda w: _claim(w, predicate="teleportation"), "/predicate"),
    "unknown modality": (lambda w: _claim(w, modality="maybe"), "/modality"),
    "unknown role": (
        lambda w: _claim(w, actors=[{"actor_id": w.actor["id"], "role": "villain"}]),
        "/actors/0/role",
    ),
    "unknown field": (lambda w: _claim(w, sentiment="bad"), "/sentiment"),
    "unknown nested field": (
        lambda w: _claim(w, dates=[{"kind": "occurred", "value": "2022-07", "tz": "UTC"}]),
        "/dates/0/tz",
    ),
    "malformed date": (
        lambda w: _claim(w, dates=[{"kind": "occurred", "value": "July 2022"}]),
        "/dates/0/value",
    ),
    "impossible date": (
        lambda w: _claim(w, dates=[{"kind": "occurred", "value": "2022-02-30"}]),
        "/dates/0/value",
    ),
    "unknown date kind": (
        lambda w: _claim(w, dates=[{"kind": "rumoured", "value": "2022"}]),
        "/dates/0/kind",
    ),
    "end date before start date": (
        lambda w: _claim(
            w,
            dates=[{"kind": "start", "value": "2022-07"}, {"kind": "end", "value": "2022-06-30"}],
        ),
        "/dates/1/value",
    ),
    "confidence above 1": (lambda w: _claim(w, confidence=1.5), "/confidence"),
    "no evidence": (lambda w: _claim(w, evidence=[]), "/evidence"),
    "statement too long": (lambda w: _claim(w, statement="x" * 1001), "/statement"),
    "created retracted": (lambda w: _claim(w, status="retracted"), ""),
    "relation to itself is impossible on create, but unknown ids are caught": (
        lambda w: _claim(w, programs=["DPRK3", "bad program!"]),
        "/programs/1",
    ),
}


@pytest.mark.parametrize("case", list(BAD_CLAIMS))
def test_bad_claim_is_a_problem_and_writes_nothing(
    client: TestClient, engine: Engine, case: str
) -> None:
    world = World(client)
    build, pointer = BAD_CLAIMS[case]
    before = row_counts(engine)

    response = client.post("/v1/claims", json=build(world))

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["status"] == 422
    assert {"type", "title", "detail", "errors"} <= problem.keys()
    assert any(e.get("pointer", "").startswith(pointer) for e in problem["errors"]), problem
    assert row_counts(engine) == before


def test_wrong_quote_shows_the_text_that_is_there(client: TestClient) -> None:
    world = World(client)
    body = _claim(world, evidence=_evidence(world, quote="North Korea recognized"))

    problem = client.post("/v1/claims", json=body).json()

    assert "North Korea recognised" in problem["errors"][0]["detail"]
    assert "evidence 0" in problem["detail"].lower()


def test_every_problem_of_a_body_is_reported_at_once(client: TestClient) -> None:
    world = World(client)
    body = _claim(world, predicate="teleportation", modality="maybe")
    body["actors"] = [{"actor_id": "0190a000-0000-7000-8000-0000000dead0", "role": "agent"}]

    pointers = {e["pointer"] for e in client.post("/v1/claims", json=body).json()["errors"]}

    assert pointers == {"/predicate", "/modality", "/actors/0/actor_id"}


def test_oversize_body_is_413_and_writes_nothing(client: TestClient, engine: Engine) -> None:
    before = row_counts(engine)
    body = {"kind": "news_article", "title": "Big", "text": "x" * 2_000_000}

    response = client.post("/v1/sources", json=body)

    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["status"] == 413
    assert row_counts(engine) == before


def test_malformed_json_is_a_400_that_says_where(client: TestClient) -> None:
    response = client.post(
        "/v1/sources", content=b'{\n  "kind": ', headers={"content-type": "application/json"}
    )

    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert (problem["line"], problem["column"]) == (2, 11)
    assert "line 2, column 11" in problem["detail"]
    assert problem["errors"] == []  # no JSON pointer: there is no parsed document to point into


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/v1/claims?actr=North+Korea", "actr"),
        ("/v1/sources?kinds=x", "kinds"),
        ("/v1/actors?name=DPRK", "name"),
        ("/v1/claims?limit=0", "limit"),
        ("/v1/claims?limit=501", "limit"),
        ("/v1/claims?status=rumour", "status"),
    ],
)
def test_bad_query_parameters_are_422(client: TestClient, path: str, parameter: str) -> None:
    response = client.get(path)

    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    assert parameter in {e.get("parameter") for e in response.json()["errors"]}


def test_tampered_cursor_is_400(client: TestClient) -> None:
    world = World(client)
    for statement in ("one", "two"):
        client.post(
            "/v1/claims",
            json=claim_body(world.source["id"], world.actor["id"], statement=statement),
        )
    cursor = client.get("/v1/claims?limit=1").json()["next_cursor"]

    tampered = client.get(f"/v1/claims?limit=1&cursor={cursor[:-2]}xx")
    other_query = client.get(f"/v1/claims?limit=1&predicate=talks&cursor={cursor}")

    assert tampered.status_code == 400
    assert other_query.status_code == 400
    assert tampered.headers["content-type"] == PROBLEM


def test_unknown_resources_are_404_problems(client: TestClient) -> None:
    for path in ("/v1/claims/nope", "/v1/sources/nope", "/v1/actors/nope", "/v1/instruments/nope"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"] == PROBLEM


def test_a_crash_is_a_500_problem_without_a_stack_trace(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*_: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr("app.claims.queries.fetch_document", explode)

    response = client.get("/v1/claims/anything")

    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM
    assert "secret internals" not in response.text
    assert "Traceback" not in response.text


def test_streamed_oversize_body_is_413(client: TestClient, engine: Engine) -> None:
    before = row_counts(engine)

    def chunks() -> Any:
        yield b'{"kind": "news_article", "title": "Big", "text": "'
        for _ in range(40):
            yield b"x" * 50_000
        yield b'"}'

    response = client.post(
        "/v1/sources", content=chunks(), headers={"content-type": "application/json"}
    )

    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM
    assert row_counts(engine) == before
