"""GET /v1/actors/{id}/timeline: an entry per (claim, date) of the actor's claims in date
order, each with the date that placed it, then the claims without such a date."""

from typing import Any

from fastapi.testclient import TestClient

from tests.test_queries import Analyst, analyst  # noqa: F401 - the fixture


def _walk(client: TestClient, actor_id: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        response = client.get(
            f"/v1/actors/{actor_id}/timeline", params={**params, "limit": 2, "cursor": cursor}
        )
        assert response.status_code == 200, response.text
        items += response.json()["data"]
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return items


def _placed(items: list[dict[str, Any]]) -> list[tuple[str, str | None, str | None]]:
    return [
        (
            item["claim"]["id"],
            *((item["date"]["kind"], item["date"]["value"]) if item["date"] else (None, None)),
        )
        for item in items
    ]


def test_timeline_has_an_entry_for_each_date(
    client: TestClient,
    analyst: Analyst,  # noqa: F811
) -> None:
    items = _walk(client, analyst.north_korea)
    deadline_2019, labourers, deadline_2021 = (
        analyst.deadline_2019,
        analyst.labourers,
        analyst.deadline_2021,
    )
    # By day, then claim: the recognition (created first) before the rupture on 2022-07-13.
    assert _placed(items) == [
        (deadline_2019, "adopted", "2017-12-22"),
        (analyst.denial_2019, "occurred", "2019"),
        (analyst.denial_2019, "reported", "2019-05-02"),
        (deadline_2019, "deadline", "2019-12"),
        (deadline_2021, "deadline", "2021"),
        (analyst.recognition, "occurred", "2022-07"),
        (analyst.recognition, "reported", "2022-07-13"),
        (analyst.rupture, "occurred", "2022-07-13"),
        (analyst.rupture, "reported", "2022-07-14"),
        (deadline_2019, "reported", "2022-08-17"),
        (labourers, "reported", "2022-08-17"),
        (deadline_2021, "reported", "2022-08-17"),
    ]
    assert items[5]["date"] == {
        "kind": "occurred",
        "value": "2022-07",
        "precision": "month",
        "earliest": "2022-07-01",
        "latest": "2022-07-31",
    }
    assert items[5]["claim"] == client.get(f"/v1/claims/{analyst.recognition}").json()


def test_timeline_by_date_kind_and_role(client: TestClient, analyst: Analyst) -> None:  # noqa: F811
    reported = _walk(client, analyst.north_korea, date_kind="reported")
    assert [item["claim"]["id"] for item in reported] == [
        analyst.denial_2019,
        analyst.recognition,
        analyst.rupture,
        *sorted([analyst.deadline_2019, analyst.labourers, analyst.deadline_2021]),
    ]
    assert {item["date"]["kind"] for item in reported} == {"reported"}
    as_agent = _walk(client, analyst.north_korea, actor_role="agent")
    assert _placed(as_agent) == [
        (analyst.recognition, "occurred", "2022-07"),
        (analyst.recognition, "reported", "2022-07-13"),
    ]
    # An obligation adopted in 2017 with a 2019 deadline appears at both; the actor's
    # claims without such a date follow, by id, with no date.
    deadlines = _walk(client, analyst.north_korea, date_kind=["deadline", "adopted"])
    undated = sorted([analyst.labourers, analyst.recognition, analyst.rupture, analyst.denial_2019])
    assert _placed(deadlines) == [
        (analyst.deadline_2019, "adopted", "2017-12-22"),
        (analyst.deadline_2019, "deadline", "2019-12"),
        (analyst.deadline_2021, "deadline", "2021"),
        *((claim_id, None, None) for claim_id in undated),
    ]
    assert deadlines[-1]["claim"] == client.get(f"/v1/claims/{undated[-1]}").json()
    retracted = _walk(client, analyst.north_korea, status="retracted")
    assert [item["claim"]["id"] for item in retracted] == [analyst.retracted]


def test_timeline_window(client: TestClient, analyst: Analyst) -> None:  # noqa: F811
    """A window keeps the entries whose date overlaps it, and no undated claims."""
    in_2019 = _walk(
        client,
        analyst.north_korea,
        date_kind=["deadline", "adopted", "occurred"],
        date_from="2019",
        date_to="2019-12-31",
    )
    assert _placed(in_2019) == [
        (analyst.denial_2019, "occurred", "2019"),
        (analyst.deadline_2019, "deadline", "2019-12"),
    ]
    since = _walk(client, analyst.north_korea, date_kind="occurred", date_from="2022-07-05")
    assert _placed(since) == [
        (analyst.recognition, "occurred", "2022-07"),
        (analyst.rupture, "occurred", "2022-07-13"),
    ]
    refused = client.get(
        f"/v1/actors/{analyst.north_korea}/timeline",
        params={"date_from": "2020", "date_to": "2019"},
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["parameter"] == "date_to"


def test_timeline_of_merged_and_unknown_actors(client: TestClient, analyst: Analyst) -> None:  # noqa: F811
    duplicate = analyst.actor("state", "Korea (North)", [], allow_duplicate_name=True)
    etag = client.get(f"/v1/actors/{duplicate}").headers["ETag"]
    client.post(
        f"/v1/actors/{duplicate}/merge",
        json={"into": analyst.north_korea},
        headers={"If-Match": etag},
    )
    assert _walk(client, duplicate) == _walk(client, analyst.north_korea)
    missing = client.get("/v1/actors/0190a000-0000-7000-8000-00000000dead/timeline")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


def test_timeline_cursor_and_etag(client: TestClient, analyst: Analyst) -> None:  # noqa: F811
    path = f"/v1/actors/{analyst.north_korea}/timeline"
    first = client.get(path, params={"limit": 2})
    cursor = first.json()["next_cursor"]
    assert client.get(path, params={"limit": 4, "cursor": cursor}).status_code == 200
    other = client.get(path, params={"date_kind": "reported", "cursor": cursor})
    assert other.status_code == 400
    elsewhere = client.get(f"/v1/actors/{analyst.russia}/timeline", params={"cursor": cursor})
    assert elsewhere.status_code == 400
    etag = first.headers["ETag"]
    cached = client.get(path, params={"limit": 2}, headers={"If-None-Match": etag})
    assert cached.status_code == 304
    assert client.get(path, params={"date_kind": "someday"}).status_code == 422
