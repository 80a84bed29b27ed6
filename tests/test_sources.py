"""Sources: the held text, its hash, and the rule that cited text cannot change."""

import hashlib

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.db_state import row_counts
from tests.factories import PASSAGE, World, create, source_body

MERGE_PATCH = {"content-type": "application/merge-patch+json"}


def test_create_and_get_a_source(client: TestClient) -> None:
    response = client.post("/v1/sources", json=source_body(retrieved_at="2022-08-18T09:00:00Z"))

    assert response.status_code == 201
    source = response.json()
    assert source["sha256"] == hashlib.sha256(PASSAGE.encode()).hexdigest()
    assert source["text_length"] == len(PASSAGE)
    assert source["published_precision"] == "month"
    assert source["retrieved_at"] == "2022-08-18T09:00:00Z"
    assert client.get(f"/v1/sources/{source['id']}").json() == source


def test_list_pages_without_text(client: TestClient) -> None:
    ids = [
        create(client, "/v1/sources", source_body(title=f"S{i}", allow_duplicate_source=True))["id"]
        for i in range(3)
    ]

    first = client.get("/v1/sources?limit=2").json()
    second = client.get(f"/v1/sources?limit=2&cursor={first['next_cursor']}").json()

    assert [s["id"] for s in first["data"] + second["data"]] == ids
    assert second["next_cursor"] is None
    assert "text" not in first["data"][0]


def test_text_passage_by_code_point_offsets(client: TestClient) -> None:
    source = create(client, "/v1/sources", source_body())
    start = PASSAGE.index("Ukraine")

    passage = client.get(f"/v1/sources/{source['id']}/text?start={start}&end={start + 7}")
    past_end = client.get(f"/v1/sources/{source['id']}/text?start=0&end={len(PASSAGE) + 1}")

    assert passage.json()["text"] == "Ukraine"
    assert past_end.status_code == 422


def test_cited_text_cannot_change_but_citation_fields_can(
    client: TestClient, engine: Engine
) -> None:
    world = World(client)
    path = f"/v1/sources/{world.source['id']}"
    etag = client.get(path).headers["etag"]
    before = row_counts(engine)

    refused = client.patch(
        path, json={"text": "Rewritten."}, headers={**MERGE_PATCH, "If-Match": etag}
    )
    assert refused.status_code == 409
    assert row_counts(engine) == before

    retitled = client.patch(
        path, json={"title": "New title"}, headers={**MERGE_PATCH, "If-Match": etag}
    )
    assert retitled.status_code == 200
    assert retitled.json()["version"] == 2
    claim = client.get(f"/v1/claims/{world.claim['id']}").json()
    assert claim["evidence"][0]["source"]["title"] == "New title"


def test_uncited_text_can_change_and_rehashes(client: TestClient) -> None:
    source = create(client, "/v1/sources", source_body(allow_duplicate_source=True))
    path = f"/v1/sources/{source['id']}"

    response = client.patch(
        path,
        json={"text": "New text."},
        headers={**MERGE_PATCH, "If-Match": client.get(path).headers["etag"]},
    )

    assert response.json()["sha256"] == hashlib.sha256(b"New text.").hexdigest()


def test_delete_needs_if_match_and_no_citing_evidence(client: TestClient) -> None:
    world = World(client)
    cited = f"/v1/sources/{world.source['id']}"
    spare = create(client, "/v1/sources", source_body(allow_duplicate_source=True))
    uncited = f"/v1/sources/{spare['id']}"

    assert client.delete(uncited).status_code == 428
    assert client.delete(uncited, headers={"If-Match": '"stale"'}).status_code == 412
    assert (
        client.delete(cited, headers={"If-Match": client.get(cited).headers["etag"]}).status_code
        == 409
    )
    assert (
        client.delete(
            uncited, headers={"If-Match": client.get(uncited).headers["etag"]}
        ).status_code
        == 204
    )
    assert client.get(uncited).status_code == 404


def test_unknown_source_kind_is_422(client: TestClient) -> None:
    response = client.post("/v1/sources", json=source_body(kind="tweet"))

    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/kind"
