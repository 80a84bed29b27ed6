"""Claims: what a write stores, what a read embeds, and the revisions each write appends."""

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.db_state import row_counts
from tests.factories import PASSAGE, World, claim_body, create, quote_of

MERGE_PATCH = {"content-type": "application/merge-patch+json"}


def _patch(client: TestClient, path: str, body: dict[str, Any], etag: str) -> Any:
    return client.patch(path, json=body, headers={**MERGE_PATCH, "If-Match": etag})


def test_created_claim_embeds_actors_dates_evidence_and_instruments(client: TestClient) -> None:
    world = World(client)
    instrument = create(
        client,
        "/v1/instruments",
        {"symbol": "S/RES/2397 (2017)", "adopted": "2017-12-22", "title": "Resolution 2397"},
    )
    body = claim_body(
        world.source["id"],
        world.actor["id"],
        instruments=[{"instrument_id": instrument["id"], "provision": "para 8"}],
        dates=[
            {"kind": "occurred", "value": "2022-07"},
            {"kind": "reported", "value": "2022-08-17"},
        ],
    )

    response = client.post("/v1/claims", json=body)

    assert response.status_code == 201
    claim = response.json()
    assert response.headers["location"] == f"/v1/claims/{claim['id']}"
    assert response.headers["etag"].startswith('"')
    assert claim["version"] == 1
    assert claim["actors"] == [
        {"actor_id": world.actor["id"], "name": "North Korea", "kind": "state", "role": "agent"}
    ]
    assert claim["dates"] == [
        {
            "kind": "occurred",
            "value": "2022-07",
            "precision": "month",
            "earliest": "2022-07-01",
            "latest": "2022-07-31",
        },
        {
            "kind": "reported",
            "value": "2022-08-17",
            "precision": "day",
            "earliest": "2022-08-17",
            "latest": "2022-08-17",
        },
    ]
    span = claim["evidence"][0]
    assert PASSAGE[span["start"] : span["end"]] == span["quote"]
    assert span["prefix"] == PASSAGE[max(0, span["start"] - 32) : span["start"]]
    assert span["suffix"] == PASSAGE[span["end"] : span["end"] + 32]
    assert span["source"]["publisher"] == "Reuters"
    assert span["source"]["published"] == "2022-08"
    assert claim["instruments"] == [
        {
            "instrument_id": instrument["id"],
            "symbol": "S/RES/2397 (2017)",
            "title": "Resolution 2397",
            "provision": "para 8",
        }
    ]
    assert client.get(f"/v1/claims/{claim['id']}").json() == claim


def test_quotes_count_code_points_not_bytes(client: TestClient) -> None:
    text = "Kim’s letter — “equally beneficial bilateral cooperation” — was reported."
    source = create(client, "/v1/sources", {"kind": "news_article", "title": "T", "text": text})
    actor = create(client, "/v1/actors", {"kind": "person", "name": "Kim Jong Un"})
    span = quote_of(text, "equally beneficial bilateral cooperation")

    response = client.post(
        "/v1/claims",
        json=claim_body(source["id"], actor["id"], evidence=[{"source_id": source["id"], **span}]),
    )

    assert response.status_code == 201, response.text
    assert span["start"] == 16


def test_prefix_and_suffix_must_match_the_text_when_given(client: TestClient) -> None:
    world = World(client)
    span = quote_of(PASSAGE, "severed relations")
    good = {"source_id": world.source["id"], **span, "prefix": "immediately ", "suffix": " with"}
    bad = good | {"prefix": "quickly "}

    ok = client.post(
        "/v1/claims", json=claim_body(world.source["id"], world.actor["id"], evidence=[good])
    )
    refused = client.post(
        "/v1/claims", json=claim_body(world.source["id"], world.actor["id"], evidence=[bad])
    )

    assert ok.status_code == 201
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["pointer"] == "/evidence/0/prefix"


def test_merge_patch_changes_only_what_it_names_and_replaces_lists(client: TestClient) -> None:
    world = World(client)
    path = f"/v1/claims/{world.claim['id']}"
    etag = client.get(path).headers["etag"]

    response = _patch(
        client,
        path,
        {"statement": "Changed.", "dates": [{"kind": "occurred", "value": "2022"}]},
        etag,
    )

    assert response.status_code == 200, response.text
    claim = response.json()
    assert claim["statement"] == "Changed."
    assert [d["value"] for d in claim["dates"]] == ["2022"]
    assert claim["predicate"] == world.claim["predicate"]
    assert claim["evidence"] == world.claim["evidence"]
    assert claim["version"] == 2
    assert response.headers["etag"] != etag


def test_merge_patch_null_clears_an_optional_field(client: TestClient) -> None:
    world = World(client)
    path = f"/v1/claims/{world.claim['id']}"

    response = _patch(client, path, {"confidence": None}, client.get(path).headers["etag"])

    assert response.json()["confidence"] is None


def test_patch_that_breaks_a_required_field_is_422_with_pointer(
    client: TestClient, engine: Engine
) -> None:
    world = World(client)
    path = f"/v1/claims/{world.claim['id']}"
    before = row_counts(engine)

    response = _patch(client, path, {"statement": None}, client.get(path).headers["etag"])

    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/statement"
    assert row_counts(engine) == before


def test_a_patch_that_changes_nothing_writes_nothing(client: TestClient, engine: Engine) -> None:
    world = World(client)
    path = f"/v1/claims/{world.claim['id']}"
    etag = client.get(path).headers["etag"]
    before = row_counts(engine)

    response = _patch(client, path, {"statement": world.claim["statement"]}, etag)

    assert response.status_code == 200
    assert response.headers["etag"] == etag
    assert row_counts(engine) == before


def test_retract_keeps_the_reason_and_hides_the_claim_from_default_lists(
    client: TestClient,
) -> None:
    world = World(client)
    path = f"/v1/claims/{world.claim['id']}"
    etag = client.get(path).headers["etag"]

    missing = client.post(f"{path}/retract", json={"reason": "Misquoted."})
    response = client.post(
        f"{path}/retract", json={"reason": "Misquoted."}, headers={"If-Match": etag}
    )

    assert missing.status_code == 428
    assert response.status_code == 200
    assert response.json()["status"] == "retracted"
    assert response.json()["retraction_reason"] == "Misquoted."
    assert client.get("/v1/claims").json()["data"] == []
    retracted = client.get("/v1/claims?status=retracted").json()["data"]
    assert [c["id"] for c in retracted] == [world.claim["id"]]


def test_every_write_appends_one_revision_with_a_snapshot_in_order(client: TestClient) -> None:
    world = World(client)
    path = f"/v1/claims/{world.claim['id']}"
    etag = client.get(path).headers["etag"]
    updated = _patch(client, path, {"statement": "Second."}, etag)
    client.post(
        f"{path}/retract", json={"reason": "Wrong."}, headers={"If-Match": updated.headers["etag"]}
    )

    revisions = client.get(f"{path}/revisions").json()["data"]

    assert [(r["version"], r["operation"]) for r in revisions] == [
        (1, "created"),
        (2, "updated"),
        (3, "retracted"),
    ]
    seqs = [r["seq"] for r in revisions]
    assert seqs == sorted(seqs)
    assert len(set(seqs)) == 3
    assert revisions[1]["snapshot"]["statement"] == "Second."
    assert revisions[2]["snapshot"] == client.get(path).json()
    assert all(r["recorded_by"] == "test-admin" and r["recorded_by_key_id"] for r in revisions)


def test_relations_point_at_existing_claims(client: TestClient) -> None:
    world = World(client)
    span = quote_of(PASSAGE, "Ukraine immediately severed relations with Pyongyang")
    body = claim_body(
        world.source["id"],
        world.actor["id"],
        predicate="severing_of_relations",
        evidence=[{"source_id": world.source["id"], **span}],
        relations=[{"relation": "responds_to", "target_id": world.claim["id"]}],
    )

    claim = client.post("/v1/claims", json=body).json()

    assert claim["relations"] == [{"relation": "responds_to", "target_id": world.claim["id"]}]


def test_resending_evidence_without_context_is_a_no_op(client: TestClient, engine: Engine) -> None:
    world = World(client)
    path = f"/v1/claims/{world.claim['id']}"
    etag = client.get(path).headers["etag"]
    bare = [
        {k: v for k, v in span.items() if k not in ("source", "prefix", "suffix")}
        for span in world.claim["evidence"]
    ]
    before = row_counts(engine)

    response = _patch(client, path, {"evidence": bare}, etag)

    assert response.status_code == 200
    assert response.json()["version"] == 1
    assert response.headers["etag"] == etag
    assert row_counts(engine) == before
