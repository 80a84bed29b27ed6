"""Legal instruments and the claims that cite them."""

from fastapi.testclient import TestClient

from tests.factories import World, actor_body, create

MERGE_PATCH = {"content-type": "application/merge-patch+json"}
RESOLUTION = {
    "symbol": "S/RES/2397 (2017)",
    "title": "Resolution 2397 (2017)",
    "adopted": "2017-12-22",
}


def test_symbols_are_unique(client: TestClient) -> None:
    create(client, "/v1/instruments", RESOLUTION)

    response = client.post("/v1/instruments", json=RESOLUTION)

    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/symbol"


def test_issuer_must_exist(client: TestClient) -> None:
    response = client.post("/v1/instruments", json=RESOLUTION | {"issuer_id": "missing"})

    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/issuer_id"


def test_list_by_symbol_and_update_rerenders_citing_claims(client: TestClient) -> None:
    world = World(client)
    council = create(
        client,
        "/v1/actors",
        actor_body(
            name="UN Security Council",
            kind="international_organisation",
            aliases=[],
            external_ids=[],
        ),
    )
    instrument = create(client, "/v1/instruments", RESOLUTION | {"issuer_id": council["id"]})
    claim_path = f"/v1/claims/{world.claim['id']}"
    client.patch(
        claim_path,
        json={"instruments": [{"instrument_id": instrument["id"], "provision": "para 8"}]},
        headers={
            "content-type": "application/merge-patch+json",
            "If-Match": client.get(claim_path).headers["etag"],
        },
    )
    path = f"/v1/instruments/{instrument['id']}"

    listed = client.get("/v1/instruments", params={"symbol": "S/RES/2397 (2017)"}).json()["data"]
    renamed = client.patch(
        path,
        json={"title": "UNSC resolution 2397"},
        headers={**MERGE_PATCH, "If-Match": client.get(path).headers["etag"]},
    )

    assert [i["id"] for i in listed] == [instrument["id"]]
    assert renamed.json()["adopted_precision"] == "day"
    assert client.get(claim_path).json()["instruments"][0]["title"] == "UNSC resolution 2397"
