"""Legal instruments and the claims that cite them."""

import pytest
from fastapi.testclient import TestClient

from tests.factories import World, actor_body, create

MERGE_PATCH = {"content-type": "application/merge-patch+json"}
RESOLUTION = {
    "symbol": "S/RES/2397 (2017)",
    "title": "Resolution 2397 (2017)",
    "adopted": "2017-12-22",
}


@pytest.mark.parametrize("symbol", ["S/RES/2397 (2017)", "S/RES/2397(2017)", " s/res/2397  (2017)"])
def test_symbols_are_unique_but_for_spaces_and_case(client: TestClient, symbol: str) -> None:
    held = create(client, "/v1/instruments", RESOLUTION)

    response = client.post("/v1/instruments", json=RESOLUTION | {"symbol": symbol})

    assert response.status_code == 409
    exact = symbol == RESOLUTION["symbol"]
    detail = f"Instrument {held['id']!r} already has the symbol 'S/RES/2397 (2017)'" + (
        "." if exact else " (spaces and case aside)."
    )
    assert response.json() == {
        "type": "https://sanctions-claims.dev/problems/conflict",
        "title": "Conflict",
        "status": 409,
        "detail": detail,
        "errors": [{"pointer": "/symbol", "detail": detail}],
        "instruments": [{"id": held["id"], "symbol": "S/RES/2397 (2017)"}],
    }


def test_an_instrument_is_found_by_its_symbol_spaces_and_case_aside(client: TestClient) -> None:
    held = create(client, "/v1/instruments", RESOLUTION)

    found = client.get("/v1/instruments", params={"symbol": "s/res/2397(2017)"}).json()

    assert [i["id"] for i in found["data"]] == [held["id"]]


def test_renaming_to_a_held_symbol_is_409(client: TestClient) -> None:
    create(client, "/v1/instruments", RESOLUTION)
    other = create(client, "/v1/instruments", {"symbol": "S/RES/2375 (2017)"})
    path = f"/v1/instruments/{other['id']}"

    response = client.patch(
        path,
        json={"symbol": "S/RES/2397(2017)"},
        headers={**MERGE_PATCH, "If-Match": client.get(path).headers["ETag"]},
    )

    assert response.status_code == 409
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
