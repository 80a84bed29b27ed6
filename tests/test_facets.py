"""GET /v1/claims/facets counts what the test counts from the rows it created."""

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from app import bulk
from app.generator import Dataset, GeneratedClaim, generate
from app.isodates import parse_prefix

VISIBLE = {"published", "disputed"}


@pytest.fixture
def dataset(engine: Engine) -> Dataset:
    generated = generate(seed=7, claims=1200)
    bulk.load(engine, generated)
    return generated


def _ranked(counts: Counter[str]) -> list[dict[str, Any]]:
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [{"value": value, "count": count} for value, count in ordered]


def _expected(
    dataset: Dataset, keep: Callable[[GeneratedClaim], bool], date_kind: str = "occurred"
) -> dict[str, Any]:
    chosen = [claim for claim in dataset.claims if claim.status in VISIBLE and keep(claim)]
    names = {actor.id: actor.name for actor in dataset.actors}
    actors = Counter(actor_id for claim in chosen for actor_id in {a for a, _ in claim.actors})
    top = sorted(actors.items(), key=lambda item: (-item[1], item[0]))[:20]
    years = Counter(
        year
        for claim in chosen
        for year in {int(value[:4]) for kind, value in claim.dates if kind == date_kind}
    )
    return {
        "total": len(chosen),
        "date_kind": date_kind,
        "predicate": _ranked(Counter(claim.predicate for claim in chosen)),
        "modality": _ranked(Counter(claim.modality for claim in chosen)),
        "status": _ranked(Counter(claim.status for claim in chosen)),
        "program": _ranked(Counter(p for claim in chosen for p in set(claim.programs))),
        "actor": [{"actor_id": a, "name": names[a], "count": n} for a, n in top],
        "year": [{"year": year, "count": years[year]} for year in sorted(years)],
    }


def test_facets_of_everything_visible(client: TestClient, dataset: Dataset) -> None:
    response = client.get("/v1/claims/facets")
    assert response.status_code == 200, response.text
    assert response.json() == _expected(dataset, lambda claim: True)


def test_facets_follow_the_filters(client: TestClient, dataset: Dataset) -> None:
    north_korea = next(actor for actor in dataset.actors if actor.name == "North Korea")
    response = client.get("/v1/claims/facets", params={"actor": "DPRK", "date_kind": "start"})
    assert response.json() == _expected(
        dataset, lambda claim: north_korea.id in {a for a, _ in claim.actors}, "start"
    )
    response = client.get(
        "/v1/claims/facets", params={"predicate": ["obligation", "talks"], "program": "DPRK3"}
    )
    assert response.json() == _expected(
        dataset,
        lambda claim: claim.predicate in {"obligation", "talks"} and "DPRK3" in claim.programs,
    )


def test_year_facet_keeps_to_the_date_range(client: TestClient, dataset: Dataset) -> None:
    response = client.get(
        "/v1/claims/facets",
        params={"date_kind": "reported", "date_from": "2018", "date_to": "2019"},
    )
    body = response.json()

    def reported_in_range(claim: GeneratedClaim) -> bool:
        return any(
            kind == "reported" and "2018" <= value[:4] <= "2019" for kind, value in claim.dates
        )

    chosen = [c for c in dataset.claims if c.status in VISIBLE and reported_in_range(c)]
    assert body["total"] == len(chosen)
    years = Counter(
        year
        for claim in chosen
        for year in {
            parse_prefix(v).earliest.year
            for k, v in claim.dates
            if k == "reported" and "2018" <= v[:4] <= "2019"
        }
    )
    assert body["year"] == [{"year": y, "count": years[y]} for y in sorted(years)]


def test_facets_etag(client: TestClient, dataset: Dataset) -> None:
    first = client.get("/v1/claims/facets", params={"predicate": "talks"})
    etag = first.headers["ETag"]
    again = client.get(
        "/v1/claims/facets", params={"predicate": "talks"}, headers={"If-None-Match": etag}
    )
    assert again.status_code == 304
    other = client.get(
        "/v1/claims/facets", params={"predicate": "recognition"}, headers={"If-None-Match": etag}
    )
    assert other.status_code == 200
