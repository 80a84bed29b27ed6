"""normalised keys: external ids, instrument symbols, source URLs and texts; name keys anew

Revision ID: 0009_normalised_keys
Revises: 0008_revision_cause
Create Date: 2026-12-02

Duplicate checks and lookups compare normalised keys kept beside the values (app.names):
`actor_external_id.id_key`, `instrument.symbol_key` and `source.url_key` are added and filled
from the rows, `source.sha256` gets an index, and the name keys of actors and aliases are
recomputed (they are now built with normality). None of the new indexes is unique: a
database may already hold duplicates, which the upgrade leaves in place for
`app.duplicates` to list, instead of failing on them.
"""

from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

from app.names import external_id_key, match_key, symbol_key, url_key

revision: str = "0009_normalised_keys"
down_revision: str | None = "0008_revision_cause"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _refill(
    table: str, keys: Sequence[str], column: str, values: Sequence[str], key: Callable[..., str]
) -> None:
    """Set `column` of every row of `table` (identified by `keys`) to `key(*values)`."""
    connection = op.get_bind()
    rows = connection.execute(sa.text(f"SELECT {', '.join([*keys, *values])} FROM {table}")).all()
    where = " AND ".join(f"{k} = :{k}" for k in keys)
    statement = sa.text(f"UPDATE {table} SET {column} = :new_key WHERE {where}")
    updates = []
    for row in rows:
        mapping = row._mapping
        given = [mapping[v] for v in values]
        new_key = None if any(v is None for v in given) else key(*given)
        updates.append({**{k: mapping[k] for k in keys}, "new_key": new_key})
    if updates:
        connection.execute(statement, updates)


def _add_key_column(table: str, column: str, length: int) -> None:
    """A NOT NULL key column, added in place. Not a batch: on SQLite a batch copies the
    table and drops the old one, which the foreign keys of claims citing it refuse (or,
    with cascades, empties their rows). The empty default only fills the rows that exist
    until `_refill` computes their keys; PostgreSQL then drops it (SQLite cannot, and
    keeps an inert one: every write sets the key)."""
    op.add_column(
        table,
        sa.Column(column, sa.String(length=length), nullable=False, server_default=sa.text("''")),
    )


def _drop_key_default(table: str, column: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column(table, column, server_default=None)


def upgrade() -> None:
    _add_key_column("actor_external_id", "id_key", 140)
    _refill(
        "actor_external_id", ["scheme", "value"], "id_key", ["scheme", "value"], external_id_key
    )
    _drop_key_default("actor_external_id", "id_key")
    op.create_index("ix_actor_external_id_id_key", "actor_external_id", ["id_key"])

    _add_key_column("instrument", "symbol_key", 100)
    _refill("instrument", ["id"], "symbol_key", ["symbol"], symbol_key)
    _drop_key_default("instrument", "symbol_key")
    op.create_index("ix_instrument_symbol_key", "instrument", ["symbol_key"])

    op.add_column("source", sa.Column("url_key", sa.String(length=2000), nullable=True))
    op.create_index("ix_source_url_key", "source", ["url_key"])
    op.create_index("ix_source_sha256", "source", ["sha256"])
    _refill("source", ["id"], "url_key", ["url"], url_key)

    _refill("actor", ["id"], "name_key", ["name"], match_key)
    _refill("actor_alias", ["actor_id", "position"], "name_key", ["name"], match_key)


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+ and PostgreSQL), for the reason `_add_key_column` says.
    op.drop_index("ix_source_sha256", "source")
    op.drop_index("ix_source_url_key", "source")
    op.execute("ALTER TABLE source DROP COLUMN url_key")
    op.drop_index("ix_instrument_symbol_key", "instrument")
    op.execute("ALTER TABLE instrument DROP COLUMN symbol_key")
    op.drop_index("ix_actor_external_id_id_key", "actor_external_id")
    op.execute("ALTER TABLE actor_external_id DROP COLUMN id_key")
