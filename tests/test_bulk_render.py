"""The bulk path stores what the services' renderer makes of its rows.

`bulk.load` renders each claim's document from the generated data it holds in memory; the
services render from the tables (`render_claims`). These tests load generated claims in the
ways callers do (one dataset, more claims citing actors and instruments loaded earlier,
claims citing sources loaded by an earlier call, a second generator) and check every claim
against `render_claims` reading the database: a drift between the two fails here.
"""

from typing import Any

import orjson
import pytest
from sqlalchemy import Connection, Engine, text

from app.actors import service as actors
from app.claims.actor_dates import index_actor_dates
from app.claims.projection import document_etag, render_claims
from app.db import write_session
from app.models import Claim
from devtools import bulk
from devtools.generator import EPOCH_MS, Dataset, Generator


def _load_in_every_way(engine: Engine) -> list[str]:
    """Load claims as the harness and the tests do; the ids of the claims, in load order."""
    made = Generator(seed=31)
    first = made.reference()
    more = made.claims(300)
    first.sources, first.claims = more.sources, more.claims
    bulk.load(engine, first, batch_size=128)
    # More claims of the same generator: its actors and instruments were loaded above.
    second = made.claims(90)
    bulk.load(engine, second, batch_size=40, analyze=False)
    # Sources first, their claims in later calls: given their held texts, or not.
    later = made.claims(60)
    bulk.load(engine, Dataset(sources=later.sources), analyze=False)
    texts = {source.id: source.text for source in later.sources}
    bulk.load(engine, Dataset(claims=later.claims[:30]), texts=texts, analyze=False)
    bulk.load(engine, Dataset(claims=later.claims[30:]), analyze=False)
    # Another generator's claims (older ids) citing the same actors and instruments.
    behind = Generator(seed=32, epoch_ms=EPOCH_MS - 10**9)
    behind.actors, behind.instruments = made.actors, made.instruments
    last = behind.claims(50)
    bulk.load(engine, last, batch_size=16, analyze=False)
    return [c.id for c in first.claims + second.claims + later.claims + last.claims]


def _snapshots(connection: Connection) -> dict[str, Any]:
    rows = connection.execute(
        text("SELECT entity_id, snapshot FROM revision WHERE entity_type = 'claim'")
    ).all()
    return {
        entity_id: snapshot if isinstance(snapshot, dict) else orjson.loads(snapshot)
        for entity_id, snapshot in rows
    }


def _actor_dates(connection: Connection) -> list[tuple[Any, ...]]:
    return sorted(
        tuple(row)
        for row in connection.execute(
            text("SELECT claim_id, actor_id, kind, earliest, latest FROM claim_actor_date")
        )
    )


@pytest.fixture
def loaded(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    # Slices smaller than the batches, so transactions are written in several.
    monkeypatch.setattr(bulk, "SLICE", 50)
    return _load_in_every_way(engine)


def test_documents_are_what_the_services_render(engine: Engine, loaded: list[str]) -> None:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT * FROM claim")).mappings().all()
        assert sorted(row["id"] for row in rows) == sorted(loaded)
        claims = [Claim.model_validate(dict(row)) for row in rows]
        rendered = render_claims(connection, claims)
        snapshots = _snapshots(connection)
    for row in rows:
        expected = rendered[row["id"]]
        assert row["document"].encode() == expected.document
        assert row["etag"] == document_etag(expected.document)
        assert row["search_text"] == expected.search_text
        assert snapshots[row["id"]] == orjson.loads(expected.document)


def test_actor_dates_are_what_the_services_index(engine: Engine, loaded: list[str]) -> None:
    with engine.begin() as connection:
        stored = _actor_dates(connection)
        ids = connection.execute(text("SELECT id FROM claim")).scalars().all()
        index_actor_dates(connection, ids)
        assert _actor_dates(connection) == stored
        connection.rollback()
    assert stored


def test_revisions_follow_load_order(engine: Engine, loaded: list[str]) -> None:
    with engine.connect() as connection:
        seqs = connection.execute(text("SELECT seq FROM revision ORDER BY seq")).scalars().all()
        last = connection.execute(text("SELECT last_seq FROM revision_counter")).scalar_one()
        claim_seqs = (
            connection.execute(
                text("SELECT entity_id FROM revision WHERE entity_type = 'claim' ORDER BY seq")
            )
            .scalars()
            .all()
        )
    assert seqs == list(range(1, last + 1))
    # Claims are appended in the order they were given, slice after slice.
    assert claim_seqs == loaded


def _json(value: Any) -> Any:
    """A JSON column's value: a dict on PostgreSQL (JSONB), text on SQLite."""
    return value if isinstance(value, dict) else orjson.loads(value)


def _claims_agree_with_their_revisions(connection: Connection) -> list[dict[str, Any]]:
    """Every claim's version counts its revisions, and its last revision's snapshot is its
    document: the rule the services keep, on claims the bulk path wrote. The claim rows."""
    rows = connection.execute(text("SELECT * FROM claim")).mappings().all()
    logged: dict[str, list[tuple[int, str, Any]]] = {}
    for entity_id, version, operation, snapshot in connection.execute(
        text(
            "SELECT entity_id, version, operation, snapshot FROM revision "
            "WHERE entity_type = 'claim' ORDER BY seq"
        )
    ):
        logged.setdefault(entity_id, []).append((version, operation, _json(snapshot)))
    for row in rows:
        revisions = logged[row["id"]]
        assert [version for version, _, _ in revisions] == list(range(1, row["version"] + 1))
        assert revisions[-1][2] == orjson.loads(row["document"])
        assert revisions[0][1] == "created"
    return [dict(row) for row in rows]


def test_bulk_claims_keep_the_version_rule_through_a_rename(
    engine: Engine, loaded: list[str]
) -> None:
    with engine.connect() as connection:
        before = {row["id"]: row for row in _claims_agree_with_their_revisions(connection)}
        actor_id, citing = connection.execute(
            text(
                "SELECT actor_id, count(DISTINCT claim_id) AS n FROM claim_actor "
                "GROUP BY actor_id ORDER BY n DESC, actor_id LIMIT 1"
            )
        ).one()
    # Each claim is created once with its final status, also those disputed or retracted.
    assert {row["status"] for row in before.values()} == {
        "draft", "published", "disputed", "retracted"
    }  # fmt: skip
    assert all(row["version"] == 1 for row in before.values())

    with write_session(engine) as session:
        actors.update_actor(session, actor_id, {"name": "Renamed Actor"}, "*", None)

    with engine.connect() as connection:
        after = {row["id"]: row for row in _claims_agree_with_their_revisions(connection)}
        rendered = render_claims(connection, [Claim.model_validate(r) for r in after.values()])
        causes = connection.execute(
            text(
                "SELECT operation, cause FROM revision WHERE entity_type = 'claim' AND version = 2"
            )
        ).all()
    changed = {claim_id for claim_id in after if after[claim_id] != before[claim_id]}
    assert len(changed) == citing
    assert all(after[claim_id]["version"] == 2 for claim_id in changed)
    assert all(
        after[claim_id]["updated_at"] > before[claim_id]["updated_at"] for claim_id in changed
    )
    cause = {"kind": "actor_renamed", "entity_type": "actor", "entity_id": actor_id}
    assert [(operation, _json(held)) for operation, held in causes] == [
        ("rerendered", cause)
    ] * len(changed)
    for claim_id, row in after.items():
        assert row["document"].encode() == rendered[claim_id].document
