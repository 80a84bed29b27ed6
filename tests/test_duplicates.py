"""No silent duplicates: within one claim (422), and across stored records (409, after
every 422 problem of the body), with the request flags that keep a duplicate on purpose."""

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from app.duplicates import DuplicateGroup, find_duplicates
from tests.db_state import row_counts
from tests.factories import PASSAGE, World, actor_body, claim_body, create, quote_of, source_body

CONFLICT = "https://sanctions-claims.dev/problems/conflict"
INVALID = "https://sanctions-claims.dev/problems/validation-error"
MERGE_PATCH = {"content-type": "application/merge-patch+json"}


def _patch(client: TestClient, path: str, body: dict[str, Any]) -> Any:
    etag = client.get(path).headers["ETag"]
    return client.patch(path, json=body, headers={**MERGE_PATCH, "If-Match": etag})


def _conflict(detail: str, errors: list[dict[str, str]], **existing: Any) -> dict[str, Any]:
    return {
        "type": CONFLICT,
        "title": "Conflict",
        "status": 409,
        "detail": detail,
        "errors": errors,
        **existing,
    }


# Within one claim.


def test_repeats_within_a_claim_are_422_at_each_pointer(client: TestClient, engine: Engine) -> None:
    world = World(client)
    instrument = create(client, "/v1/instruments", {"symbol": "S/RES/2397 (2017)"})
    span = {"source_id": world.source["id"], **quote_of(PASSAGE, "North Korea recognised")}
    target = world.claim["id"]
    body = claim_body(
        world.source["id"],
        world.actor["id"],
        actors=[
            {"actor_id": world.actor["id"], "role": "agent"},
            {"actor_id": world.actor["id"], "role": "subject"},
            {"actor_id": world.actor["id"], "role": "agent"},
        ],
        evidence=[span, span | {"stance": "mentions"}],
        instruments=[
            {"instrument_id": instrument["id"], "provision": "para 8"},
            {"instrument_id": instrument["id"], "provision": "Para  8"},
            {"instrument_id": instrument["id"], "provision": "para 9"},
        ],
        relations=[
            {"relation": "supports", "target_id": target},
            {"relation": "supports", "target_id": target},
            {"relation": "contradicts", "target_id": target},
        ],
    )
    before = row_counts(engine)

    response = client.post("/v1/claims", json=body)

    assert response.status_code == 422
    assert response.json() == {
        "type": INVALID,
        "title": "Invalid request",
        "status": 422,
        "detail": "5 invalid fields.",
        "errors": [
            {
                "pointer": "/actors/2",
                "detail": "The same actor in the same role as /actors/0; list it once.",
            },
            {
                "pointer": "/evidence/1",
                "detail": "The same evidence span as /evidence/0; list it once.",
            },
            {
                "pointer": "/instruments/1",
                "detail": "The same instrument and provision as /instruments/0; list it once.",
            },
            {
                "pointer": "/relations/1",
                "detail": "The same relation as /relations/0; list it once.",
            },
            {
                "pointer": "/relations/2",
                "detail": f"A claim cannot both support and contradict claim {target!r} "
                "(see /relations/0).",
            },
        ],
    }
    assert row_counts(engine) == before


def test_a_supersedes_cycle_through_stored_claims_is_422(client: TestClient) -> None:
    world = World(client)
    first = world.claim["id"]
    second = create(
        client,
        "/v1/claims",
        claim_body(
            world.source["id"],
            world.actor["id"],
            relations=[{"relation": "supersedes", "target_id": first}],
        ),
    )["id"]
    third = create(
        client,
        "/v1/claims",
        claim_body(
            world.source["id"],
            world.actor["id"],
            relations=[{"relation": "supersedes", "target_id": second}],
        ),
    )["id"]

    for target in (second, third):
        response = _patch(
            client,
            f"/v1/claims/{first}",
            {"relations": [{"relation": "supersedes", "target_id": target}]},
        )
        assert response.status_code == 422, target
        assert response.json()["errors"] == [
            {
                "pointer": "/relations/0",
                "detail": f"Claim {target!r} already supersedes this claim (directly or "
                "through others); a supersedes chain cannot be a cycle.",
            }
        ]
    # Superseding is still allowed where it makes no cycle, and `responds_to` is no chain.
    assert (
        _patch(
            client,
            f"/v1/claims/{first}",
            {"relations": [{"relation": "responds_to", "target_id": third}]},
        ).status_code
        == 200
    )


# Actors.


def test_a_second_actor_with_a_held_name_is_409_listing_the_holders(
    client: TestClient, engine: Engine
) -> None:
    held = create(client, "/v1/actors", actor_body())
    before = row_counts(engine)

    response = client.post(
        "/v1/actors",
        json=actor_body(
            name="Korea, North",
            aliases=[
                {"name": "D.P.R.K"},
                {"name": "dprk"},
                {"name": "Pyongyang", "strength": "weak"},
            ],
            external_ids=[],
        ),
    )

    name = f"'Korea, North' is already a name of North Korea ({held['id']}). If this is a "
    name += 'different actor, send "allow_duplicate_name": true.'
    alias = f"'dprk' is already a name of North Korea ({held['id']}). If this is a "
    alias += 'different actor, send "allow_duplicate_name": true.'
    assert response.status_code == 409
    assert response.json() == _conflict(
        "2 fields duplicate records.",
        [{"pointer": "/name", "detail": name}, {"pointer": "/aliases/1/name", "detail": alias}],
        actors=[
            {"id": held["id"], "name": "North Korea", "matched_name": "North Korea"},
            {"id": held["id"], "name": "North Korea", "matched_name": "DPRK"},
        ],
    )
    assert row_counts(engine) == before


def test_weak_aliases_are_not_names_an_actor_holds(client: TestClient) -> None:
    create(client, "/v1/actors", actor_body())  # Pyongyang is its weak alias

    city = client.post(
        "/v1/actors",
        json={"kind": "organisation", "name": "Pyongyang", "aliases": [{"name": "Pyongyang City"}]},
    )

    assert city.status_code == 201, city.text


def test_allow_duplicate_name_keeps_a_different_actor_and_is_not_stored(
    client: TestClient,
) -> None:
    first = create(
        client,
        "/v1/actors",
        actor_body(kind="person", name="Kim Jong Un", aliases=[], external_ids=[]),
    )
    second = client.post(
        "/v1/actors",
        json=actor_body(
            kind="person",
            name="KIM Jong Un",
            aliases=[],
            external_ids=[],
            allow_duplicate_name=True,
        ),
    )

    assert second.status_code == 201, second.text
    assert "allow_duplicate_name" not in second.json()
    assert second.json()["id"] != first["id"]
    # Later edits that add no name are not refused for the name it already has.
    path = f"/v1/actors/{second.json()['id']}"
    assert _patch(client, path, {"kind": "government_body"}).status_code == 200


def test_an_update_that_adds_a_held_name_is_409_unless_flagged(client: TestClient) -> None:
    held = create(client, "/v1/actors", actor_body())
    other = create(client, "/v1/actors", actor_body(name="Russia", aliases=[], external_ids=[]))
    path = f"/v1/actors/{other['id']}"

    refused = _patch(client, path, {"aliases": [{"name": "Democratic Peoples Republic of Korea"}]})
    kept = _patch(
        client,
        path,
        {
            "aliases": [{"name": "Democratic Peoples Republic of Korea"}],
            "allow_duplicate_name": True,
        },
    )

    assert refused.status_code == 409
    assert refused.json()["errors"][0]["pointer"] == "/aliases/0/name"
    assert refused.json()["actors"] == [
        {
            "id": held["id"],
            "name": "North Korea",
            "matched_name": "Democratic People's Republic of Korea",
        }
    ]
    assert kept.status_code == 200, kept.text
    assert kept.json()["version"] == 2
    assert "allow_duplicate_name" not in kept.json()


def test_every_invalid_field_is_reported_before_any_duplicate(client: TestClient) -> None:
    create(client, "/v1/actors", actor_body())

    response = client.post("/v1/actors", json=actor_body(kind="planet"))

    assert response.status_code == 422
    assert [e["pointer"] for e in response.json()["errors"]] == ["/kind"]


def test_aliases_are_stored_once_case_and_accents_aside(client: TestClient) -> None:
    actor = create(
        client,
        "/v1/actors",
        {
            "kind": "state",
            "name": "São Tomé and Príncipe",
            "aliases": [
                {"name": "SAO TOME AND PRINCIPE"},
                {"name": "Sao Tome", "strength": "weak"},
                {"name": "SÃO TOMÉ", "language": "pt"},
                {"name": "sao  tome"},
                {"name": "Tomé, São"},
            ],
        },
    )

    assert actor["aliases"] == [
        {"name": "Sao Tome", "language": None, "script": None, "strength": "strong"},
        {"name": "Tomé, São", "language": None, "script": None, "strength": "strong"},
    ]
    # Sending the stored actor back changes nothing.
    path = f"/v1/actors/{actor['id']}"
    same = _patch(
        client,
        path,
        {"aliases": [{"name": "Sao Tome"}, {"name": "SÃO TOMÉ"}, {"name": "Tomé, São"}]},
    )
    assert same.json()["version"] == 1


# External ids.


def test_external_ids_are_trimmed_and_compared_by_their_scheme(client: TestClient) -> None:
    held = create(
        client,
        "/v1/actors",
        actor_body(
            kind="company",
            name="Korea Mining Development Trading Corporation",
            aliases=[{"name": "KOMID"}],
            external_ids=[
                {"scheme": "un_sc", "value": " KPe.001 "},
                {"scheme": "iso3166", "value": "KP"},
            ],
        ),
    )
    assert held["external_ids"] == [
        {"scheme": "iso3166", "value": "KP"},
        {"scheme": "un_sc", "value": "KPe.001"},
    ]

    taken = client.post(
        "/v1/actors",
        json={
            "kind": "company",
            "name": "Other",
            "external_ids": [{"scheme": "un_sc", "value": "kpe.001"}],
        },
    )
    case_matters = client.post(
        "/v1/actors",
        json={
            "kind": "company",
            "name": "Else",
            "external_ids": [{"scheme": "iso3166", "value": "kp"}],
        },
    )
    twice = client.post(
        "/v1/actors",
        json={
            "kind": "company",
            "name": "Twice",
            "external_ids": [
                {"scheme": "ofac", "value": "9647"},
                {"scheme": "ofac", "value": " 9647"},
            ],
        },
    )

    detail = f"un_sc:kpe.001 already identifies actor {held['id']!r} ({held['name']})."
    assert taken.status_code == 409
    assert taken.json() == _conflict(
        detail,
        [{"pointer": "/external_ids/0", "detail": detail}],
        actors=[{"id": held["id"], "name": "Korea Mining Development Trading Corporation"}],
    )
    assert case_matters.status_code == 201, case_matters.text
    assert twice.status_code == 422
    assert twice.json()["errors"] == [
        {"pointer": "/external_ids/1", "detail": "ofac:9647 is listed twice (see /external_ids/0)."}
    ]
    found = client.get("/v1/actors", params={"external_id": "un_sc:KPE.001"}).json()["data"]
    assert [actor["id"] for actor in found] == [held["id"]]


def test_claim_filters_resolve_external_ids_like_names(client: TestClient) -> None:
    world = World(client)
    kim = create(
        client,
        "/v1/actors",
        actor_body(
            kind="person",
            name="Kim Jong Un",
            aliases=[],
            external_ids=[
                {"scheme": "un_sc", "value": "KPi.034"},
                {"scheme": "ofac", "value": "20157"},
            ],
        ),
    )
    cited = create(client, "/v1/claims", claim_body(world.source["id"], kim["id"]))

    for value in ("un_sc:KPi.034", "un_sc:kpi.034", "ofac:20157", "ofac: 20157"):
        page = client.get("/v1/claims", params={"actor": value})
        assert page.status_code == 200, (value, page.text)
        assert [claim["id"] for claim in page.json()["data"]] == [cited["id"]], value
    unknown = client.get("/v1/claims", params={"actor": "ofac:1"})
    assert unknown.status_code == 422
    assert unknown.json()["candidates"][0]["reason"] == "no_match"


# Sources.


def test_a_source_with_a_held_url_or_text_is_409_unless_flagged(
    client: TestClient, engine: Engine
) -> None:
    held = create(client, "/v1/sources", source_body(url="https://www.Reuters.com/world/kcna/"))
    same_url = source_body(url="https://www.reuters.com/world/kcna#top", text="Other text.")
    same_text = source_body(url="https://example.org/copy")
    before = row_counts(engine)

    by_url = client.post("/v1/sources", json=same_url)
    by_text = client.post("/v1/sources", json=same_text)
    by_both = client.post("/v1/sources", json=source_body(url="https://www.reuters.com/world/kcna"))

    title = "Donbas separatist leader urges cooperation with North Korea - KCNA"
    record = {"id": held["id"], "title": title, "url": "https://www.Reuters.com/world/kcna/"}
    keep = 'To keep both, send "allow_duplicate_source": true.'
    url_detail = f"Source {held['id']!r} ({title}) has the same URL. {keep}"
    text_detail = f"Source {held['id']!r} ({title}) has the same held text. {keep}"
    assert by_url.status_code == by_text.status_code == by_both.status_code == 409
    assert by_url.json() == _conflict(
        url_detail, [{"pointer": "/url", "detail": url_detail}], sources=[record]
    )
    assert by_text.json() == _conflict(
        text_detail, [{"pointer": "/text", "detail": text_detail}], sources=[record]
    )
    assert by_both.json() == _conflict(
        "2 fields duplicate records.",
        [{"pointer": "/url", "detail": url_detail}, {"pointer": "/text", "detail": text_detail}],
        sources=[record],
    )
    assert row_counts(engine) == before

    kept = client.post("/v1/sources", json=same_text | {"allow_duplicate_source": True})
    assert kept.status_code == 201, kept.text
    assert "allow_duplicate_source" not in kept.json()


def test_an_update_to_a_held_url_is_409(client: TestClient) -> None:
    create(client, "/v1/sources", source_body(url="https://example.org/a"))
    other = create(client, "/v1/sources", source_body(url="https://example.org/b", text="B."))
    path = f"/v1/sources/{other['id']}"

    refused = _patch(client, path, {"url": "https://EXAMPLE.org/a/"})
    retitled = _patch(client, path, {"title": "B, retitled"})

    assert refused.status_code == 409
    assert [e["pointer"] for e in refused.json()["errors"]] == ["/url"]
    assert retitled.status_code == 200


# What a report command lists: duplicates already stored (from before these checks).


def test_find_duplicates_lists_stored_duplicates(client: TestClient, engine: Engine) -> None:
    first = create(client, "/v1/actors", actor_body())
    second = create(
        client,
        "/v1/actors",
        actor_body(name="North  Korea", aliases=[], external_ids=[], allow_duplicate_name=True),
    )
    kept = [
        create(client, "/v1/sources", source_body(allow_duplicate_source=True))["id"]
        for _ in range(2)
    ]
    create(client, "/v1/sources", source_body(text="Unrelated text."))

    with Session(engine) as session:
        found = find_duplicates(session)

    assert found == [
        DuplicateGroup("actor", "name", "korea north", sorted([first["id"], second["id"]])),
        DuplicateGroup("source", "sha256", kept_hash(client, kept[0]), sorted(kept)),
    ]


def kept_hash(client: TestClient, source_id: str) -> str:
    return str(client.get(f"/v1/sources/{source_id}").json()["sha256"])


def test_a_source_patch_reports_invalid_fields_before_its_conflicts(client: TestClient) -> None:
    world = World(client)  # its claim cites the source, so the held text cannot change
    path = f"/v1/sources/{world.source['id']}"

    invalid = _patch(client, path, {"kind": "rumour", "text": "Another text."})
    conflicting = _patch(client, path, {"text": "Another text."})

    assert invalid.status_code == 422
    assert [e["pointer"] for e in invalid.json()["errors"]] == ["/kind"]
    detail = (
        "The held text cannot change while evidence cites it; retract or re-point those "
        "claims' evidence first."
    )
    assert conflicting.status_code == 409
    assert conflicting.json() == _conflict(
        detail, [{"pointer": "/text", "detail": detail}], source_id=world.source["id"]
    )
