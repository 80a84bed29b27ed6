"""As-of reads: a claim and the claim list as they stood at a moment, in recorded time.

Each moment is a revision's own `recorded_at` (a write is in the past of every moment at or
after it), read from the revision log; answers are compared whole, with the documents the
writes answered at the time.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from alembic import command
from fastapi.testclient import TestClient

from app.cli import alembic_config
from app.db import make_engine
from app.main import create_app
from app.settings import Settings
from tests.contract import Served
from tests.factories import World, actor_body, claim_body, create
from tests.legacy import write_legacy_database

IMMUTABLE = "private, max-age=31536000, immutable"


def _moment(client: TestClient, claim_id: str) -> str:
    """The time of the claim's last revision so far."""
    revisions = client.get(f"/v1/claims/{claim_id}/revisions", params={"limit": 100}).json()
    moment: str = revisions["data"][-1]["recorded_at"]
    return moment


def _patch(client: TestClient, claim_id: str, change: dict[str, Any]) -> dict[str, Any]:
    etag = client.get(f"/v1/claims/{claim_id}").headers["etag"]
    response = client.patch(
        f"/v1/claims/{claim_id}",
        json=change,
        headers={"If-Match": etag, "Content-Type": "application/merge-patch+json"},
    )
    assert response.status_code == 200, response.text
    patched: dict[str, Any] = response.json()
    return patched


def _retract(client: TestClient, claim_id: str) -> dict[str, Any]:
    etag = client.get(f"/v1/claims/{claim_id}").headers["etag"]
    response = client.post(
        f"/v1/claims/{claim_id}/retract", json={"reason": "Misread."}, headers={"If-Match": etag}
    )
    assert response.status_code == 200, response.text
    retracted: dict[str, Any] = response.json()
    return retracted


def _list(client: TestClient, served: Served, **params: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = client.get("/v1/claims", params=query)
        page = served(response)
        assert response.headers["cache-control"] == IMMUTABLE
        found += page["data"]
        cursor = page["next_cursor"]
        if cursor is None:
            return found


def test_as_of_answers_each_claim_and_filtered_list_as_it_stood(client: TestClient) -> None:
    served = Served(client.get("/openapi.json").json())
    world = World(client)
    first = world.claim
    created_first = _moment(client, first["id"])  # the claim's create is its first revision
    before = (datetime.fromisoformat(created_first) - timedelta(microseconds=1)).isoformat()
    second = create(client, "/v1/claims", claim_body(world.source["id"], world.actor["id"]))
    added = _moment(client, second["id"])
    edited = _patch(client, first["id"], {"predicate": "severing_of_relations"})
    edited_out = _moment(client, first["id"])
    retracted = _retract(client, second["id"])
    retracted_at = _moment(client, second["id"])
    duplicate_body = actor_body(name="N. Korea", aliases=[], external_ids=[])
    duplicate = create(client, "/v1/actors", duplicate_body)
    third = create(client, "/v1/claims", claim_body(world.source["id"], duplicate["id"]))
    before_merge = _moment(client, third["id"])
    merged = client.post(
        f"/v1/actors/{duplicate['id']}/merge",
        json={"into": world.actor["id"]},
        headers={"If-Match": client.get(f"/v1/actors/{duplicate['id']}").headers["etag"]},
    )
    assert merged.status_code == 200, merged.text
    after_merge = _moment(client, third["id"])
    third_now = client.get(f"/v1/claims/{third['id']}").json()
    assert third_now["actors"][0]["actor_id"] == world.actor["id"]

    def item(claim_id: str, moment: str) -> Any:
        response = client.get(f"/v1/claims/{claim_id}", params={"as_of": moment})
        if response.status_code != 200:
            return response.status_code
        assert response.headers["cache-control"] == IMMUTABLE
        return served(response)

    # The item: 404 before it existed, each version after its write, the retraction.
    assert item(first["id"], before) == 404
    assert item(first["id"], created_first) == first
    assert item(first["id"], added) == first
    assert item(first["id"], edited_out) == edited
    assert item(second["id"], added) == second
    assert item(second["id"], retracted_at) == retracted
    assert item(third["id"], before_merge) == third
    assert item(third["id"], after_merge) == third_now

    # A filtered list whose membership changed: added, edited out, retracted.
    def recognitions(moment: str, **more: Any) -> list[dict[str, Any]]:
        return _list(client, served, predicate="recognition", as_of=moment, limit=1, **more)

    assert recognitions(before) == []
    assert recognitions(created_first) == [first]
    assert recognitions(added) == [first, second]
    assert recognitions(edited_out) == [second]
    assert recognitions(retracted_at) == []
    assert recognitions(retracted_at, status="retracted") == [retracted]
    # Merged: before the merge the list by the survivor's name found the version that named
    # the duplicate (an actor now, with everything merged into it); after, the new version.
    named = {"actor": world.actor["name"], "sort": "updated_at"}
    assert _list(client, served, as_of=before_merge, **named) == [edited, third]
    assert _list(client, served, as_of=after_merge, **named) == [edited, third_now]
    assert client.get("/v1/claims", params=named).json()["data"] == [edited, third_now]


def test_as_of_answers_are_immutable_and_cursors_keep_their_moment(client: TestClient) -> None:
    world = World(client)
    moment = _moment(client, world.claim["id"])
    second = create(client, "/v1/claims", claim_body(world.source["id"], world.actor["id"]))
    later = _moment(client, second["id"])
    page = client.get("/v1/claims", params={"as_of": later, "limit": 1})
    item = client.get(f"/v1/claims/{world.claim['id']}", params={"as_of": moment})
    assert page.json()["next_cursor"] is not None
    _patch(client, world.claim["id"], {"confidence": 0.5})

    # Writes since change neither answer: the same ETag, 304 on it.
    for response, path, params in (
        (page, "/v1/claims", {"as_of": later, "limit": 1}),
        (item, f"/v1/claims/{world.claim['id']}", {"as_of": moment}),
    ):
        again = client.get(path, params=params)
        assert (again.status_code, again.headers["etag"]) == (200, response.headers["etag"])
        assert again.content == response.content
        cached = client.get(path, params=params, headers={"If-None-Match": again.headers["etag"]})
        assert (cached.status_code, cached.headers["cache-control"]) == (304, IMMUTABLE)

    # A cursor is bound to its as_of: not valid at another moment, nor without one.
    cursor = page.json()["next_cursor"]
    for other in ({"as_of": moment}, {}):
        refused = client.get("/v1/claims", params={**other, "limit": 1, "cursor": cursor})
        assert refused.status_code == 400, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
    rest = client.get("/v1/claims", params={"as_of": later, "limit": 1, "cursor": cursor})
    assert rest.status_code == 200, rest.text
    assert len(rest.json()["data"]) == 1


def test_what_as_of_does_not_support_yet_is_a_422_saying_so(client: TestClient) -> None:
    world = World(client)
    now = datetime.now(UTC).isoformat()
    actor = world.actor["id"]
    for path, params, pointer, says in (
        ("/v1/claims", {"as_of": now, "q": "recognised"}, "q", "does not support as_of yet"),
        ("/v1/claims/facets", {"as_of": now}, "as_of", "does not support as_of yet"),
        (f"/v1/actors/{actor}/timeline", {"as_of": now}, "as_of", "does not support as_of yet"),
        ("/v1/claims", {"as_of": "2999-01-01T00:00:00Z"}, "as_of", "in the future"),
        ("/v1/claims", {"as_of": "2026-03-01T00:00:00"}, "as_of", "RFC 3339"),
        ("/v1/claims", {"as_of": "2026-03-01"}, "as_of", "RFC 3339"),
        (f"/v1/claims/{world.claim['id']}", {"as_of": "2026-03-01 00:00Z"}, "as_of", "RFC 3339"),
    ):
        response = client.get(path, params=params)
        assert response.status_code == 422, (path, params, response.text)
        problem = response.json()
        assert response.headers["content-type"] == "application/problem+json"
        assert [error.get("parameter") for error in problem["errors"]] == [pointer], problem
        assert says in problem["errors"][0]["detail"], problem


def test_an_upgraded_database_answers_each_earlier_version_from_its_revisions(
    fresh_url: str,
) -> None:
    """The migration builds the versions of existing claims from the revision log: as of
    each revision's time, a claim of the a606fe8 fixture is that revision's snapshot."""
    rows = write_legacy_database(fresh_url)
    command.upgrade(alembic_config(fresh_url), "head")
    engine = make_engine(fresh_url)
    try:
        with TestClient(create_app(Settings(database_url=fresh_url), engine)) as client:
            served = Served(client.get("/openapi.json").json())
            revisions = [r for r in rows["revision"] if r["entity_type"] == "claim"]
            assert len(revisions) > len(rows["claim"])  # some claims have several versions
            last = {r["entity_id"]: r["seq"] for r in sorted(revisions, key=lambda r: r["seq"])}
            for revision in revisions:
                moment = revision["recorded_at"]
                if not moment.endswith("Z") and "+" not in moment[10:]:
                    moment += "Z"
                response = client.get(
                    f"/v1/claims/{revision['entity_id']}", params={"as_of": moment}
                )
                snapshot = revision["snapshot"]
                expected = orjson.loads(snapshot) if isinstance(snapshot, str) else snapshot
                if revision["seq"] == last[revision["entity_id"]]:
                    # The current version is the claim as served now: a606fe8 re-rendered
                    # documents after a rename without a revision, so its last snapshot
                    # may be older than the document.
                    expected = client.get(f"/v1/claims/{revision['entity_id']}").json()
                assert served(response) == expected, revision["seq"]
            listed = client.get("/v1/claims", params={"as_of": _latest(rows), "limit": 100})
            assert (
                served(listed)["data"]
                == client.get("/v1/claims", params={"limit": 100}).json()["data"]
            )
    finally:
        engine.dispose()


def _latest(rows: dict[str, Any]) -> str:
    moment: str = max(r["recorded_at"] for r in rows["revision"])
    return moment if moment.endswith("Z") or "+" in moment[10:] else moment + "Z"


def test_a_draft_stays_hidden_below_analysts_in_the_past_too(
    client: TestClient, reader: TestClient, analyst: TestClient
) -> None:
    world = World(client)
    draft = create(
        client,
        "/v1/claims",
        claim_body(world.source["id"], world.actor["id"], status="draft"),
    )
    moment = _moment(client, draft["id"])
    path = f"/v1/claims/{draft['id']}"
    assert reader.get(path, params={"as_of": moment}).status_code == 404
    assert analyst.get(path, params={"as_of": moment}).json() == draft
    listed = {"as_of": moment, "status": "draft"}
    assert reader.get("/v1/claims", params=listed).status_code == 403
    assert analyst.get("/v1/claims", params=listed).json()["data"] == [draft]
    assert [c["id"] for c in reader.get("/v1/claims", params={"as_of": moment}).json()["data"]] == [
        world.claim["id"]
    ]
