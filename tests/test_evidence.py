"""GET /v1/claims/{id}/evidence: each span in its context, with its source's citation."""

from fastapi.testclient import TestClient

from tests.factories import create, quote_of
from tests.test_queries import TEXT, Analyst, analyst  # noqa: F401 - the fixture

CONTEXT = 200


def test_evidence_in_context_with_citation(client: TestClient, analyst: Analyst) -> None:  # noqa: F811
    response = client.get(f"/v1/claims/{analyst.labourers}/evidence")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["claim_id"] == analyst.labourers
    (span,) = body["data"]
    start, end = span["start"], span["end"]
    assert span["quote"] == TEXT[start:end]
    assert span["context_before"] == TEXT[max(0, start - CONTEXT) : start]
    assert span["context_after"] == TEXT[end : end + CONTEXT]
    assert len(span["context_before"]) == CONTEXT
    assert span["source"] == {
        "id": analyst.source["id"],
        "kind": "news_article",
        "title": "Donbas leader urges cooperation with North Korea",
        "publisher": "Reuters",
        "author": "Josh Smith",
        "url": "https://www.reuters.com/world/x",
        "published": "2022-08-17",
        "language": None,
        "retrieved_at": None,
    }
    etag = response.headers["ETag"]
    again = client.get(f"/v1/claims/{analyst.labourers}/evidence", headers={"If-None-Match": etag})
    assert again.status_code == 304


def test_context_counts_code_points_and_stops_at_the_ends(client: TestClient) -> None:
    text = "Ж" * 250 + "😀 Pušilin’s letter 😀" + "é" * 30
    source = create(client, "/v1/sources", {"kind": "news_article", "title": "T", "text": text})
    actor = create(client, "/v1/actors", {"kind": "person", "name": "Denis Pushilin"})
    spans = [
        {"source_id": source["id"], **quote_of(text, "Pušilin’s letter")},
        {"source_id": source["id"], **quote_of(text, "ЖЖЖ")},
    ]
    claim = create(
        client,
        "/v1/claims",
        {
            "predicate": "statement",
            "statement": "Pushilin wrote a letter.",
            "modality": "occurred",
            "actors": [{"actor_id": actor["id"], "role": "claimant"}],
            "evidence": spans,
        },
    )
    data = client.get(f"/v1/claims/{claim['id']}/evidence").json()["data"]
    quoted, first = data
    assert quoted["context_before"] == text[quoted["start"] - CONTEXT : quoted["start"]]
    assert quoted["context_after"] == " 😀" + "é" * 30
    assert first["position"] == 1
    assert first["context_before"] == ""
    assert first["context_after"] == text[3:203]


def test_evidence_of_unknown_claim_is_404(client: TestClient) -> None:
    response = client.get("/v1/claims/0190a000-0000-7000-8000-00000000dead/evidence")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
