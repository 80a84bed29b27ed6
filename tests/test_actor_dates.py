"""The (actor, date) index stays equal to claim_actor × claim_date through every write."""

from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from app.claims import queries
from devtools import bulk
from devtools.generator import GeneratedClaim, generate
from tests.factories import World, claim_body, create, source_body
from tests.spans import overlaps, spans

MERGE_PATCH = {"content-type": "application/merge-patch+json"}
DERIVED = (
    "SELECT DISTINCT a.claim_id, a.actor_id, d.kind, d.earliest, d.latest "
    "FROM claim_actor a JOIN claim_date d ON d.claim_id = a.claim_id"
)
STORED = "SELECT claim_id, actor_id, kind, earliest, latest FROM claim_actor_date"


def _rows(engine: Engine, sql: str) -> set[tuple[Any, ...]]:
    with engine.connect() as connection:
        return {tuple(str(v) for v in row) for row in connection.execute(text(sql))}


def _in_step(engine: Engine) -> None:
    derived = _rows(engine, DERIVED)
    assert derived
    assert _rows(engine, STORED) == derived


def test_kept_in_step_by_create_update_and_merge(client: TestClient, engine: Engine) -> None:
    world = World(client)
    _in_step(engine)
    path = f"/v1/claims/{world.claim['id']}"
    client.patch(
        path,
        json={
            "dates": [
                {"kind": "occurred", "value": "2021"},
                {"kind": "reported", "value": "2022-08"},
            ]
        },
        headers={**MERGE_PATCH, "If-Match": client.get(path).headers["etag"]},
    )
    _in_step(engine)
    other = create(client, "/v1/actors", {"kind": "state", "name": "DPRK duplicate"})
    client.patch(
        path,
        json={"actors": [{"actor_id": other["id"], "role": "agent"}]},
        headers={**MERGE_PATCH, "If-Match": client.get(path).headers["etag"]},
    )
    client.post(
        f"/v1/actors/{other['id']}/merge",
        json={"into": world.actor["id"]},
        headers={"If-Match": client.get(f"/v1/actors/{other['id']}").headers["etag"]},
    )
    _in_step(engine)
    assert {row[1] for row in _rows(engine, STORED)} == {world.actor["id"]}


def test_kept_in_step_by_the_bulk_path(engine: Engine) -> None:
    bulk.load(engine, generate(seed=5, claims=300))

    _in_step(engine)


def _walk(client: TestClient, **params: Any) -> list[str]:
    ids: list[str] = []
    cursor = None
    while True:
        page = client.get("/v1/claims", params={**params, "limit": 7, "cursor": cursor}).json()
        ids += [claim["id"] for claim in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return ids


@pytest.mark.parametrize("few_in_period", [1, 10**6], ids=["walk", "range"])
def test_actor_period_pages_in_claim_order(
    client: TestClient, engine: Engine, monkeypatch: pytest.MonkeyPatch, few_in_period: int
) -> None:
    """Pages of "actor X in this period", by a walk of claim_actor_date in claim order or
    (on SQLite, when the period holds few rows) a range scan, hold each matching claim once,
    in id order, whether one or several of its dates match."""
    monkeypatch.setattr(queries, "FEW_IN_PERIOD", few_in_period)
    dataset = generate(seed=5, claims=1500)
    bulk.load(engine, dataset)
    counts: dict[str, int] = {}
    for claim in dataset.claims:
        if any(kind == "occurred" for kind, _ in claim.dates):
            for actor_id, _ in claim.actors:
                counts[actor_id] = counts.get(actor_id, 0) + 1
    busiest = sorted(counts, key=lambda actor_id: -counts[actor_id])[:2]
    # A claim with two dates in the periods: one row each in claim_actor_date, one claim.
    source = create(client, "/v1/sources", source_body())
    twice = [{"kind": "occurred", "value": "2015-02"}, {"kind": "occurred", "value": "2016-05"}]
    extra = create(client, "/v1/claims", claim_body(source["id"], busiest[0], dates=twice))
    cases = [
        ([busiest[0]], "2014-01-01", "2016-12-31"),
        ([busiest[0]], "2019-03-01", "2019-03-31"),
        (busiest, "2012-01-01", "2020-12-31"),
    ]
    several_dates_matched = False
    for actors, first, last in cases:
        expected = []
        for claim in sorted([*dataset.claims, _generated(extra)], key=lambda c: c.id):
            window = date.fromisoformat(first), date.fromisoformat(last)
            matching = [span for span in spans(claim.dates, "occurred") if overlaps(span, *window)]
            named = {actor_id for actor_id, _ in claim.actors} & set(actors)
            if claim.status in ("published", "disputed") and named and matching:
                expected.append(claim.id)
                several_dates_matched |= len(matching) > 1
        assert expected, (actors, first, last)
        walked = _walk(client, actor=actors, date_kind="occurred", date_from=first, date_to=last)
        assert walked == expected, (actors, first, last)
    assert several_dates_matched  # the walk's DISTINCT was exercised


def _generated(claim: dict[str, Any]) -> GeneratedClaim:
    """A claim read from the API, as the generator would describe it (for the oracle)."""
    return GeneratedClaim(
        id=claim["id"],
        predicate=claim["predicate"],
        statement=claim["statement"],
        modality=claim["modality"],
        status=claim["status"],
        confidence=claim["confidence"],
        actors=[(a["actor_id"], a["role"]) for a in claim["actors"]],
        dates=[(d["kind"], d["value"]) for d in claim["dates"]],
    )
