"""normalised keys: external ids, instrument symbols, source URLs and texts; name keys anew

Revision ID: 0009_normalised_keys
Revises: 0006_actor_date_walk
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
down_revision: str | None = "0006_actor_date_walk"
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


def upgrade() -> None:
    with op.batch_alter_table("actor_external_id") as batch:
        batch.add_column(sa.Column("id_key", sa.String(length=140), nullable=True))
    _refill(
        "actor_external_id", ["scheme", "value"], "id_key", ["scheme", "value"], external_id_key
    )
    with op.batch_alter_table("actor_external_id") as batch:
        batch.alter_column("id_key", existing_type=sa.String(length=140), nullable=False)
        batch.create_index("ix_actor_external_id_id_key", ["id_key"])

    with op.batch_alter_table("instrument") as batch:
        batch.add_column(sa.Column("symbol_key", sa.String(length=100), nullable=True))
    _refill("instrument", ["id"], "symbol_key", ["symbol"], symbol_key)
    with op.batch_alter_table("instrument") as batch:
        batch.alter_column("symbol_key", existing_type=sa.String(length=100), nullable=False)
        batch.create_index("ix_instrument_symbol_key", ["symbol_key"])

    with op.batch_alter_table("source") as batch:
        batch.add_column(sa.Column("url_key", sa.String(length=2000), nullable=True))
        batch.create_index("ix_source_url_key", ["url_key"])
        batch.create_index("ix_source_sha256", ["sha256"])
    _refill("source", ["id"], "url_key", ["url"], url_key)

    _refill("actor", ["id"], "name_key", ["name"], match_key)
    _refill("actor_alias", ["actor_id", "position"], "name_key", ["name"], match_key)


def downgrade() -> None:
    with op.batch_alter_table("source") as batch:
        batch.drop_index("ix_source_sha256")
        batch.drop_index("ix_source_url_key")
        batch.drop_column("url_key")
    with op.batch_alter_table("instrument") as batch:
        batch.drop_index("ix_instrument_symbol_key")
        batch.drop_column("symbol_key")
    with op.batch_alter_table("actor_external_id") as batch:
        batch.drop_index("ix_actor_external_id_id_key")
        batch.drop_column("id_key")
