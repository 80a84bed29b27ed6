"""The time of an event is one span: its `occurred` date, or the interval from its `start`
to its `end` (ongoing without an end). Windows over `occurred`, the year facet, `sort=date`
and timelines use it; `occurred` intervals round-trip; bad dates are refused."""

from datetime import UTC, datetime
from typing import Any

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from app.cli import alembic_config
from app.db import make_engine
from app.seeding import load_seeds
from tests.factories import World, claim_body, create
from tests.test_migrations import NOW
from tests.test_seeds import SEEDS


def _dated(world: World, *dates: tuple[str, str], **more: Any) -> dict[str, Any]:
    body = claim_body(
        world.source["id"],
        world.actor["id"],
        dates=[{"kind": kind, "value": value} for kind, value in dates],
        **more,
    )
    return create(world.client, "/v1/claims", body)


def _ids(client: TestClient, path: str = "/v1/claims", **params: Any) -> list[str]:
    """Every claim id of a list, walked page by page."""
    found: list[str] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = client.get(path, params=query)
        assert response.status_code == 200, response.text
        found += [item["id"] for item in response.json()["data"]]
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return found


def _years(client: TestClient, **params: Any) -> dict[int, int]:
    response = client.get("/v1/claims/facets", params=params)
    assert response.status_code == 200, response.text
    return {entry["year"]: entry["count"] for entry in response.json()["year"]}


@pytest.fixture
def world(client: TestClient) -> World:
    return World(client)  # its claim occurred in 2022-07


YEAR_2019 = {"date_from": "2019-01-01", "date_to": "2019-12-31"}


def test_a_start_end_claim_is_an_event_of_its_interval(client: TestClient, world: World) -> None:
    clashes = _dated(world, ("start", "2019-01-24"), ("end", "2019-01-25"))
    # Found by an occurred window (the default kind), and by its kind's name.
    assert _ids(client, **YEAR_2019) == [clashes["id"]]
    assert _ids(client, date_kind="occurred", **YEAR_2019) == [clashes["id"]]
    assert _ids(client, date_from="2019-01-25", date_to="2019-02") == [clashes["id"]]
    assert _ids(client, date_from="2019-01-26") == [world.claim["id"]]
    # Counted in the 2019 facet.
    assert _years(client) == {2019: 1, 2022: 1}
    assert _years(client, **YEAR_2019) == {2019: 1}
    # Placed by sort=date, by its start.
    assert _ids(client, sort="date") == [clashes["id"], world.claim["id"]]
    assert _ids(client, sort="-date") == [world.claim["id"], clashes["id"]]
    # Shown in the timeline, by the span that placed it.
    timeline = client.get(
        f"/v1/actors/{world.actor['id']}/timeline", params={"date_kind": "occurred"}
    ).json()
    assert [(item["claim"]["id"], item["date"]) for item in timeline["data"]] == [
        (
            clashes["id"],
            {
                "kind": "occurred",
                "value": "2019-01-24/2019-01-25",
                "precision": "day",
                "earliest": "2019-01-24",
                "latest": "2019-01-25",
            },
        ),
        (world.claim["id"], world.claim["dates"][0]),
    ]
    # The span is not one of the claim's own dates: the document holds what was sent.
    assert [(d["kind"], d["value"]) for d in clashes["dates"]] == [
        ("start", "2019-01-24"),
        ("end", "2019-01-25"),
    ]
    assert client.get(f"/v1/claims/{clashes['id']}").json() == clashes


def test_an_interval_straddling_a_window_edge_matches(client: TestClient, world: World) -> None:
    winter = _dated(world, ("start", "2018-12-20"), ("end", "2019-01-05"))
    assert _ids(client, **YEAR_2019) == [winter["id"]]
    assert _ids(client, date_from="2018", date_to="2018") == [winter["id"]]
    # It counts in each year of the window it overlaps: more than the total.
    response = client.get("/v1/claims/facets", params={"date_from": "2018", "date_to": "2019"})
    assert response.json()["total"] == 1
    assert _years(client, date_from="2018", date_to="2019") == {2018: 1, 2019: 1}
    assert _years(client, date_from="2019", date_to="2022") == {2019: 1, 2022: 1}
    # With the actor (the (actor, date) index), in claim order and in date order.
    actor = world.actor["id"]
    assert _ids(client, actor=actor, **YEAR_2019) == [winter["id"]]
    assert _ids(client, actor=actor, sort="date", **YEAR_2019) == [winter["id"]]
    # An end alone is refused before a start already; a start without an end is ongoing.
    spring = _dated(world, ("occurred", "2014-03/2014-05"))
    assert _ids(client, date_from="2014-04", date_to="2014-04") == [spring["id"]]
    assert _years(client, date_to="2014-12-31") == {2014: 1}


def test_an_ongoing_interval_is_open_to_the_future(client: TestClient, world: World) -> None:
    deployment = _dated(world, ("start", "2017-05"))
    this_year = datetime.now(UTC).year
    assert _ids(client, date_from="2024", date_to="2025") == [deployment["id"]]
    assert _ids(client, date_from="2090") == [deployment["id"]]
    assert _ids(client, date_to="2016") == []
    # Up to the current year without `date_to` (not every year to 9999), then the window's.
    assert _years(client) == {year: 1 + (year == 2022) for year in range(2017, this_year + 1)}
    assert _years(client, date_from="2090") == {2090: 1}
    assert _years(client, date_from="2030", date_to="2031") == {2030: 1, 2031: 1}
    timeline = client.get(
        f"/v1/actors/{world.actor['id']}/timeline", params={"date_kind": "occurred"}
    ).json()
    assert timeline["data"][0]["date"] == {
        "kind": "occurred",
        "value": "2017-05/..",
        "precision": "month",
        "earliest": "2017-05-01",
        "latest": "9999-12-31",
    }


def test_occurred_wins_over_start_and_end(client: TestClient, world: World) -> None:
    both = _dated(world, ("occurred", "2020"), ("start", "2015"), ("end", "2016"))
    assert _ids(client, date_from="2015", date_to="2016") == []
    assert _ids(client, date_from="2020", date_to="2020") == [both["id"]]
    assert _ids(client, date_kind="start", date_from="2015", date_to="2015") == [both["id"]]
    assert _years(client) == {2020: 1, 2022: 1}


def test_date_kind_any_matches_any_of_a_claims_dates(client: TestClient, world: World) -> None:
    duty = _dated(world, ("adopted", "2017-12-22"), ("deadline", "2019-12"))
    assert _ids(client, date_kind="any", date_from="2019-12", date_to="2019-12") == [duty["id"]]
    assert _ids(client, date_kind="any", date_from="2017", date_to="2017") == [duty["id"]]
    assert _ids(client, date_kind="any", date_from="2018", date_to="2018") == []
    assert _ids(client, date_kind="any", actor=world.actor["id"], date_from="2022") == [
        world.claim["id"]
    ]
    facets = client.get("/v1/claims/facets", params={"date_kind": "any"}).json()
    assert facets["date_kind"] == "any"
    assert _years(client, date_kind="any") == {2017: 1, 2019: 1, 2022: 1}
    assert _ids(client, date_kind="any", sort="date") == [duty["id"], world.claim["id"]]
    assert _ids(client, sort="date") == [world.claim["id"], duty["id"]]  # undated last


def test_occurred_intervals_round_trip(client: TestClient, world: World) -> None:
    spring = _dated(world, ("occurred", "2014-03/2014-05"), ("reported", "2014-06-02"))
    mixed = _dated(world, ("occurred", "2019/2019-03-02"))
    assert spring["dates"][0] == {
        "kind": "occurred",
        "value": "2014-03/2014-05",
        "precision": "month",
        "earliest": "2014-03-01",
        "latest": "2014-05-31",
    }
    assert mixed["dates"][0] == {
        "kind": "occurred",
        "value": "2019/2019-03-02",
        "precision": "year",
        "earliest": "2019-01-01",
        "latest": "2019-03-02",
    }
    assert client.get(f"/v1/claims/{spring['id']}").json() == spring
    # A patch that resends the interval changes nothing.
    etag = client.get(f"/v1/claims/{spring['id']}").headers["ETag"]
    same = client.patch(
        f"/v1/claims/{spring['id']}",
        json={"dates": [{"kind": "occurred", "value": "2014-03/2014-05"},
                        {"kind": "reported", "value": "2014-06-02"}]},
        headers={"If-Match": etag, "Content-Type": "application/merge-patch+json"},
    )  # fmt: skip
    assert same.status_code == 200, same.text
    assert same.json()["version"] == 1


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("occurred", "2019-01-25/2019-01-24"),  # starts after it ends
        ("occurred", "2014-05/2014-03"),
        ("occurred", "2019-01-24/"),
        ("occurred", "2019-02-30/2019-03"),
        ("start", "2019-01-24/2019-01-25"),  # only an occurred date is an interval
        ("deadline", "2019/2020"),
        ("occurred", "٢٠٢٢-٠٨"),  # Arabic-Indic digits
        ("occurred", "２０１９"),  # full-width digits
        ("reported", "2019-0８"),
    ],
)
def test_bad_dates_are_refused_with_a_pointer(
    client: TestClient, world: World, kind: str, value: str
) -> None:
    body = claim_body(world.source["id"], world.actor["id"])
    body["dates"] = [{"kind": "reported", "value": "2022-08"}, {"kind": kind, "value": value}]
    response = client.post("/v1/claims", json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["pointer"] for e in response.json()["errors"]] == ["/dates/1/value"]
    assert _ids(client, status=["published", "draft"]) == [world.claim["id"]]


@pytest.mark.parametrize("value", ["٢٠٢٢-٠٨", "２０１９", "2019/2020", "2019-13"])
def test_query_dates_follow_the_same_rule(client: TestClient, value: str) -> None:
    for path, name in [("/v1/claims", "date_from"), ("/v1/claims/facets", "date_to")]:
        response = client.get(path, params={name: value})
        assert response.status_code == 422, (path, response.text)
        assert response.json()["errors"][0]["parameter"] == name
    instrument = client.post(
        "/v1/instruments", json={"symbol": "S/RES/1718 (2006)", "adopted": value}
    )
    assert instrument.status_code == 422, instrument.text


def test_sort_by_date_over_the_seeds_lists_every_claim(engine: Engine, client: TestClient) -> None:
    load_seeds(engine, SEEDS)
    listed = _ids(client, limit=500)
    assert len(listed) > 20
    for kind in ("occurred", "reported", "deadline", "any"):
        for sort in ("date", "-date"):
            walked = _ids(client, sort=sort, date_kind=kind, limit=3)
            assert sorted(walked) == sorted(listed), (kind, sort)
            assert len(set(walked)) == len(walked), (kind, sort)
            assert walked == _ids(client, sort=sort, date_kind=kind, limit=500), (kind, sort)
    # Undated claims come last, by id, in both directions.
    dated = set(_ids(client, date_kind="deadline", date_from="0001"))
    for sort in ("date", "-date"):
        walked = _ids(client, sort=sort, date_kind="deadline", limit=3)
        assert walked[len(dated) :] == sorted(set(listed) - dated)


def test_the_migration_derives_event_spans_in_place(fresh_url: str) -> None:
    config = alembic_config(fresh_url)
    command.upgrade(config, "0006_actor_date_walk")
    engine = make_engine(fresh_url)
    entity = {"version": 1, "created_at": NOW, "updated_at": NOW}
    claim = (
        "INSERT INTO claim (version, created_at, updated_at, id, predicate, statement, "
        "modality, status, document, etag) VALUES (:version, :created_at, :updated_at, :id, "
        "'talks', 'Talks were held.', 'occurred', 'published', '{}', 'e')"
    )
    dated = (
        'INSERT INTO claim_date (claim_id, "position", kind, value, precision, earliest, '
        "latest) VALUES (:id, :position, :kind, :value, :precision, :earliest, :latest)"
    )
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO actor (version, created_at, updated_at, id, kind, name, "
                "name_key) VALUES (:version, :created_at, :updated_at, 'a1', 'state', "
                "'North Korea', 'korea north')"
            ),
            entity,
        )
        for claim_id in ("c1", "c2", "c3"):
            connection.execute(text(claim), {**entity, "id": claim_id})
            connection.execute(
                text(
                    'INSERT INTO claim_actor (claim_id, "position", actor_id, role) '
                    "VALUES (:id, 0, 'a1', 'participant')"
                ),
                {"id": claim_id},
            )
        rows = [
            ("c1", 0, "start", "2019-01-24", "day", "2019-01-24", "2019-01-24"),
            ("c1", 1, "end", "2019-01-25", "day", "2019-01-25", "2019-01-25"),
            ("c2", 0, "start", "2017-05", "month", "2017-05-01", "2017-05-31"),
            ("c3", 0, "occurred", "2020", "year", "2020-01-01", "2020-12-31"),
            ("c3", 1, "start", "2015", "year", "2015-01-01", "2015-12-31"),
        ]
        for row in rows:
            names = ("id", "position", "kind", "value", "precision", "earliest", "latest")
            connection.execute(text(dated), dict(zip(names, row, strict=True)))
    command.upgrade(config, "head")
    with engine.connect() as connection:
        derived = connection.execute(
            text(
                'SELECT claim_id, "position", kind, value, precision, earliest, latest '
                "FROM claim_date WHERE derived ORDER BY claim_id"
            )
        ).all()
        indexed = connection.execute(
            text(
                "SELECT claim_id, actor_id, kind, earliest, latest FROM claim_actor_date "
                "WHERE kind = 'occurred' ORDER BY claim_id"
            )
        ).all()
    as_text = [tuple(str(value) for value in row) for row in derived]
    assert as_text == [
        ("c1", "2", "occurred", "2019-01-24/2019-01-25", "day", "2019-01-24", "2019-01-25"),
        ("c2", "1", "occurred", "2017-05/..", "month", "2017-05-01", "9999-12-31"),
    ]
    assert [tuple(str(value) for value in row) for row in indexed] == [
        ("c1", "a1", "occurred", "2019-01-24", "2019-01-25"),
        ("c2", "a1", "occurred", "2017-05-01", "9999-12-31"),
    ]
    command.downgrade(config, "0006_actor_date_walk")
    command.upgrade(config, "head")
    command.check(config)
    engine.dispose()
