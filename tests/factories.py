"""Small builders of valid request bodies, and helpers that create through the API."""

from typing import Any

from fastapi.testclient import TestClient

PASSAGE = (
    "In July, North Korea recognised the Donetsk (DPR) and Luhansk People's Republics "
    "(LPR) in eastern Ukraine's Donbas region, as independent states. Ukraine immediately "
    "severed relations with Pyongyang over the move."
)


def quote_of(text: str, quote: str) -> dict[str, Any]:
    """An evidence span for the first occurrence of `quote` in `text`."""
    start = text.index(quote)
    return {"start": start, "end": start + len(quote), "quote": quote}


def source_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "news_article",
        "title": "Donbas separatist leader urges cooperation with North Korea - KCNA",
        "publisher": "Reuters",
        "author": "Josh Smith",
        "language": "en",
        "published": "2022-08",
        "text": PASSAGE,
    }
    return body | overrides


def actor_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "state",
        "name": "North Korea",
        "aliases": [
            {"name": "DPRK"},
            {"name": "Democratic People's Republic of Korea"},
            {"name": "Pyongyang", "strength": "weak"},
        ],
        "external_ids": [{"scheme": "iso3166", "value": "KP"}],
    }
    return body | overrides


def create(client: TestClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(path, json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def claim_body(source_id: str, actor_id: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "predicate": "recognition",
        "statement": "North Korea recognised the DPR and LPR as independent states in July 2022.",
        "modality": "occurred",
        "status": "published",
        "confidence": 0.9,
        "programs": ["DPRK3"],
        "actors": [{"actor_id": actor_id, "role": "agent"}],
        "dates": [{"kind": "occurred", "value": "2022-07"}],
        "evidence": [
            {"source_id": source_id, **quote_of(PASSAGE, "North Korea recognised the Donetsk")}
        ],
    }
    return body | overrides


class World:
    """A source, an actor and a claim made through the API: the usual starting point."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.source = create(client, "/v1/sources", source_body())
        self.actor = create(client, "/v1/actors", actor_body())
        self.claim = create(client, "/v1/claims", claim_body(self.source["id"], self.actor["id"]))
