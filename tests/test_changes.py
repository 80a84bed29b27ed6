"""The change feed: every write in commit order, resumable from an always-present cursor."""

import threading
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, text

from app.changes.schemas import ChangeFeed
from app.db import write_session
from app.sources import service as sources
from app.sources.schemas import SourceCreate
from tests.conftest import ON_POSTGRES
from tests.factories import World, actor_body, claim_body, create, source_body

MERGE_PATCH = {"Content-Type": "application/merge-patch+json"}
FEED = "/v1/changes"


def feed(client: TestClient, **params: Any) -> dict[str, Any]:
    response = client.get(FEED, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    ChangeFeed.model_validate(body)  # the body is what the document declares
    return body


def follow(client: TestClient, **params: Any) -> tuple[list[dict[str, Any]], str]:
    """Every change from the position in `params`, page by page; and the final cursor."""
    changes: list[dict[str, Any]] = []
    while True:
        page = feed(client, **params)
        changes += page["data"]
        params["after"] = page["next_cursor"]
        if not page["data"]:
            return changes, page["next_cursor"]


def table_sequence(engine: Engine) -> list[int]:
    """The log's sequence as the unfiltered feed shows it (keys' changes are asked for)."""
    with engine.connect() as connection:
        query = text("SELECT seq FROM revision WHERE entity_type != 'key' ORDER BY seq")
        return list(connection.execute(query).scalars())


def patch(client: TestClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    etag = client.get(path).headers["ETag"]
    response = client.patch(path, json=body, headers={**MERGE_PATCH, "If-Match": etag})
    assert response.status_code == 200, response.text
    updated: dict[str, Any] = response.json()
    return updated


def write_source(engine: Engine, title: str) -> None:
    """A write straight through the service, as another API process would make it."""
    with write_session(engine) as session:
        sources.create_source(
            session, SourceCreate(**source_body(title=title, allow_duplicate_source=True)), who=None
        )


def test_an_empty_feed_still_has_a_cursor(client: TestClient) -> None:
    response = client.get(FEED)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["ETag"].startswith('"')
    first = response.json()
    assert first["data"] == []
    assert first["next_cursor"]
    # Resuming from it stays at the same position until something is written.
    again = feed(client, after=first["next_cursor"])
    assert again == first
    world = World(client)
    news = feed(client, after=first["next_cursor"])
    assert [change["entity_id"] for change in news["data"]] == [
        world.source["id"],
        world.actor["id"],
        world.claim["id"],
    ]


def test_every_kind_of_write_is_in_the_feed_in_commit_order(
    client: TestClient, engine: Engine
) -> None:
    world = World(client)
    claim_path = f"/v1/claims/{world.claim['id']}"
    updated = patch(client, claim_path, {"confidence": 0.5})
    etag = client.get(claim_path).headers["ETag"]
    retracted = client.post(
        f"{claim_path}/retract", json={"reason": "Misquoted."}, headers={"If-Match": etag}
    ).json()
    duplicate = create(
        client,
        "/v1/actors",
        actor_body(name="DPRK", aliases=[], external_ids=[], allow_duplicate_name=True),
    )
    citing = create(client, "/v1/claims", claim_body(world.source["id"], duplicate["id"]))
    merge = client.post(
        f"/v1/actors/{duplicate['id']}/merge",
        json={"into": world.actor["id"]},
        headers={"If-Match": client.get(f"/v1/actors/{duplicate['id']}").headers["ETag"]},
    )
    assert merge.status_code == 200, merge.text
    spare = create(client, "/v1/sources", source_body(title="Spare", allow_duplicate_source=True))
    deleted = client.delete(
        f"/v1/sources/{spare['id']}",
        headers={"If-Match": client.get(f"/v1/sources/{spare['id']}").headers["ETag"]},
    )
    assert deleted.status_code == 204

    changes, _ = follow(client)
    assert [(c["entity_type"], c["entity_id"], c["operation"], c["version"]) for c in changes] == [
        ("source", world.source["id"], "created", 1),
        ("actor", world.actor["id"], "created", 1),
        ("claim", world.claim["id"], "created", 1),
        ("claim", world.claim["id"], "updated", 2),
        ("claim", world.claim["id"], "retracted", 3),
        ("actor", duplicate["id"], "created", 1),
        ("claim", citing["id"], "created", 1),
        ("actor", duplicate["id"], "merged", 2),
        ("actor", world.actor["id"], "updated", 2),
        ("claim", citing["id"], "updated", 2),
        ("source", spare["id"], "created", 1),
        ("source", spare["id"], "deleted", 2),
    ]
    assert [c["seq"] for c in changes] == table_sequence(engine)
    # Every change names the key that made it (the default client's admin key).
    key_ids = {c["recorded_by_key_id"] for c in changes}
    assert len(key_ids) == 1
    assert None not in key_ids
    assert all(c["recorded_by"] == "test-admin" for c in changes)
    assert all(c["recorded_at"].endswith("Z") for c in changes)
    # Snapshots are the entity as written (as it was, for a deletion).
    assert changes[2]["snapshot"] == world.claim
    assert changes[3]["snapshot"] == updated
    assert changes[4]["snapshot"] == retracted
    assert changes[4]["snapshot"]["status"] == "retracted"
    assert changes[7]["snapshot"]["merged_into_id"] == world.actor["id"]
    assert changes[9]["snapshot"]["actors"][0]["actor_id"] == world.actor["id"]
    assert changes[11]["snapshot"]["id"] == spare["id"]


def test_ids_only_leaves_out_the_snapshots(client: TestClient) -> None:
    World(client)
    full = feed(client)["data"]
    ids = feed(client, fields="ids")["data"]
    assert all("snapshot" not in change for change in ids)
    assert all("recorded_by" in change for change in ids)
    assert ids == [{k: v for k, v in c.items() if k != "snapshot"} for c in full]


def test_pages_follow_the_cursor_without_gaps_or_repeats(
    client: TestClient, engine: Engine
) -> None:
    world = World(client)
    for confidence in (0.1, 0.2, 0.3, 0.4):
        patch(client, f"/v1/claims/{world.claim['id']}", {"confidence": confidence})
    pages = []
    params: dict[str, Any] = {"limit": 3}
    while True:
        page = feed(client, **params)
        pages.append([c["seq"] for c in page["data"]])
        params["after"] = page["next_cursor"]
        if not page["data"]:
            break
    # Sequence 1 is the default client's key being issued (not in the unfiltered feed).
    assert pages == [[2, 3, 4], [5, 6, 7], [8], []]
    assert table_sequence(engine) == [2, 3, 4, 5, 6, 7, 8]
    # The last cursor picks up the next write, and only it.
    patch(client, f"/v1/claims/{world.claim['id']}", {"confidence": 0.9})
    assert [c["seq"] for c in feed(client, **params)["data"]] == [9]


def test_limit_bounds(client: TestClient) -> None:
    World(client)
    assert len(feed(client, limit=1)["data"]) == 1
    assert len(feed(client, limit=1000)["data"]) == 3
    assert len(feed(client)["data"]) == 3
    for bad in (0, 1001, -1):
        response = client.get(FEED, params={"limit": bad})
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["parameter"] == "limit"


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"wait": 31}, "wait"),
        ({"wait": -1}, "wait"),
        ({"entity_type": "vocabulary"}, "entity_type"),
        ({"fields": "some"}, "fields"),
        ({"cursor": "x"}, "cursor"),  # lists call it `cursor`; the feed calls it `after`
    ],
)
def test_invalid_parameters_are_422(
    client: TestClient, params: dict[str, Any], parameter: str
) -> None:
    response = client.get(FEED, params=params)
    assert response.status_code == 422, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    assert [e["parameter"] for e in response.json()["errors"]] == [parameter]


def test_entity_type_filter(client: TestClient) -> None:
    world = World(client)
    claims = feed(client, entity_type="claim")["data"]
    assert [(c["entity_type"], c["entity_id"]) for c in claims] == [("claim", world.claim["id"])]
    both = feed(client, entity_type=["source", "actor"])["data"]
    assert [c["entity_type"] for c in both] == ["source", "actor"]
    # The filter's order does not matter, for the answer or the cursor.
    swapped = feed(client, entity_type=["actor", "source"])
    assert swapped["data"] == both
    resumed = feed(client, entity_type=["source", "actor"], after=swapped["next_cursor"])
    assert resumed["data"] == []


def test_a_filtered_cursor_moves_past_what_the_filter_skips(client: TestClient) -> None:
    world = World(client)
    cursor = feed(client, entity_type="source")["next_cursor"]
    create(client, "/v1/actors", actor_body(name="Russia", aliases=[], external_ids=[]))
    skipped = feed(client, entity_type="source", after=cursor)
    assert skipped["data"] == []
    assert skipped["next_cursor"] != cursor  # it now stands after the actor's change
    patch(client, f"/v1/sources/{world.source['id']}", {"author": "Someone else"})
    news = feed(client, entity_type="source", after=skipped["next_cursor"])["data"]
    assert [(c["entity_id"], c["operation"]) for c in news] == [(world.source["id"], "updated")]


def test_a_cursor_belongs_to_its_filter(client: TestClient) -> None:
    World(client)
    cursor = feed(client, entity_type="claim", limit=1)["next_cursor"]
    for params in ({}, {"entity_type": "source"}, {"entity_type": ["claim", "actor"]}):
        response = client.get(FEED, params={**params, "after": cursor})
        assert response.status_code == 400, response.text
        assert response.headers["Content-Type"] == "application/problem+json"
    # `fields` and `limit` do not bind it.
    assert feed(client, entity_type="claim", after=cursor, fields="ids", limit=7)["data"] == []


def test_an_altered_cursor_is_400(client: TestClient) -> None:
    world = World(client)
    create(client, "/v1/claims", claim_body(world.source["id"], world.actor["id"]))
    cursor = feed(client, limit=1)["next_cursor"]
    payload, signature = cursor.split(".")
    for altered in (payload + "." + signature[::-1], "nonsense", cursor + "x", "a.b.c"):
        response = client.get(FEED, params={"after": altered})
        assert response.status_code == 400, (altered, response.text)
    # A list's cursor (same secret, another query) is not a feed position.
    list_cursor = client.get("/v1/claims", params={"limit": 1}).json()["next_cursor"]
    assert list_cursor
    assert client.get(FEED, params={"after": list_cursor}).status_code == 400


def test_feed_etag(client: TestClient) -> None:
    World(client)
    first = client.get(FEED, params={"limit": 2})
    etag = first.headers["ETag"]
    again = client.get(FEED, params={"limit": 2}, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["ETag"] == etag
    assert again.headers["Cache-Control"] == "no-cache"
    # The ETag belongs to the query: other fields, limit or position are other answers.
    others = [
        {"limit": 3},
        {"limit": 2, "fields": "ids"},
        {"limit": 2, "entity_type": "claim"},
        {"limit": 2, "after": first.json()["next_cursor"]},
    ]
    for params in others:
        response = client.get(FEED, params=params, headers={"If-None-Match": etag})
        assert response.status_code == 200, params
        assert response.headers["ETag"] != etag
    # Any commit changes it.
    create(client, "/v1/sources", source_body(title="Another", allow_duplicate_source=True))
    changed = client.get(FEED, params={"limit": 2}, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag


def test_a_poller_at_the_head_gets_304_until_something_commits(client: TestClient) -> None:
    World(client)
    head = client.get(FEED, params={"after": feed(client)["next_cursor"]})
    assert head.json()["data"] == []
    params = {"after": head.json()["next_cursor"]}
    polled = client.get(FEED, params=params, headers={"If-None-Match": head.headers["ETag"]})
    assert polled.status_code == 304
    create(client, "/v1/sources", source_body(title="News", allow_duplicate_source=True))
    polled = client.get(FEED, params=params, headers={"If-None-Match": head.headers["ETag"]})
    assert polled.status_code == 200
    assert [c["operation"] for c in polled.json()["data"]] == ["created"]


# Long polls.


def _later(seconds: float, action: Any) -> threading.Thread:
    def run() -> None:
        time.sleep(seconds)
        action()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_long_poll_answers_as_soon_as_a_change_commits(client: TestClient, engine: Engine) -> None:
    cursor = feed(client)["next_cursor"]
    writer = _later(0.4, lambda: write_source(engine, "Breaking"))
    started = time.monotonic()
    page = feed(client, after=cursor, wait=10)
    elapsed = time.monotonic() - started
    writer.join()
    assert 0.3 < elapsed < 3, elapsed
    assert [c["snapshot"]["title"] for c in page["data"]] == ["Breaking"]


def test_long_poll_answers_at_once_when_there_is_news(client: TestClient) -> None:
    World(client)
    started = time.monotonic()
    assert len(feed(client, wait=10)["data"]) == 3
    assert time.monotonic() - started < 1


def test_long_poll_times_out_with_an_empty_page(client: TestClient) -> None:
    World(client)
    head = feed(client)["next_cursor"]
    started = time.monotonic()
    response = client.get(FEED, params={"after": head, "wait": 1})
    elapsed = time.monotonic() - started
    assert 0.9 < elapsed < 3, elapsed
    assert response.status_code == 200
    assert response.json() == {"data": [], "next_cursor": head}
    # With the ETag of that empty answer, the same long poll ends in a 304.
    started = time.monotonic()
    polled = client.get(
        FEED, params={"after": head, "wait": 1}, headers={"If-None-Match": response.headers["ETag"]}
    )
    assert time.monotonic() - started > 0.9
    assert polled.status_code == 304
    assert polled.headers["ETag"] == response.headers["ETag"]


def test_long_poll_with_a_current_etag_still_answers_the_change(
    client: TestClient, engine: Engine
) -> None:
    head = client.get(FEED)
    writer = _later(0.3, lambda: write_source(engine, "Late news"))
    polled = client.get(
        FEED,
        params={"after": head.json()["next_cursor"], "wait": 10},
        headers={"If-None-Match": head.headers["ETag"]},
    )
    writer.join()
    assert polled.status_code == 200
    assert [c["snapshot"]["title"] for c in polled.json()["data"]] == ["Late news"]


def test_long_poll_waits_past_changes_its_filter_skips(client: TestClient, engine: Engine) -> None:
    world = World(client)
    cursor = feed(client, entity_type="actor")["next_cursor"]
    source_writer = _later(0.2, lambda: write_source(engine, "Not an actor"))
    actor_writer = _later(
        0.8,
        lambda: create(client, "/v1/actors", actor_body(name="Syria", aliases=[], external_ids=[])),
    )
    started = time.monotonic()
    page = feed(client, entity_type="actor", after=cursor, wait=10)
    elapsed = time.monotonic() - started
    source_writer.join()
    actor_writer.join()
    assert 0.7 < elapsed < 4, elapsed
    assert [c["snapshot"]["name"] for c in page["data"]] == ["Syria"]
    assert world.actor["id"] not in {c["entity_id"] for c in page["data"]}


def test_long_poll_neither_blocks_the_server_nor_holds_a_connection(
    client: TestClient, engine: Engine
) -> None:
    """While a poll waits, other requests are answered at once, and no database connection
    stays checked out: each look at the counter borrows one for a moment."""
    held: list[float] = []
    checked_out: dict[int, float] = {}

    def on_checkout(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        checked_out[id(record)] = time.monotonic()

    def on_checkin(dbapi_connection: Any, record: Any) -> None:
        if id(record) in checked_out:
            held.append(time.monotonic() - checked_out.pop(id(record)))

    cursor = feed(client)["next_cursor"]
    event.listen(engine, "checkout", on_checkout)
    event.listen(engine, "checkin", on_checkin)
    try:
        results: list[int] = []
        poller = threading.Thread(
            target=lambda: results.append(
                client.get(FEED, params={"after": cursor, "wait": 2}).status_code
            )
        )
        poller.start()
        time.sleep(0.3)
        for _ in range(3):
            started = time.monotonic()
            assert client.get("/healthz").status_code == 200
            assert time.monotonic() - started < 1
            time.sleep(0.2)
        poller.join()
    finally:
        event.remove(engine, "checkout", on_checkout)
        event.remove(engine, "checkin", on_checkin)
    assert results == [200]
    # It looked at the counter repeatedly: every half interval on SQLite; on PostgreSQL,
    # where commit notices wake it (app/changes/notify.py), at most once a second.
    assert len(held) >= (2 if ON_POSTGRES else 5), held
    assert max(held) < 0.5, held  # ...and never kept one through its 2 s of waiting
    assert not checked_out
