"""The query models are the one declaration of the claim reads' parameters: the OpenAPI
document shows exactly their fields, unknown and repeated single-valued parameters are
refused, and the statements compiled once per filter shape answer what freshly built
statements answer, whatever the values bound into them."""

import random
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy import Engine

from app.claims import statements
from app.claims.params import ClaimFilterParams, ClaimListParams, TimelineParams
from devtools import bulk
from devtools.generator import Dataset, generate

OPERATIONS: list[tuple[str, type[BaseModel]]] = [
    ("/v1/claims", ClaimListParams),
    ("/v1/claims/facets", ClaimFilterParams),
    ("/v1/actors/{actor_id}/timeline", TimelineParams),
]


@pytest.mark.parametrize(("path", "model"), OPERATIONS)
def test_openapi_parameters_are_the_query_model(
    client: TestClient, path: str, model: type[BaseModel]
) -> None:
    operation = client.get("/openapi.json").json()["paths"][path]["get"]
    declared = {p["name"]: p for p in operation["parameters"] if p["in"] == "query"}
    assert list(declared) == list(model.model_fields)
    for name, field in model.model_fields.items():
        described = field.description
        if "$ref" in declared[name]["schema"]:  # a bare $ref: the default is in the words
            described = f"{described} Default: `{field.default}`."
        assert declared[name]["description"] == described
        assert declared[name].get("required", False) is False


@pytest.mark.parametrize("path", ["/v1/claims", "/v1/claims/facets", "/v1/sources"])
def test_a_single_valued_parameter_given_twice_is_refused(client: TestClient, path: str) -> None:
    name = "kind" if path == "/v1/sources" else "date_kind"
    response = client.get(path, params=[(name, "occurred"), (name, "reported")])
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"] == [
        {"parameter": name, "detail": "This parameter takes one value, not several"}
    ]


def test_repeatable_parameters_still_repeat(client: TestClient) -> None:
    response = client.get("/v1/claims", params=[("status", "published"), ("status", "disputed")])
    assert response.status_code == 200, response.text


def test_an_unknown_parameter_is_refused(client: TestClient) -> None:
    response = client.get("/v1/claims", params={"actr": "DPRK"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["parameter"] == "actr"


# The compiled-statement cache against plain statements.


@pytest.fixture
def dataset(engine: Engine) -> Dataset:
    generated = generate(seed=11, claims=600)
    bulk.load(engine, generated)
    return generated


def _random_queries(dataset: Dataset, rng: random.Random) -> list[dict[str, Any]]:
    """Filter combinations of every shape the benchmark and dashboards send, with values
    drawn at random, so two requests of one shape bind different values."""
    actors = [actor.id for actor in dataset.actors]
    made: list[dict[str, Any]] = []
    for _ in range(40):
        params: dict[str, Any] = {"limit": rng.choice([1, 5, 50])}
        if rng.random() < 0.6:
            params["actor"] = rng.sample(actors, rng.choice([1, 2]))
        if rng.random() < 0.5:
            year = rng.randint(2014, 2023)
            params["date_from"] = str(year)
            params["date_to"] = str(year + rng.choice([0, 1, 3]))
        if rng.random() < 0.3:
            params["status"] = rng.sample(["published", "disputed", "draft", "retracted"], 2)
        if rng.random() < 0.3:
            params["min_confidence"] = rng.choice([0.2, 0.5, 0.9])
        if rng.random() < 0.4:
            params["date_kind"] = rng.choice(["occurred", "reported", "adopted", "start", "any"])
        params["sort"] = rng.choice(["id", "date", "-date", "updated_at", "-updated_at"])
        made.append(params)
    return made


def _random_timelines(dataset: Dataset, rng: random.Random) -> list[tuple[str, dict[str, Any]]]:
    """Timelines of every shape: kinds, roles, a window or none (undated claims last)."""
    made: list[tuple[str, dict[str, Any]]] = []
    for _ in range(12):
        params: dict[str, Any] = {"limit": rng.choice([1, 5, 50])}
        if rng.random() < 0.5:
            params["date_kind"] = rng.sample(["occurred", "start", "deadline", "reported"], 2)
        if rng.random() < 0.3:
            params["actor_role"] = "participant"
        if rng.random() < 0.5:
            year = rng.randint(2014, 2023)
            params["date_from"] = str(year)
            if rng.random() < 0.5:
                params["date_to"] = str(year + 2)
        made.append((rng.choice(dataset.actors).id, params))
    # And, of the most named actor, one whose claims mostly have no date of the kind.
    named = [actor_id for claim in dataset.claims for actor_id, _ in claim.actors]
    busiest = max(set(named), key=named.count)
    made.append((busiest, {"date_kind": "adopted", "limit": 50}))
    made.append((busiest, {"date_kind": "occurred", "limit": 50}))
    return made


def _timeline(client: TestClient, actor_id: str, params: dict[str, Any]) -> list[Any]:
    pages: list[Any] = []
    cursor = None
    for _ in range(4):
        response = client.get(
            f"/v1/actors/{actor_id}/timeline", params={**params, "cursor": cursor}
        )
        pages.append((response.status_code, response.json(), response.headers.get("ETag")))
        cursor = response.json().get("next_cursor")
        if response.status_code != 200 or cursor is None:
            break
    return pages


def _walk(client: TestClient, params: dict[str, Any]) -> list[Any]:
    pages: list[Any] = []
    cursor = None
    for _ in range(4):
        response = client.get("/v1/claims", params={**params, "cursor": cursor})
        pages.append((response.status_code, response.json(), response.headers.get("ETag")))
        if response.status_code != 200:
            break
        facets = client.get(
            "/v1/claims/facets",
            params={k: v for k, v in params.items() if k not in ("limit", "sort", "cursor")},
        )
        pages.append((facets.status_code, facets.json()))
        cursor = response.json()["next_cursor"]
        if cursor is None:
            break
    return pages


def test_compiled_statements_answer_what_plain_statements_answer(
    client: TestClient, dataset: Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    cases = _random_queries(dataset, random.Random(5))
    timelines = _random_timelines(dataset, random.Random(6))
    cached = [_walk(client, params) for params in cases]
    cached_timelines = [_timeline(client, actor, params) for actor, params in timelines]
    monkeypatch.setattr(statements, "run", statements.run_plain)
    plain = [_walk(client, params) for params in cases]
    assert cached == plain
    assert cached_timelines == [_timeline(client, actor, params) for actor, params in timelines]
    assert sum(len(page[1]["data"]) for walk in cached for page in walk[::2]) > 100
    entries = [entry for walk in cached_timelines for page in walk for entry in page[1]["data"]]
    assert any(entry["date"] is None for entry in entries)
    assert any("/" in entry["date"]["value"] for entry in entries if entry["date"])
