"""claim search: search_text, full-text index, index for updated_at order

Revision ID: 0003_claim_search
Revises: 0002_starting_vocabularies
Create Date: 2026-11-29 20:01:02.645271

`claim.search_text` holds a claim's statement and evidence quotes as normalised words
(app/claims/search.py); app/claims/projection.py keeps it with the document on every write.
The full-text index over it is made by hand, per dialect, with names starting `claim_fts`
(which migrations/env.py keeps out of autogenerate's comparison):

* SQLite: an external-content FTS5 table `claim_fts` (unicode61, no stemming, diacritics
  removed) keyed by the claim's rowid, and triggers that follow inserts, deletes and changes
  of `search_text`. A later migration that recreates `claim` (batch "move and copy") drops
  the triggers and may renumber rowids: it must recreate them and rebuild `claim_fts`, as
  must anything that VACUUMs (`INSERT INTO claim_fts(claim_fts) VALUES ('rebuild')`).
* PostgreSQL: a GIN expression index on `to_tsvector('simple', search_text)`.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.claims.search import search_text

revision: str = "0003_claim_search"
down_revision: str | None = "0002_starting_vocabularies"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_UP = [
    "CREATE VIRTUAL TABLE claim_fts USING fts5(search_text, content='claim', "
    "content_rowid='rowid', tokenize='unicode61 remove_diacritics 2')",
    """CREATE TRIGGER claim_fts_after_insert AFTER INSERT ON claim BEGIN
        INSERT INTO claim_fts(rowid, search_text) VALUES (new.rowid, new.search_text);
    END""",
    """CREATE TRIGGER claim_fts_after_delete AFTER DELETE ON claim BEGIN
        INSERT INTO claim_fts(claim_fts, rowid, search_text)
        VALUES ('delete', old.rowid, old.search_text);
    END""",
    """CREATE TRIGGER claim_fts_after_update AFTER UPDATE OF search_text ON claim BEGIN
        INSERT INTO claim_fts(claim_fts, rowid, search_text)
        VALUES ('delete', old.rowid, old.search_text);
        INSERT INTO claim_fts(rowid, search_text) VALUES (new.rowid, new.search_text);
    END""",
    "INSERT INTO claim_fts(claim_fts) VALUES ('rebuild')",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS claim_fts_after_update",
    "DROP TRIGGER IF EXISTS claim_fts_after_delete",
    "DROP TRIGGER IF EXISTS claim_fts_after_insert",
    "DROP TABLE IF EXISTS claim_fts",
]
POSTGRES_UP = [
    "CREATE INDEX claim_fts_search_text ON claim "
    "USING gin (to_tsvector('simple'::regconfig, search_text))",
]
POSTGRES_DOWN = ["DROP INDEX IF EXISTS claim_fts_search_text"]


def _backfill() -> None:
    """Fill search_text of the claims that exist, with the function the app writes it with."""
    connection = op.get_bind()
    quotes: dict[str, list[str]] = {}
    for claim_id, quote in connection.execute(
        sa.text('SELECT claim_id, quote FROM evidence_span ORDER BY claim_id, "position"')
    ):
        quotes.setdefault(claim_id, []).append(quote)
    claim = sa.table("claim", sa.column("id", sa.String), sa.column("search_text", sa.Text))
    rows = [
        {"claim_id": claim_id, "text": search_text(statement, quotes.get(claim_id, []))}
        for claim_id, statement in connection.execute(sa.text("SELECT id, statement FROM claim"))
    ]
    if rows:
        connection.execute(
            claim.update()
            .where(claim.c.id == sa.bindparam("claim_id"))
            .values(search_text=sa.bindparam("text")),
            rows,
        )


def upgrade() -> None:
    # Plain ALTER TABLE ADD COLUMN and CREATE INDEX, not a batch: on SQLite a batch would
    # copy `claim` and drop the old table, and with foreign keys on that drop cascades to
    # every claim's actors, dates and evidence.
    op.add_column(
        "claim", sa.Column("search_text", sa.Text(), server_default=sa.text("''"), nullable=False)
    )
    op.create_index("ix_claim_updated_at_id", "claim", ["updated_at", "id"], unique=False)
    _backfill()
    statements = SQLITE_UP if op.get_bind().dialect.name == "sqlite" else POSTGRES_UP
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    statements = SQLITE_DOWN if op.get_bind().dialect.name == "sqlite" else POSTGRES_DOWN
    for statement in statements:
        op.execute(statement)
    op.drop_index("ix_claim_updated_at_id", table_name="claim")
    op.drop_column("claim", "search_text")  # SQLite 3.35+ drops a column in place
