"""Databases as an earlier version of the API left them, for the upgrade tests.

`tests/data/legacy/<commit>.json` holds every table's rows from a database that the code of
that commit migrated, seeded and wrote to through its own HTTP API (devtools/legacy_fixture.py
says how it is made). `write_legacy_database` rebuilds such a database on either kind of
server: it migrates an empty database to that commit's schema head with our migrations (the
migrations up to a head never change once landed) and inserts the rows as they were, so
that a test can upgrade it to today's head and check what the upgrade made of them.
"""

from datetime import date, datetime
from pathlib import Path
from typing import Any

import orjson
from alembic import command
from sqlalchemy import JSON, Date, DateTime, MetaData, Table, create_engine, text

from app.cli import alembic_config

LEGACY = Path(__file__).parent / "data" / "legacy"
A606FE8 = LEGACY / "a606fe8.json"


def _coerce(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    """JSON values back to what the column takes (dates and times were written as text)."""
    out = dict(row)
    for name, value in row.items():
        if value is None:
            continue
        column_type = table.c[name].type
        if isinstance(column_type, DateTime):
            out[name] = datetime.fromisoformat(value)
        elif isinstance(column_type, Date):
            out[name] = date.fromisoformat(value)
        elif isinstance(column_type, JSON) and isinstance(value, str):
            out[name] = orjson.loads(value)
    return out


def _parents_first(table: Table, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows of a table that refers to itself (a merged actor names its survivor) in an order
    whose every reference is already inserted."""
    self_refs = [fk.parent.name for fk in table.foreign_keys if fk.column.table.name == table.name]
    if not self_refs:
        return rows
    done: set[Any] = set()
    ordered: list[dict[str, Any]] = []
    pending = list(rows)
    while pending:
        ready = [r for r in pending if all(r[c] is None or r[c] in done for c in self_refs)]
        if not ready:
            raise ValueError(f"{table.name}: rows refer to each other in a cycle")
        ordered += ready
        done |= {r["id"] for r in ready}
        pending = [r for r in pending if r not in ready]
    return ordered


def write_legacy_database(url: str, fixture: Path = A606FE8) -> dict[str, list[dict[str, Any]]]:
    """Fill the empty database at `url` as the fixture's commit left it; return its rows."""
    dump = orjson.loads(fixture.read_bytes())
    command.upgrade(alembic_config(url), dump["alembic_head"])
    engine = create_engine(url)
    try:
        metadata = MetaData()
        metadata.reflect(engine)
        with engine.begin() as connection:
            # The migrations seed some rows (vocabularies, the revision counter): the fixture
            # holds them as that database had them.
            for table in reversed(metadata.sorted_tables):
                if table.name in dump["tables"]:
                    connection.execute(table.delete())
            for table in metadata.sorted_tables:
                rows = dump["tables"].get(table.name)
                if rows:
                    coerced = [_coerce(table, row) for row in rows]
                    connection.execute(table.insert(), _parents_first(table, coerced))
            if connection.dialect.name == "sqlite":
                connection.execute(text("INSERT INTO claim_fts(claim_fts) VALUES ('rebuild')"))
    finally:
        engine.dispose()
    return dump["tables"]
