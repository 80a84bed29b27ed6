"""the terms the official list importers write

Revision ID: 0013_list_imports
Revises: 0010_api_keys
Create Date: 2026-12-02

The UN and OFAC importers (app/imports) write OFAC's `Linked To:` relations as claims of a
predicate of their own, with the linked entry in a role of its own; list vessels and
aircraft as actors of those kinds; and keep the UN list's DATAID beside its reference
number. Vocabulary terms, so rows of a table that is open to users (no schema change).
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0013_list_imports"
down_revision: str | None = "0012_claim_versions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TERMS: dict[str, dict[str, str]] = {
    "predicate": {
        "linked_to": "An official list links one listed party to another (OFAC `Linked To:`).",
    },
    "role": {
        "linked_party": "The party another is linked to.",
    },
    "actor_kind": {
        "vessel": "A ship.",
        "aircraft": "An aircraft.",
    },
    "id_scheme": {
        "un_sc_dataid": "The UN Security Council Consolidated List's DATAID of an entry.",
    },
}

vocabulary_term = sa.table(
    "vocabulary_term",
    sa.column("vocabulary", sa.String),
    sa.column("term", sa.String),
    sa.column("description", sa.String),
    sa.column("created_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    # Added unless a user added the term already (the vocabularies are open).
    connection = op.get_bind()
    existing = set(
        connection.execute(sa.select(vocabulary_term.c.vocabulary, vocabulary_term.c.term)).all()
    )
    now = datetime(2026, 12, 2, tzinfo=UTC)
    rows = [
        {"vocabulary": vocabulary, "term": term, "description": description, "created_at": now}
        for vocabulary, terms in TERMS.items()
        for term, description in terms.items()
        if (vocabulary, term) not in existing
    ]
    if rows:
        op.bulk_insert(vocabulary_term, rows)


def downgrade() -> None:
    for vocabulary, terms in TERMS.items():
        op.execute(
            vocabulary_term.delete().where(
                vocabulary_term.c.vocabulary == vocabulary, vocabulary_term.c.term.in_(list(terms))
            )
        )
