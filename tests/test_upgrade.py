"""A database written by an earlier version upgrades in place and serves what it held.

The fixture (tests/legacy.py) is a database as commit a606fe8 left it after seeding and a few
real writes; it is migrated to today's head and then read through today's API.
"""

import os
import subprocess
import sys

from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session

from app.cli import alembic_config
from app.data_report import report
from app.db import make_engine
from app.main import create_app
from app.settings import Settings
from tests.conftest import ON_POSTGRES
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


def test_an_upgrade_keeps_and_reports_what_todays_rules_refuse(fresh_url: str) -> None:
    """Duplicates, NUL characters and dates in other digits, written before the rules that
    refuse them, survive the upgrade and are listed by `claims check-data`."""
    rows = write_legacy_database(fresh_url)
    claim_id = rows["claim"][0]["id"]
    instrument_id = rows["instrument"][0]["id"]
    north_korea, russia = (rows["actor"][0], rows["actor"][1])
    engine = make_engine(fresh_url)
    with engine.begin() as connection:
        # Another actor's name given to a second actor, the same text held twice,
        # an Arabic-Indic year.
        connection.execute(
            text("UPDATE actor SET name = :name, name_key = :key WHERE id = :id"),
            {"name": north_korea["name"], "key": north_korea["name_key"], "id": russia["id"]},
        )
        connection.execute(
            text("UPDATE instrument SET adopted = :value WHERE id = :id"),
            {"value": "٢٠١٧", "id": instrument_id},
        )
        if not ON_POSTGRES:  # PostgreSQL never could hold one
            connection.execute(
                text("UPDATE claim SET statement = statement || char(0) WHERE id = :id"),
                {"id": claim_id},
            )
    command.upgrade(alembic_config(fresh_url), "head")
    with Session(engine) as session:
        findings = report(session)
    engine.dispose()
    by_rule = {(f.rule, f.table, f.ids) for f in findings}
    assert ("duplicate_actor_name", "actor", tuple(sorted([north_korea["id"], russia["id"]]))) in (
        by_rule
    )
    assert ("refused_date", "instrument", (instrument_id,)) in by_rule
    nul = {("nul_character", "claim", (claim_id,))}
    assert (nul <= by_rule) is not ON_POSTGRES
    listed = subprocess.run(
        [sys.executable, "-m", "app.cli", "check-data"],
        capture_output=True,
        text=True,
        env={**os.environ, "DATABASE_URL": fresh_url, "COLUMNS": "300"},
        check=False,
    )
    assert listed.returncode == 0, listed.stderr
    assert f"{len(findings)} stored value(s) a write would refuse today" in listed.stderr
    assert instrument_id in listed.stdout
