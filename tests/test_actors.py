"""Actors: names, aliases, external ids, and merging one actor into another."""

from fastapi.testclient import TestClient

from tests.factories import World, actor_body, create

MERGE_PATCH = {"content-type": "application/merge-patch+json"}


def test_create_an_actor_with_aliases_and_external_ids(client: TestClient) -> None:
    actor = create(client, "/v1/actors", actor_body())

    assert [a["name"] for a in actor["aliases"]] == [
        "DPRK",
        "Democratic People's Republic of Korea",
        "Pyongyang",
    ]
    assert actor["aliases"][2]["strength"] == "weak"
    assert actor["external_ids"] == [{"scheme": "iso3166", "value": "KP"}]


def test_an_external_id_identifies_one_actor(client: TestClient) -> None:
    held = create(client, "/v1/actors", actor_body())

    response = client.post("/v1/actors", json=actor_body(name="Another", aliases=[]))

    assert response.status_code == 409
    detail = f"iso3166:KP already identifies actor {held['id']!r} (North Korea)."
    assert response.json() == {
        "type": "https://sanctions-claims.dev/problems/conflict",
        "title": "Conflict",
        "status": 409,
        "detail": detail,
        "errors": [{"pointer": "/external_ids/0", "detail": detail}],
        "actors": [{"id": held["id"], "name": "North Korea"}],
    }


def test_list_finds_actors_by_any_alias_spelling(client: TestClient) -> None:
    create(client, "/v1/actors", actor_body())
    create(
        client,
        "/v1/actors",
        {
            "kind": "de_facto_authority",
            "name": "Luhansk People's Republic",
            "aliases": [{"name": "Lugansk People’s Republic"}],
        },
    )

    def names(q: str) -> list[str]:
        return [a["name"] for a in client.get("/v1/actors", params={"q": q}).json()["data"]]

    assert names("dprk") == ["North Korea"]
    assert names("LUGANSK PEOPLES") == ["Luhansk People's Republic"]
    assert names("republic korea people's democratic") == ["North Korea"]


def test_merge_moves_names_ids_and_claims_and_redirects(client: TestClient) -> None:
    world = World(client)
    duplicate = create(
        client,
        "/v1/actors",
        {
            "kind": "state",
            "name": "N. Korea",
            "external_ids": [{"scheme": "wikidata", "value": "Q423"}],
        },
    )
    duplicate_path = f"/v1/actors/{duplicate['id']}"
    claim_body = {
        **{k: world.claim[k] for k in ("predicate", "statement", "modality", "status")},
        "actors": [{"actor_id": duplicate["id"], "role": "agent"}],
        "evidence": [{k: v for k, v in world.claim["evidence"][0].items() if k != "source"}],
    }
    claim = create(client, "/v1/claims", claim_body)

    response = client.post(
        f"{duplicate_path}/merge",
        json={"into": world.actor["id"]},
        headers={"If-Match": client.get(duplicate_path).headers["etag"]},
    )

    assert response.status_code == 200, response.text
    survivor = response.json()
    assert "N. Korea" in [a["name"] for a in survivor["aliases"]]
    assert {"scheme": "wikidata", "value": "Q423"} in survivor["external_ids"]
    redirect = client.get(duplicate_path, follow_redirects=False)
    assert redirect.status_code == 308
    assert redirect.headers["location"] == f"/v1/actors/{world.actor['id']}"
    moved = client.get(f"/v1/claims/{claim['id']}").json()
    assert moved["actors"][0]["actor_id"] == world.actor["id"]
    assert moved["version"] == 2
    operations = [
        r["operation"] for r in client.get(f"/v1/claims/{claim['id']}/revisions").json()["data"]
    ]
    assert operations == ["created", "updated"]


def test_a_claim_naming_both_merged_actors_in_one_role_names_the_survivor_once(
    client: TestClient,
) -> None:
    world = World(client)
    duplicate = create(client, "/v1/actors", {"kind": "state", "name": "N. Korea"})
    both = {
        **{k: world.claim[k] for k in ("predicate", "statement", "modality", "status")},
        "actors": [
            {"actor_id": world.actor["id"], "role": "agent"},
            {"actor_id": duplicate["id"], "role": "agent"},
            {"actor_id": duplicate["id"], "role": "subject"},
        ],
        "evidence": [{k: v for k, v in world.claim["evidence"][0].items() if k != "source"}],
    }
    claim = create(client, "/v1/claims", both)
    duplicate_path = f"/v1/actors/{duplicate['id']}"
    merged = client.post(
        f"{duplicate_path}/merge",
        json={"into": world.actor["id"]},
        headers={"If-Match": client.get(duplicate_path).headers["etag"]},
    )
    assert merged.status_code == 200, merged.text

    path = f"/v1/claims/{claim['id']}"
    moved = client.get(path).json()
    assert [(a["actor_id"], a["role"]) for a in moved["actors"]] == [
        (world.actor["id"], "agent"),
        (world.actor["id"], "subject"),
    ]
    # The claim stays editable: its stored body has no repeat to refuse.
    edited = client.patch(
        path, json={}, headers={**MERGE_PATCH, "If-Match": client.get(path).headers["etag"]}
    )
    assert edited.status_code == 200, edited.text


def test_merge_refuses_itself_and_unknown_targets(client: TestClient) -> None:
    actor = create(client, "/v1/actors", actor_body())
    path = f"/v1/actors/{actor['id']}"
    etag = client.get(path).headers["etag"]

    into_itself = client.post(
        f"{path}/merge", json={"into": actor["id"]}, headers={"If-Match": etag}
    )
    into_nothing = client.post(
        f"{path}/merge", json={"into": "missing"}, headers={"If-Match": etag}
    )

    assert into_itself.status_code == 422
    assert into_nothing.status_code == 422
    assert into_nothing.json()["errors"][0]["pointer"] == "/into"


def test_claims_cannot_cite_a_merged_actor(client: TestClient) -> None:
    world = World(client)
    other = create(client, "/v1/actors", {"kind": "state", "name": "DPRK (dup)"})
    client.post(
        f"/v1/actors/{other['id']}/merge",
        json={"into": world.actor["id"]},
        headers={"If-Match": client.get(f"/v1/actors/{other['id']}").headers["etag"]},
    )
    body = {
        **{k: world.claim[k] for k in ("predicate", "statement", "modality")},
        "actors": [{"actor_id": other["id"], "role": "agent"}],
        "evidence": [{k: v for k, v in world.claim["evidence"][0].items() if k != "source"}],
    }

    response = client.post("/v1/claims", json=body)

    assert response.status_code == 422
    assert world.actor["id"] in response.json()["errors"][0]["detail"]
