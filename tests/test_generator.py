"""The generator is deterministic and realistic, and the bulk path writes what the services
write: documents, search text, one `created` revision per entity in sequence order."""

from collections import Counter
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from app.claims.projection import render_claims
from app.claims.schemas import ClaimCreate, ClaimRead
from app.models import Claim
from devtools import bulk
from devtools.generator import Generator, generate


def test_same_seed_same_data() -> None:
    assert generate(seed=1, claims=300) == generate(seed=1, claims=300)
    assert generate(seed=1, claims=300) != generate(seed=2, claims=300)


def test_generated_data_is_realistic_and_valid() -> None:
    dataset = generate(seed=5, claims=2000)
    texts = {source.id: source.text for source in dataset.sources}
    for claim in dataset.claims:
        for source_id, start, end, quote, _ in claim.evidence:
            assert texts[source_id][start:end] == quote
        ClaimCreate.model_validate(claim.body())
    assert len(Counter(claim.predicate for claim in dataset.claims)) >= 8
    assert set(Counter(claim.status for claim in dataset.claims)) == {
        "published", "disputed", "draft", "retracted"
    }  # fmt: skip
    kinds = Counter(kind for claim in dataset.claims for kind, _ in claim.dates)
    assert {"occurred", "reported", "deadline", "adopted", "start", "end", "effective"} <= set(
        kinds
    )
    precisions = Counter(len(value) for claim in dataset.claims for _, value in claim.dates)
    assert set(precisions) == {4, 7, 10}
    aliases = [alias for actor in dataset.actors for alias in actor.aliases]
    assert any(alias["strength"] == "weak" for alias in aliases)
    assert any(not alias["name"].isascii() for alias in aliases)
    assert any("’" in alias["name"] for alias in aliases)
    assert sorted(claim.id for claim in dataset.claims) == [claim.id for claim in dataset.claims]


def test_bulk_load_matches_the_services(client: TestClient, engine: Engine) -> None:
    generator = Generator(seed=8)
    dataset = generator.reference()
    more = generator.claims(500)
    dataset.sources, dataset.claims = more.sources, more.claims
    report = bulk.load(engine, dataset, batch_size=128)
    assert report.claims == 500

    entities = len(dataset.actors) + len(dataset.instruments) + len(dataset.sources) + 500
    with engine.connect() as connection:
        # Before them in the log: the default client's key being issued.
        keys = connection.execute(
            text("SELECT count(*) FROM revision WHERE entity_type = 'key'")
        ).scalar_one()
        seqs = (
            connection.execute(
                text("SELECT seq FROM revision WHERE entity_type != 'key' ORDER BY seq")
            )
            .scalars()
            .all()
        )
        last = connection.execute(text("SELECT last_seq FROM revision_counter")).scalar_one()
        assert seqs == list(range(keys + 1, keys + entities + 1))
        assert last == keys + entities
        claims = connection.execute(text("SELECT * FROM claim")).mappings().all()
        rendered = render_claims(connection, [Claim.model_validate(dict(row)) for row in claims])
        for row in claims:
            assert row["document"].encode() == rendered[row["id"]].document
            assert row["search_text"] == rendered[row["id"]].search_text

    sample = next(claim for claim in dataset.claims[5:] if claim.status == "published")
    stored = client.get(f"/v1/claims/{sample.id}").json()
    ClaimRead.model_validate(stored)
    revisions = client.get(f"/v1/claims/{sample.id}/revisions").json()["data"]
    assert [r["operation"] for r in revisions] == ["created"]
    assert revisions[0]["snapshot"] == stored

    # The same body through the service gives the same document (but for id and times).
    twin = client.post("/v1/claims", json=sample.body())
    assert twin.status_code == 201, twin.text

    def comparable(document: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in document.items() if k not in ("id", "created_at", "updated_at")}

    assert comparable(twin.json()) == comparable(stored)
    found = client.get("/v1/claims", params={"q": f'"{sample.statement}"', "limit": 500})
    assert {c["id"] for c in found.json()["data"]} >= {sample.id, twin.json()["id"]}
    actor = next(a for a in dataset.actors if a.external_ids)
    scheme, value = actor.external_ids[0]
    by_id = client.get("/v1/actors", params={"external_id": f"{scheme}:{value}"}).json()
    assert [a["id"] for a in by_id["data"]] == [actor.id]
