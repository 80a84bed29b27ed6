"""Reads stay set-based: a fixed number of statements whatever the page size, and plans that
use the indexes the filters need (EXPLAIN QUERY PLAN on SQLite, EXPLAIN after ANALYZE on
PostgreSQL)."""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event

from app.claims import queries
from devtools import bulk
from devtools.generator import Dataset, generate

Statement = tuple[str, Any]


@contextmanager
def recorded(engine: Engine) -> Iterator[list[Statement]]:
    statements: list[Statement] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


@pytest.fixture
def dataset(engine: Engine) -> Dataset:
    generated = generate(seed=3, claims=3000)
    bulk.load(engine, generated)  # analyzes on PostgreSQL, as any bulk load should
    return generated


def _statements(client: TestClient, engine: Engine, path: str, **params: Any) -> list[Statement]:
    with recorded(engine) as statements:
        response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    return statements


def _named(dataset: Dataset, name: str) -> str:
    return next(actor.id for actor in dataset.actors if actor.name == name)


def test_statement_count_does_not_grow_with_the_page(
    client: TestClient, engine: Engine, dataset: Dataset
) -> None:
    north_korea = _named(dataset, "North Korea")
    claim = dataset.claims[0].id
    client.get("/v1/claims")  # the key is recognised (and its use recorded) once
    cases: list[tuple[str, dict[str, Any]]] = [
        ("/v1/claims", {}),
        ("/v1/claims", {"actor": ["DPRK", "Russia"], "actor_role": ["participant", "agent"]}),
        ("/v1/claims", {"sort": "date", "date_kind": "reported", "date_from": "2016"}),
        ("/v1/claims", {"q": "labourers", "sort": "relevance"}),
        ("/v1/claims", {"sort": "-updated_at", "status": ["published", "draft"]}),
        ("/v1/claims", {"program": ["DPRK3", "DPRK"], "publisher": "Reuters"}),
        (f"/v1/actors/{north_korea}/timeline", {}),
        ("/v1/actors", {"q": "co"}),
    ]
    for path, params in cases:
        small = _statements(client, engine, path, limit=5, **params)
        large = _statements(client, engine, path, limit=200, **params)
        assert len(small) == len(large), (path, params, [s for s, _ in large])
        assert len(large) <= 8, (path, params)
    for path in ("/v1/claims/facets", f"/v1/claims/{claim}/evidence"):
        assert len(_statements(client, engine, path)) <= 8


def _plan(engine: Engine, statements: list[Statement]) -> str:
    """The plans of the SELECTs a request issued, as one text to search."""
    plans = []
    with engine.connect() as connection:
        for statement, parameters in statements:
            if not statement.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            if engine.dialect.name == "sqlite":
                rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
                plans += [row[-1] for row in rows]
            else:
                explain = "EXPLAIN (FORMAT JSON) " + statement
                (plan,) = connection.exec_driver_sql(explain, parameters).one()
                plans.append(json.dumps(plan))
    return "\n".join(plans)


def _page_plan(client: TestClient, engine: Engine, **params: Any) -> str:
    return _plan(engine, _statements(client, engine, "/v1/claims", limit=37, **params))


def test_filters_use_their_indexes(client: TestClient, engine: Engine, dataset: Dataset) -> None:
    company = next(actor for actor in dataset.actors if actor.kind == "company")
    order = next(i for i in dataset.instruments if i.symbol.startswith("EO"))
    source = dataset.sources[17]
    expectations: list[tuple[dict[str, Any], str]] = [
        ({"actor": company.id}, "ix_claim_actor_actor_id_role"),
        ({"program": "SYRIA"}, "ix_claim_program_program"),
        ({"instrument": order.id}, "ix_claim_instrument_instrument_id"),
        ({"source": source.id}, "ix_evidence_span_source_id"),
        ({"sort": "date"}, "ix_claim_date_kind_earliest"),
        ({"sort": "-date", "date_kind": "deadline"}, "ix_claim_date_kind_earliest"),
        ({"sort": "updated_at"}, "ix_claim_updated_at_id"),
        ({"sort": "-updated_at"}, "ix_claim_updated_at_id"),
    ]
    for params, index in expectations:
        plan = _page_plan(client, engine, **params)
        assert index in plan, (params, plan)
    search = _page_plan(client, engine, q=company.name.split()[0])
    full_text = "claim_fts VIRTUAL TABLE" if engine.dialect.name == "sqlite" else "claim_fts"
    assert full_text in search, search


def test_date_range_uses_the_date_index(
    client: TestClient, engine: Engine, dataset: Dataset
) -> None:
    plan = _page_plan(
        client, engine, date_kind="deadline", date_from="2019-12-01", date_to="2019-12-31"
    )
    assert "ix_claim_date_kind_" in plan, plan


def test_default_list_walks_the_primary_key(
    client: TestClient, engine: Engine, dataset: Dataset
) -> None:
    plan = _page_plan(client, engine)
    if engine.dialect.name == "sqlite":
        assert "TEMP B-TREE" not in plan, plan  # no sort: the rows come in key order
    else:
        assert "pk_claim" in plan or "ix_claim_status" in plan, plan


def test_timeline_starts_from_the_actors_claims(
    client: TestClient, engine: Engine, dataset: Dataset
) -> None:
    company = next(actor for actor in dataset.actors if actor.kind == "company")
    statements = _statements(client, engine, f"/v1/actors/{company.id}/timeline", limit=37)
    plan = _plan(engine, statements)
    assert "ix_claim_actor_actor_id_role" in plan, plan
    if engine.dialect.name == "sqlite":
        assert "SCAN placed" not in plan, plan
        assert "SCAN claim " not in plan, plan


def test_actor_and_date_range_walks_the_actor_in_claim_order(
    client: TestClient, engine: Engine, dataset: Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    north_korea = _named(dataset, "North Korea")
    period = {"date_kind": "occurred", "date_from": "2019-01-01", "date_to": "2021-12-31"}
    # Many rows in the period (more than FEW_IN_PERIOD, here made 1): a page in claim order
    # walks the actor's rows in claim order until a page is found, never collecting and
    # sorting every match (at 1M claims a popular actor has tens of thousands of them).
    monkeypatch.setattr(queries, "FEW_IN_PERIOD", 1)
    plan = _page_plan(client, engine, actor=north_korea, **period)
    assert "ix_claim_actor_date_actor_id_kind_claim_id" in plan, plan
    assert "ix_claim_actor_actor_id_role" not in plan, plan
    if engine.dialect.name == "sqlite":
        assert "TEMP B-TREE" not in plan, plan
        # Few rows in the period: SQLite collects them with one range scan instead.
        monkeypatch.setattr(queries, "FEW_IN_PERIOD", 10**6)
        few = _page_plan(client, engine, actor=north_korea, **period)
        assert "ix_claim_actor_date_actor_id_kind_earliest" in few, few
        assert "ix_claim_actor_date_actor_id_kind_claim_id" not in few, few
    # In date order, the period is a range scan of claim_actor_date (SQLite takes the
    # (actor, kind, earliest) index; PostgreSQL, by its statistics, either one).
    dated = _page_plan(client, engine, actor=north_korea, sort="date", **period)
    assert "ix_claim_actor_date_actor_id_kind_" in dated, dated
    assert "ix_claim_actor_actor_id_role" not in dated, dated
