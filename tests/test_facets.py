"""GET /v1/claims/facets counts what the test counts from the rows it created."""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from app.claims.search import search_text
from app.isodates import parse_prefix
from devtools import bulk
from devtools.generator import Dataset, GeneratedClaim, generate
from tests.spans import spans, years
from tests.test_plans import recorded

VISIBLE = {"published", "disputed"}


@pytest.fixture
def dataset(engine: Engine) -> Dataset:
    generated = generate(seed=7, claims=1200)
    bulk.load(engine, generated)
    return generated


def _ranked(counts: Counter[str]) -> list[dict[str, Any]]:
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [{"value": value, "count": count} for value, count in ordered]


@dataclass(frozen=True)
class Window:
    """A date filter as the client writes it, and what it means for a generated claim."""

    kind: str = "occurred"
    first: str | None = None
    last: str | None = None

    def params(self) -> dict[str, str]:
        written = {"date_kind": self.kind, "date_from": self.first, "date_to": self.last}
        return {name: value for name, value in written.items() if value is not None}

    def _bounds(self) -> tuple[date | None, date | None]:
        first = parse_prefix(self.first).earliest if self.first else None
        last = parse_prefix(self.last).latest if self.last else None
        return first, last

    def years(self, claim: GeneratedClaim) -> set[int]:
        """The years of the window the claim's dates of the kind overlap."""
        first, last = self._bounds()
        return {y for span in spans(claim.dates, self.kind) for y in years(span, first, last)}

    def holds(self, claim: GeneratedClaim) -> bool:
        return (self.first is None and self.last is None) or bool(self.years(claim))


def _oracle(
    dataset: Dataset,
    keep: Callable[[GeneratedClaim], bool],
    window: Window,
    statuses: set[str] = VISIBLE,
) -> dict[str, Any]:
    """The facets counted from the generated claims, whatever the database did."""
    chosen = [c for c in dataset.claims if c.status in statuses and keep(c) and window.holds(c)]
    names = {actor.id: actor.name for actor in dataset.actors}
    actors = Counter(actor_id for claim in chosen for actor_id in {a for a, _ in claim.actors})
    top = sorted(actors.items(), key=lambda item: (-item[1], item[0]))[:20]
    years = Counter(year for claim in chosen for year in window.years(claim))
    return {
        "total": len(chosen),
        "date_kind": window.kind,
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
    assert response.json() == _oracle(dataset, lambda claim: True, Window())


def test_facets_follow_the_filters(client: TestClient, dataset: Dataset) -> None:
    north_korea = next(actor for actor in dataset.actors if actor.name == "North Korea")
    response = client.get("/v1/claims/facets", params={"actor": "DPRK", "date_kind": "start"})
    assert response.json() == _oracle(
        dataset, lambda claim: north_korea.id in {a for a, _ in claim.actors}, Window("start")
    )
    response = client.get(
        "/v1/claims/facets", params={"predicate": ["obligation", "talks"], "program": "DPRK3"}
    )
    assert response.json() == _oracle(
        dataset,
        lambda claim: claim.predicate in {"obligation", "talks"} and "DPRK3" in claim.programs,
        Window(),
    )


Keep = Callable[[Dataset], Callable[[GeneratedClaim], bool]]


def _everything(dataset: Dataset) -> Callable[[GeneratedClaim], bool]:
    return lambda claim: True


def _acts_as(name: str, *roles: str) -> Keep:
    """Claims naming the actor called `name` (in one of `roles`, when given)."""

    def keep(dataset: Dataset) -> Callable[[GeneratedClaim], bool]:
        actor = next(actor.id for actor in dataset.actors if actor.name == name)
        return lambda claim: any(a == actor and (not roles or r in roles) for a, r in claim.actors)

    return keep


def _says(*words: str, without: str | None = None) -> Keep:
    """Claims whose statement or quotes hold every word of `words` and not `without`."""

    def says(claim: GeneratedClaim) -> bool:
        said = set(search_text(claim.statement, [span[3] for span in claim.evidence]).split())
        return set(words) <= said and without not in said

    return lambda dataset: says


def _predicate(name: str) -> Keep:
    return lambda dataset: lambda claim: claim.predicate == name


THREE_YEARS = Window("occurred", "2014-01-01", "2016-12-31")  # what the benchmark asks


@pytest.mark.parametrize(
    ("params", "keep", "window", "statuses"),
    [
        pytest.param({}, _everything, Window(), VISIBLE, id="no filter"),
        pytest.param({}, _everything, THREE_YEARS, VISIBLE, id="date window"),
        pytest.param({}, _everything, Window("occurred", "2019"), VISIBLE, id="window from"),
        pytest.param({}, _everything, Window("start", None, "2017-06"), VISIBLE, id="window to"),
        pytest.param({}, _everything, Window("occurred", "1990", "1999"), VISIBLE, id="empty"),
        pytest.param(
            {"actor": "DPRK"},
            _acts_as("North Korea"),
            Window("occurred", "2018", "2020"),
            VISIBLE,
            id="actor and window",
        ),
        pytest.param(
            {"actor": "Russia", "actor_role": ["agent", "participant"]},
            _acts_as("Russia", "agent", "participant"),
            Window("reported", "2020-03", "2022"),
            VISIBLE,
            id="actor role and window",
        ),
        pytest.param(
            {"predicate": "talks"}, _predicate("talks"), Window("reported"), VISIBLE, id="predicate"
        ),
        pytest.param({"q": "workers"}, _says("workers"), Window(), VISIBLE, id="full text"),
        pytest.param(
            {"q": "relations -syria"},
            _says("relations", without="syria"),
            THREE_YEARS,
            VISIBLE,
            id="full text and window",
        ),
        pytest.param({"status": "retracted"}, _everything, Window(), {"retracted"}, id="retracted"),
        pytest.param(
            {"status": ["draft", "retracted"]},
            _everything,
            Window("reported", "2021"),
            {"draft", "retracted"},
            id="statuses and window",
        ),
    ],
)
def test_facets_match_the_generated_claims(
    client: TestClient,
    dataset: Dataset,
    params: dict[str, Any],
    keep: Keep,
    window: Window,
    statuses: set[str],
) -> None:
    response = client.get("/v1/claims/facets", params={**params, **window.params()})
    assert response.status_code == 200, response.text
    assert response.json() == _oracle(dataset, keep(dataset), window, statuses)


def test_facets_count_each_claim_once(client: TestClient, dataset: Dataset) -> None:
    """A claim naming an actor in two roles, with two dates in one year, counts once."""
    north_korea = next(actor.id for actor in dataset.actors if actor.name == "North Korea")
    twice = replace(
        dataset.claims[0],
        status="published",
        actors=[(north_korea, "agent"), (north_korea, "target")],
        dates=[("occurred", "2015-03"), ("occurred", "2015-07-04"), ("occurred", "2016")],
    )
    created = client.post("/v1/claims", json=twice.body())
    assert created.status_code == 201, created.text
    dataset.claims.append(replace(twice, id=created.json()["id"]))
    for window in (Window(), THREE_YEARS, Window("occurred", "2015-06", "2015-08")):
        response = client.get("/v1/claims/facets", params=window.params())
        assert response.json() == _oracle(dataset, _everything(dataset), window), window


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


def test_facets_select_the_claims_once(
    client: TestClient, engine: Engine, dataset: Dataset
) -> None:
    """One statement counts every facet, from one evaluation of the filters."""
    window = THREE_YEARS.params()
    with recorded(engine) as statements:
        response = client.get("/v1/claims/facets", params={"program": "DPRK3", **window})
    assert response.status_code == 200, response.text
    filtered = [(sql, values) for sql, values in statements if "claim_program.program IN" in sql]
    assert len(filtered) == 1, statements
    ((sql, values),) = filtered
    assert sql.count("claim_program.program IN") == 1, sql
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, values)
            plan = "\n".join(row[-1] for row in rows)
        # The date range is scanned once, for the filter; the year facet then reads the
        # matched claims' own dates by claim id.
        assert plan.count("USING INDEX ix_claim_date_kind_") == 1, plan


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
