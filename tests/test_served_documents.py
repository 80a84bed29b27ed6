"""Served = declared: every JSON answer is exactly what its operation's schema declares.

Claim documents are rendered as dicts and pages and timelines joined as bytes, so nothing
but these tests holds them to the OpenAPI document (tests/contract.py says how the schemas
are made strict). Everything is made and read through the HTTP API, but for the bulk path,
which writes the tables directly; every test runs on SQLite and on PostgreSQL.
"""

from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from app.claims import projection

# The trusted bulk loader and its data generator; the one line to change when they move.
from devtools import bulk, generator
from tests.contract import (
    Served,
    component_validator,
    json_operations,
    problems,
    strict,
    validator,
)
from tests.factories import PASSAGE, actor_body, claim_body, create, quote_of, source_body

MERGE_PATCH = "application/merge-patch+json"
SECOND_TEXT = (
    "The UN Security Council adopted resolution 2397 on 22 December 2017, capping refined "
    "petroleum deliveries to the DPRK. Russia said it would comply with the new measures."
)
# With `fields=ids` a change's snapshot is left out by design (app/changes/schemas.py).
SNAPSHOT_LEFT_OUT = {
    (f"{entity.capitalize()}Change", "snapshot")
    for entity in ("source", "actor", "instrument", "claim", "term", "key")
}
# A snapshot is declared free-form, but it is the entity as its GET serves it.
SNAPSHOT_SCHEMAS = {
    "claim": "ClaimRead",
    "actor": "ActorRead",
    "source": "SourceRead",
    "instrument": "InstrumentRead",
    "term": "TermRead",
    "key": "KeyRead",
}


@pytest.fixture
def served(client: TestClient) -> Served:
    return Served(client.get("/openapi.json").json())


def _patch(client: TestClient, path: str, body: dict[str, Any]) -> Any:
    etag = client.get(path).headers["etag"]
    return client.patch(
        path, content=orjson.dumps(body), headers={"content-type": MERGE_PATCH, "If-Match": etag}
    )


def _walk(client: TestClient, served: Served, path: str, **params: Any) -> Iterator[Any]:
    """Every item of a keyset-paginated list, each page validated."""
    cursor = None
    while True:
        query = params | ({"cursor": cursor} if cursor else {})
        page = served(client.get(path, params=query))
        yield from page["data"]
        cursor = page["next_cursor"]
        if cursor is None:
            return


def _check_snapshots(client: TestClient, served: Served, **filters: Any) -> set[str]:
    """Every change's snapshot is its entity as declared; the entity types seen."""
    checkers = {
        kind: component_validator(served.document, name) for kind, name in SNAPSHOT_SCHEMAS.items()
    }
    seen: set[str] = set()
    params: dict[str, Any] = {"limit": 1000, **filters}
    while True:
        feed = served(client.get("/v1/changes", params=params))
        if not feed["data"]:
            return seen
        for change in feed["data"]:
            seen.add(change["entity_type"])
            found = problems(checkers[change["entity_type"]], change["snapshot"])
            assert not found, (change["entity_type"], change["operation"], found)
        params["after"] = feed["next_cursor"]


class Seeded:
    """Two of each thing through the API: one with every optional field set, one bare, so
    nullable fields are served both null and set and every embedded list is non-empty."""

    def __init__(self, client: TestClient, served: Served) -> None:
        def post(path: str, body: dict[str, Any]) -> Any:
            return served(client.post(path, json=body))

        self.full_source = post(
            "/v1/sources",
            source_body(url="https://example.org/kcna", retrieved_at="2022-08-18T09:30:00Z"),
        )
        self.bare_source = post(
            "/v1/sources", {"kind": "legal_instrument", "title": "S/RES/2397", "text": SECOND_TEXT}
        )
        self.korea = post(
            "/v1/actors",
            actor_body(
                aliases=[
                    {"name": "DPRK"},
                    {"name": "Corée du Nord", "language": "fr", "script": "Latn"},
                    {"name": "Pyongyang", "strength": "weak"},
                ]
            ),
        )
        self.russia = post("/v1/actors", {"kind": "state", "name": "Russia"})
        self.council = post(
            "/v1/actors", {"kind": "international_organisation", "name": "UN Security Council"}
        )
        self.resolution = post(
            "/v1/instruments",
            {
                "symbol": "S/RES/2397 (2017)",
                "title": "Resolution 2397",
                "issuer_id": self.council["id"],
                "adopted": "2017-12-22",
                "url": "https://undocs.org/S/RES/2397(2017)",
            },
        )
        self.bare_instrument = post("/v1/instruments", {"symbol": "EO 13722"})
        self.term = post(
            "/v1/vocabularies",
            {"vocabulary": "predicate", "term": "petroleum_cap", "description": "A cap."},
        )
        self.bare_claim = post(
            "/v1/claims",
            claim_body(self.full_source["id"], self.korea["id"], confidence=None, programs=[]),
        )
        self.full_claim = post(
            "/v1/claims",
            claim_body(
                self.bare_source["id"],
                self.council["id"],
                predicate="petroleum_cap",
                statement="The Security Council capped refined petroleum deliveries to the DPRK.",
                modality="occurred",
                programs=["DPRK3", "DPRK4"],
                actors=[
                    {"actor_id": self.council["id"], "role": "issuer"},
                    {"actor_id": self.korea["id"], "role": "target"},
                    {"actor_id": self.russia["id"], "role": "supporter"},
                ],
                dates=[
                    {"kind": "adopted", "value": "2017-12-22"},
                    {"kind": "effective", "value": "2017-12"},
                    {"kind": "reported", "value": "2017"},
                ],
                evidence=[
                    {
                        "source_id": self.bare_source["id"],
                        **quote_of(SECOND_TEXT, "capping refined petroleum deliveries"),
                    },
                    {
                        "source_id": self.bare_source["id"],
                        "stance": "mentions",
                        "prefix": "",
                        **quote_of(SECOND_TEXT, "Russia said it would comply"),
                    },
                    {
                        "source_id": self.full_source["id"],
                        "stance": "contradicts",
                        **quote_of(PASSAGE, "Ukraine immediately severed relations"),
                    },
                ],
                instruments=[
                    {"instrument_id": self.resolution["id"], "provision": "para 5"},
                    {"instrument_id": self.bare_instrument["id"]},
                ],
                relations=[{"relation": "responds_to", "target_id": self.bare_claim["id"]}],
            ),
        )


@pytest.fixture
def seeded(client: TestClient, served: Served) -> Seeded:
    return Seeded(client, served)


def test_every_json_answer_is_what_its_operation_declares(
    client: TestClient, served: Served, seeded: Seeded
) -> None:
    claim, bare = seeded.full_claim, seeded.bare_claim
    assert claim["relations"]
    assert claim["instruments"][1]["provision"] is None
    assert bare["confidence"] is None
    assert bare["relations"] == []

    # Claims: stored documents, writes, pages in every order, facets, evidence, revisions.
    path = f"/v1/claims/{claim['id']}"
    assert served(client.get(path)) == claim
    patched = served(_patch(client, path, {"confidence": 0.4}))
    assert patched["version"] == 2
    disputed = served(
        client.post(
            f"{path}/dispute",
            json={"reason": "A second source contradicts it."},
            headers={"If-Match": client.get(path).headers["etag"]},
        )
    )
    assert (disputed["status"], disputed["version"]) == ("disputed", 3)
    published = served(
        client.post(f"{path}/publish", headers={"If-Match": client.get(path).headers["etag"]})
    )
    assert (published["status"], published["version"]) == ("published", 4)
    assert [t["transition"] for t in served(client.get("/v1/claims/transitions"))["data"]] == [
        "publish",
        "dispute",
        "retract",
        "reinstate",
    ]
    etag = client.get(f"/v1/claims/{bare['id']}").headers["etag"]
    retracted = served(
        client.post(
            f"/v1/claims/{bare['id']}/retract",
            json={"reason": "Misquoted."},
            headers={"If-Match": etag},
        )
    )
    assert retracted["retraction_reason"] == "Misquoted."
    served(client.get(f"/v1/claims/{bare['id']}"))
    reinstated = served(
        client.post(
            f"/v1/claims/{bare['id']}/reinstate",
            json={"reason": "Checked again."},
            headers={"If-Match": client.get(f"/v1/claims/{bare['id']}").headers["etag"]},
        )
    )
    assert (reinstated["status"], reinstated["retraction_reason"]) == ("published", None)
    everything = {"status": ["published", "disputed", "retracted"]}
    for sort in ("id", "date", "-date", "updated_at", "-updated_at"):
        listed = list(_walk(client, served, "/v1/claims", sort=sort, limit=1, **everything))
        # The date sorts list the claims without a date of `date_kind` too, last.
        assert [c["id"] for c in listed].count(claim["id"]) == 1, sort
        assert {c["id"] for c in listed} == {claim["id"], bare["id"]}, sort
    assert list(_walk(client, served, "/v1/claims", sort="relevance", q="petroleum"))
    assert list(_walk(client, served, "/v1/claims", actor=seeded.korea["id"], **everything))
    facets = served(client.get("/v1/claims/facets", params=everything))
    assert facets["actor"]
    assert facets["year"]
    assert facets["program"]
    evidence = served(client.get(f"{path}/evidence"))
    assert len(evidence["data"]) == 3
    revisions = served(client.get(f"{path}/revisions"))
    snapshots = [revision["snapshot"] for revision in revisions["data"]]
    claim_read = validator(served.document, "GET", "/v1/claims/{claim_id}", 200)
    for snapshot in snapshots:  # declared free-form, but each is a claim as it was
        assert not problems(claim_read, snapshot)
    served(client.get(f"{path}/revisions", params={"limit": 1}))

    # An actor's timeline, in each of its shapes.
    timeline = f"/v1/actors/{seeded.korea['id']}/timeline"
    # One entry per date of the two claims (three and one), then, of a kind neither has,
    # each claim once with no date.
    assert len(list(_walk(client, served, timeline, limit=1, **everything))) == 4
    undated = list(_walk(client, served, timeline, limit=1, date_kind="deadline", **everything))
    assert [entry["date"] for entry in undated] == [None, None]
    served(client.get(timeline, params={"date_kind": "adopted", "actor_role": "target"}))

    # Actors: with and without `matched`, written, merged.
    actor_path = f"/v1/actors/{seeded.russia['id']}"
    served(client.get(actor_path))
    assert all(a["matched"] is None for a in _walk(client, served, "/v1/actors", limit=2))
    matched = served(client.get("/v1/actors", params={"q": "kor"}))["data"]
    assert matched[0]["matched"]["strength"] is None or matched[0]["matched"]["via"] == "alias"
    served(client.get("/v1/actors", params={"q": "pyongyang"}))
    served(client.get("/v1/actors", params={"external_id": "iso3166:KP"}))
    served(_patch(client, actor_path, {"aliases": [{"name": "Russian Federation"}]}))
    duplicate = create(client, "/v1/actors", {"kind": "state", "name": "Rossiya"})
    merged = client.post(
        f"/v1/actors/{duplicate['id']}/merge",
        json={"into": seeded.russia["id"]},
        headers={"If-Match": client.get(f"/v1/actors/{duplicate['id']}").headers["etag"]},
    )
    served(merged)

    # Sources, instruments, vocabularies.
    source_path = f"/v1/sources/{seeded.full_source['id']}"
    served(client.get(source_path))
    served(client.get(f"/v1/sources/{seeded.bare_source['id']}"))
    assert len(list(_walk(client, served, "/v1/sources", limit=1))) == 2
    served(client.get(f"{source_path}/text"))
    served(client.get(f"{source_path}/text", params={"start": 3, "end": 40}))
    served(_patch(client, source_path, {"author": None}))
    instrument_path = f"/v1/instruments/{seeded.resolution['id']}"
    served(client.get(instrument_path))
    served(client.get(f"/v1/instruments/{seeded.bare_instrument['id']}"))
    assert len(list(_walk(client, served, "/v1/instruments", limit=1))) == 2
    served(_patch(client, instrument_path, {"url": None}))
    vocabularies = served(client.get("/v1/vocabularies"))
    assert {"vocabulary": "predicate", "term": "petroleum_cap", "description": "A cap."} in (
        vocabularies["data"]
    )
    served(client.get("/v1/vocabularies", params={"vocabulary": "role"}))

    # The change feed, with and without snapshots; health.
    full = served(client.get("/v1/changes", params={"limit": 1000}))
    assert {c["entity_type"] for c in full["data"]} >= {"claim", "actor", "source", "instrument"}
    ids = served(client.get("/v1/changes", params={"fields": "ids"}), optional=SNAPSHOT_LEFT_OUT)
    assert all("snapshot" not in change for change in ids["data"])
    served(client.get("/v1/changes", params={"after": full["next_cursor"]}))
    assert _check_snapshots(client, served) == set(SNAPSHOT_SCHEMAS) - {"key"}

    # Every record's history.
    for listed in ("actors", "sources", "instruments"):
        for item in served(client.get(f"/v1/{listed}"))["data"]:
            served(client.get(f"/v1/{listed}/{item['id']}/revisions"))

    # Keys (their changes are asked for by name).
    issued = served(client.post("/v1/keys", json={"name": "served-reader", "role": "reader"}))
    served(client.get("/v1/keys"))
    served(client.get(f"/v1/keys/{issued['id']}"))
    served(client.delete(f"/v1/keys/{issued['id']}"))
    assert _check_snapshots(client, served, entity_type="key") == {"key"}
    served(client.get("/healthz"))
    served(client.get("/readyz"))

    assert served.checked == json_operations(served.document), "an operation went unchecked"


def test_claims_still_validate_after_what_they_embed_changes(
    client: TestClient, served: Served, seeded: Seeded
) -> None:
    """Renaming an actor, editing a cited source or an instrument's symbol re-renders the
    stored documents of the claims that embed them."""
    path = f"/v1/claims/{seeded.full_claim['id']}"
    served(_patch(client, f"/v1/actors/{seeded.korea['id']}", {"name": "DPR Korea"}))
    served(
        _patch(
            client,
            f"/v1/sources/{seeded.bare_source['id']}",
            {
                "title": "Resolution 2397 (2017)",
                "publisher": "United Nations",
                "published": "2017-12",
            },
        )
    )
    served(_patch(client, f"/v1/sources/{seeded.full_source['id']}", {"publisher": None}))
    served(_patch(client, f"/v1/instruments/{seeded.resolution['id']}", {"symbol": "S/RES/2397"}))
    served(_patch(client, f"/v1/instruments/{seeded.bare_instrument['id']}", {"title": "EO"}))

    claim = served(client.get(path))
    assert claim["actors"][1]["name"] == "DPR Korea"
    assert claim["evidence"][0]["source"]["publisher"] == "United Nations"
    assert claim["evidence"][2]["source"]["publisher"] is None
    assert [i["symbol"] for i in claim["instruments"]] == ["S/RES/2397", "EO 13722"]
    assert claim["instruments"][1]["title"] == "EO"
    listed = {c["id"]: c for c in _walk(client, served, "/v1/claims")}
    assert listed[claim["id"]] == claim
    timeline = served(client.get(f"/v1/actors/{seeded.korea['id']}/timeline"))
    assert all(item["claim"]["actors"] for item in timeline["data"])
    served(client.get(f"{path}/evidence"))

    # Merging an actor re-renders the claims naming it, which then name the survivor.
    duplicate = create(client, "/v1/actors", {"kind": "state", "name": "Rossiya"})
    naming = create(client, "/v1/claims", claim_body(seeded.full_source["id"], duplicate["id"]))
    served(
        client.post(
            f"/v1/actors/{duplicate['id']}/merge",
            json={"into": seeded.russia["id"]},
            headers={"If-Match": client.get(f"/v1/actors/{duplicate['id']}").headers["etag"]},
        )
    )
    renamed = served(client.get(f"/v1/claims/{naming['id']}"))
    assert renamed["actors"][0] == naming["actors"][0] | {
        "actor_id": seeded.russia["id"],
        "name": "Russia",
    }


def test_bulk_loaded_claims_are_what_the_api_declares(
    client: TestClient, served: Served, engine: Engine
) -> None:
    made = generator.Generator(seed=5)
    dataset = made.reference(companies=5, people=5)
    more = made.claims(40)
    dataset.sources, dataset.claims = more.sources, more.claims
    bulk.load(engine, dataset, batch_size=16, analyze=False)
    later = made.claims(12)
    bulk.load(engine, later, analyze=False)
    loaded = [c.id for c in dataset.claims + later.claims]

    everything = {"status": ["draft", "published", "disputed", "retracted"]}
    for claim_id in loaded:
        served(client.get(f"/v1/claims/{claim_id}"))
    for sort in ("id", "date", "-updated_at"):
        listed = list(_walk(client, served, "/v1/claims", sort=sort, limit=17, **everything))
        assert listed, sort
    claims = list(_walk(client, served, "/v1/claims", limit=500, **everything))
    assert {c["id"] for c in claims} == set(loaded)
    # The generator makes no relations, so bulk-loaded documents serve `relations: []`.
    for embedded in ("programs", "actors", "dates", "evidence", "instruments"):
        assert any(c[embedded] for c in claims), f"no bulk-loaded claim has {embedded}"
    for nullable in ("retraction_reason", "confidence"):
        assert {c[nullable] is None for c in claims} == {True, False}, nullable
    served(client.get("/v1/claims/facets", params=everything))
    cited = served(client.get(f"/v1/claims/{loaded[0]}"))
    for entry in cited["actors"]:
        served(client.get(f"/v1/actors/{entry['actor_id']}/timeline", params=everything))
    served(client.get(f"/v1/claims/{loaded[0]}/evidence"))
    served(client.get(f"/v1/claims/{loaded[0]}/revisions"))
    assert _check_snapshots(client, served) == {"claim", "actor", "source", "instrument"}


def _altered(change: Any) -> Any:
    """A `render_claim` whose documents go through `change` (a dict -> None function)."""
    original = projection.render_claim

    def render_claim(claim: Any, embedded: Any) -> projection.Rendered:
        rendered = original(claim, embedded)
        document = orjson.loads(rendered.document)
        change(document)
        return projection.Rendered(orjson.dumps(document), rendered.search_text)

    return render_claim


def _create_served(client: TestClient) -> Any:
    source = create(client, "/v1/sources", source_body())
    actor = create(client, "/v1/actors", actor_body())
    return client.post("/v1/claims", json=claim_body(source["id"], actor["id"]))


def test_an_undeclared_key_in_a_served_claim_fails(
    client: TestClient, served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(projection, "render_claim", _altered(lambda d: d.update(score=1)))
    response = _create_served(client)
    assert response.status_code == 201
    assert response.json()["score"] == 1
    with pytest.raises(AssertionError, match="Additional properties are not allowed"):
        served(response)
    with pytest.raises(AssertionError, match="'score' was unexpected"):
        served(client.get(response.headers["location"]))


def test_a_missing_key_in_a_served_claim_fails(
    client: TestClient, served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(projection, "render_claim", _altered(lambda d: d.pop("relations")))
    response = _create_served(client)
    assert response.status_code == 201
    assert "relations" not in response.json()
    with pytest.raises(AssertionError, match="'relations' is a required property"):
        served(response)
    with pytest.raises(AssertionError, match="'relations' is a required property"):
        served(client.get("/v1/claims"))


def test_the_strict_schema_closes_embedded_entries_too(client: TestClient, served: Served) -> None:
    body = served(_create_served(client))
    claim_read = validator(served.document, "GET", "/v1/claims/{claim_id}", 200)
    page = validator(served.document, "GET", "/v1/claims", 200)

    def fails(where: str, change: Any, checker: Any = claim_read, wrap: Any = None) -> None:
        altered = orjson.loads(orjson.dumps(body))
        change(altered)
        found = problems(checker, wrap(altered) if wrap else altered)
        assert any(line.startswith((where + ":", where + "/")) for line in found), (where, found)

    fails("actors/0", lambda d: d["actors"][0].update(alias="DPRK"))
    fails("actors/0", lambda d: d["actors"][0].pop("kind"))
    fails("evidence/0/source", lambda d: d["evidence"][0]["source"].update(language="en"))
    fails("evidence/0/source", lambda d: d["evidence"][0]["source"].pop("url"))
    fails("dates/0", lambda d: d["dates"][0].update(earliest="July 2022"))  # formats count
    fails("retraction_reason", lambda d: d.update(retraction_reason=3))  # null or text only
    fails(
        "data/0/actors/0",
        lambda d: d["actors"][0].update(alias="DPRK"),
        page,
        lambda d: {"data": [d], "next_cursor": None},
    )
    assert not problems(claim_read, body)
    # Nullability stays as declared; a typed snapshot is closed like any embedded entity.
    assert not problems(claim_read, body | {"confidence": None})
    revisions = strict({"$ref": "#/components/schemas/ClaimRevision"}, served.document)[
        "properties"
    ]["snapshot"]
    assert revisions["additionalProperties"] is False
