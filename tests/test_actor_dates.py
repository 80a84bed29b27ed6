"""The (actor, date) index stays equal to claim_actor × claim_date through every write."""

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from app import bulk
from app.generator import generate
from tests.factories import World, create

MERGE_PATCH = {"content-type": "application/merge-patch+json"}
DERIVED = (
    "SELECT DISTINCT a.claim_id, a.actor_id, d.kind, d.earliest, d.latest "
    "FROM claim_actor a JOIN claim_date d ON d.claim_id = a.claim_id"
)
STORED = "SELECT claim_id, actor_id, kind, earliest, latest FROM claim_actor_date"


def _rows(engine: Engine, sql: str) -> set[tuple[Any, ...]]:
    with engine.connect() as connection:
        return {tuple(str(v) for v in row) for row in connection.execute(text(sql))}


def _in_step(engine: Engine) -> None:
    derived = _rows(engine, DERIVED)
    assert derived
    assert _rows(engine, STORED) == derived


def test_kept_in_step_by_create_update_and_merge(client: TestClient, engine: Engine) -> None:
    world = World(client)
    _in_step(engine)
    path = f"/v1/claims/{world.claim['id']}"
    client.patch(
        path,
        json={
            "dates": [
                {"kind": "occurred", "value": "2021"},
                {"kind": "reported", "value": "2022-08"},
            ]
        },
        headers={**MERGE_PATCH, "If-Match": client.get(path).headers["etag"]},
    )
    _in_step(engine)
    other = create(client, "/v1/actors", {"kind": "state", "name": "DPRK duplicate"})
    client.patch(
        path,
        json={"actors": [{"actor_id": other["id"], "role": "agent"}]},
        headers={**MERGE_PATCH, "If-Match": client.get(path).headers["etag"]},
    )
    client.post(
        f"/v1/actors/{other['id']}/merge",
        json={"into": world.actor["id"]},
        headers={"If-Match": client.get(f"/v1/actors/{other['id']}").headers["etag"]},
    )
    _in_step(engine)
    assert {row[1] for row in _rows(engine, STORED)} == {world.actor["id"]}


def test_kept_in_step_by_the_bulk_path(engine: Engine) -> None:
    bulk.load(engine, generate(seed=5, claims=300))

    _in_step(engine)
