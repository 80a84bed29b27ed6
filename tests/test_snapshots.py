"""Change-feed and revision snapshots are typed, and stored ones keep matching their type.

The document declares a change (and a revision) as one of four shapes told apart by
`entity_type`, each with its entity's read model as the snapshot. Snapshots are stored as
they were written, so every snapshot a database holds must still validate after an upgrade:
here, the database that commit a606fe8 wrote (tests/legacy.py), upgraded to today's head,
served through today's feed and revision lists, each answer validated against the committed
document, every object closed (no undeclared key, tests/contract.py).
"""

from typing import Any

from alembic import command
from fastapi.testclient import TestClient

from app.cli import alembic_config
from app.db import make_engine
from app.main import create_app
from app.settings import Settings
from tests.contract import Served, component_validator, problems
from tests.legacy import write_legacy_database


def _feed(client: TestClient, served: Served) -> list[dict[str, Any]]:
    changes: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 7}
    while True:
        page = served(client.get("/v1/changes", params=params))
        if not page["data"]:
            return changes
        changes += page["data"]
        params["after"] = page["next_cursor"]


def test_a606fe8_snapshots_validate_against_the_typed_document(fresh_url: str) -> None:
    rows = write_legacy_database(fresh_url)
    command.upgrade(alembic_config(fresh_url), "head")
    engine = make_engine(fresh_url)
    try:
        with TestClient(create_app(Settings(database_url=fresh_url), engine)) as client:
            document = client.get("/openapi.json").json()
            served = Served(document)
            changes = _feed(client, served)
            assert len(changes) == len(rows["revision"])
            change = component_validator(document, "Change")
            for entry in changes:
                assert not problems(change, entry), (entry["seq"], problems(change, entry))
            assert {entry["entity_type"] for entry in changes} == {
                "source",
                "actor",
                "instrument",
                "claim",
            }
            revision = component_validator(document, "RevisionRead")
            for claim in rows["claim"]:
                page = served(client.get(f"/v1/claims/{claim['id']}/revisions"))
                assert page["data"], claim["id"]
                for entry in page["data"]:
                    assert not problems(revision, entry), (claim["id"], entry["version"])
    finally:
        engine.dispose()


def test_each_variant_types_the_snapshot_of_its_entity(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    for name, variant in (("Change", "Change"), ("RevisionRead", "Revision")):
        union = schemas[name]
        mapping = union["discriminator"]["mapping"]
        assert union["discriminator"]["propertyName"] == "entity_type"
        assert [ref["$ref"] for ref in union["oneOf"]] == list(mapping.values())
        for entity, read_model in (
            ("source", "SourceRead"),
            ("actor", "ActorRead"),
            ("instrument", "InstrumentRead"),
            ("claim", "ClaimRead"),
        ):
            shape = schemas[f"{entity.capitalize()}{variant}"]
            assert mapping[entity] == f"#/components/schemas/{entity.capitalize()}{variant}"
            assert shape["properties"]["entity_type"]["enum"] == [entity]
            assert shape["properties"]["snapshot"] == {"$ref": f"#/components/schemas/{read_model}"}
    # A change whose entity_type and snapshot disagree is not a valid change.
    change = component_validator(document, "Change")
    actor = {
        "seq": 1,
        "entity_type": "claim",
        "entity_id": "0192f0c1-7a00-7000-8000-000000000001",
        "operation": "created",
        "version": 1,
        "recorded_at": "2026-12-01T00:00:00Z",
        "recorded_by": None,
        "snapshot": {"id": "x", "kind": "state", "name": "North Korea"},
    }
    assert problems(change, actor)
