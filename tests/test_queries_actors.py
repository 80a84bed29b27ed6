"""GET /v1/actors by name or alias (saying which name matched) and by external id; list
bodies assembled from stored documents match their declared models."""

from fastapi.testclient import TestClient

from app.actors.schemas import ActorPage
from app.claims.schemas import ClaimPage, TimelinePage
from tests.test_queries import Analyst, analyst  # noqa: F401 - the fixture


def _matches(client: TestClient, q: str) -> dict[str, dict[str, object]]:
    response = client.get("/v1/actors", params={"q": q})
    assert response.status_code == 200, response.text
    return {actor["name"]: actor["matched"] for actor in response.json()["data"]}


def test_actors_by_name_or_alias_say_what_matched(client: TestClient, analyst: Analyst) -> None:  # noqa: F811
    assert _matches(client, "dprk") == {
        "North Korea": {"via": "alias", "value": "DPRK", "strength": "strong"}
    }
    assert _matches(client, "Korea, North") == {
        "North Korea": {"via": "name", "value": "North Korea", "strength": None}
    }
    assert _matches(client, "pyongyang")["North Korea"] == {
        "via": "alias",
        "value": "Pyongyang",
        "strength": "weak",
    }
    assert _matches(client, "peoples republic") == {
        "North Korea": {
            "via": "alias",
            "value": "Democratic People's Republic of Korea",
            "strength": "strong",
        },
        "Luhansk People's Republic": {
            "via": "name",
            "value": "Luhansk People's Republic",
            "strength": None,
        },
    }
    # An exact name wins over a longer one that merely contains the words.
    assert _matches(client, "lugansk")["Luhansk People's Republic"]["value"] == "Lugansk"
    assert _matches(client, "LUGANSK PEOPLE’S")["Luhansk People's Republic"]["value"] == (
        "Lugansk People’s Republic"
    )
    assert _matches(client, "korea republic luhansk") == {}  # one name must hold every word


def test_actors_by_external_id(client: TestClient, analyst: Analyst) -> None:  # noqa: F811
    found = client.get("/v1/actors", params={"external_id": "ofac:20157"}).json()["data"]
    assert [actor["id"] for actor in found] == [analyst.north_korea]
    assert found[0]["matched"] == {"via": "external_id", "value": "ofac:20157", "strength": None}
    assert client.get("/v1/actors", params={"external_id": "ofac:1"}).json()["data"] == []
    for malformed in ["ofac", "ofac:", ":20157", "OFAC:20157", "of ac:1", "ofac:\x00"]:
        response = client.get("/v1/actors", params={"external_id": malformed})
        assert response.status_code == 422, malformed
        assert response.json()["errors"][0]["parameter"] == "external_id"


def test_list_bodies_match_their_models(client: TestClient, analyst: Analyst) -> None:  # noqa: F811
    page = client.get("/v1/claims", params={"limit": 3, "sort": "date", "date_kind": "reported"})
    ClaimPage.model_validate_json(page.content)
    timeline = client.get(f"/v1/actors/{analyst.north_korea}/timeline", params={"limit": 3})
    TimelinePage.model_validate_json(timeline.content)
    actors = client.get("/v1/actors", params={"q": "korea", "limit": 1})
    ActorPage.model_validate_json(actors.content)
