"""A database written by an earlier version upgrades in place and serves what it held.

The fixture (tests/legacy.py) is a database as commit a606fe8 left it after seeding and a few
real writes; it is migrated to today's head and then read through today's API.
"""

from alembic import command
from fastapi.testclient import TestClient

from app.cli import alembic_config
from app.db import make_engine
from app.main import create_app
from app.settings import Settings
from tests.contract import Served
from tests.legacy import write_legacy_database


def test_a606fe8_database_upgrades_and_serves_every_record(fresh_url: str) -> None:
    rows = write_legacy_database(fresh_url)
    command.upgrade(alembic_config(fresh_url), "head")
    engine = make_engine(fresh_url)
    try:
        with TestClient(create_app(Settings(database_url=fresh_url), engine)) as client:
            served = Served(client.get("/openapi.json").json())
            for table, path in (
                ("claim", "/v1/claims/{}"),
                ("actor", "/v1/actors/{}"),
                ("source", "/v1/sources/{}"),
                ("instrument", "/v1/instruments/{}"),
            ):
                for row in rows[table]:
                    response = client.get(path.format(row["id"]), follow_redirects=False)
                    if table == "actor" and row["merged_into_id"]:
                        assert response.status_code == 308, response.text
                        continue
                    served(response)
            listed = served(client.get("/v1/claims", params={"status": "retracted"}))
            retracted = {r["id"] for r in rows["claim"] if r["status"] == "retracted"}
            assert {c["id"] for c in listed["data"]} == retracted
            feed = served(client.get("/v1/changes", params={"limit": 100}))
            assert [c["seq"] for c in feed["data"]] == sorted(r["seq"] for r in rows["revision"])
    finally:
        engine.dispose()
