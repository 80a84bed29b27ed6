"""initial schema

Revision ID: 0001_initial_schema
Revises:
Create Date: 2026-11-29 19:51:44.478562
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001_initial_schema"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "actor",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("name_key", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("merged_into_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
        sa.ForeignKeyConstraint(
            ["merged_into_id"], ["actor.id"], name=op.f("fk_actor_merged_into_id_actor")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_actor")),
    )
    with op.batch_alter_table("actor", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_actor_merged_into_id"), ["merged_into_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_actor_name_key"), ["name_key"], unique=False)

    op.create_table(
        "claim",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("predicate", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("statement", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("modality", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column(
            "retraction_reason", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True
        ),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("etag", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.CheckConstraint(
            "status IN ('draft', 'published', 'disputed', 'retracted')",
            name=op.f("ck_claim_status"),
        ),
        sa.CheckConstraint("confidence >= 0 AND confidence <= 1", name=op.f("ck_claim_confidence")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim")),
    )
    with op.batch_alter_table("claim", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_claim_predicate"), ["predicate"], unique=False)
        batch_op.create_index(batch_op.f("ix_claim_status"), ["status"], unique=False)

    op.create_table(
        "revision",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("entity_type", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("entity_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("operation", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column(
            "snapshot",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_revision")),
    )
    with op.batch_alter_table("revision", schema=None) as batch_op:
        batch_op.create_index(
            "ix_revision_entity", ["entity_type", "entity_id", "version"], unique=False
        )

    op.create_table(
        "revision_counter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_revision_counter")),
    )
    op.create_table(
        "source",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("publisher", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("author", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("url", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=35), nullable=True),
        sa.Column("published", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
        sa.Column("published_precision", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=True),
        sa.Column("published_earliest", sa.Date(), nullable=True),
        sa.Column("published_latest", sa.Date(), nullable=True),
        sa.Column("retrieved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source")),
    )
    op.create_table(
        "vocabulary_term",
        sa.Column("vocabulary", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("term", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("vocabulary", "term", name=op.f("pk_vocabulary_term")),
    )
    op.create_table(
        "actor_alias",
        sa.Column("actor_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("name_key", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=35), nullable=True),
        sa.Column("script", sqlmodel.sql.sqltypes.AutoString(length=4), nullable=True),
        sa.Column("strength", sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["actor.id"],
            name=op.f("fk_actor_alias_actor_id_actor"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("actor_id", "position", name=op.f("pk_actor_alias")),
    )
    with op.batch_alter_table("actor_alias", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_actor_alias_name_key"), ["name_key"], unique=False)

    op.create_table(
        "actor_external_id",
        sa.Column("scheme", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("actor_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["actor.id"],
            name=op.f("fk_actor_external_id_actor_id_actor"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("scheme", "value", name=op.f("pk_actor_external_id")),
    )
    with op.batch_alter_table("actor_external_id", schema=None) as batch_op:
        batch_op.create_index("ix_actor_external_id_actor_id", ["actor_id"], unique=False)

    op.create_table(
        "claim_actor",
        sa.Column("claim_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("actor_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["actor.id"], name=op.f("fk_claim_actor_actor_id_actor")
        ),
        sa.ForeignKeyConstraint(
            ["claim_id"],
            ["claim.id"],
            name=op.f("fk_claim_actor_claim_id_claim"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("claim_id", "position", name=op.f("pk_claim_actor")),
    )
    with op.batch_alter_table("claim_actor", schema=None) as batch_op:
        batch_op.create_index(
            "ix_claim_actor_actor_id_role", ["actor_id", "role", "claim_id"], unique=False
        )

    op.create_table(
        "claim_date",
        sa.Column("claim_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("precision", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
        sa.Column("earliest", sa.Date(), nullable=False),
        sa.Column("latest", sa.Date(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('occurred', 'start', 'end', 'deadline', 'reported', 'adopted', 'effective')",
            name=op.f("ck_claim_date_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["claim_id"],
            ["claim.id"],
            name=op.f("fk_claim_date_claim_id_claim"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("claim_id", "position", name=op.f("pk_claim_date")),
    )
    with op.batch_alter_table("claim_date", schema=None) as batch_op:
        batch_op.create_index(
            "ix_claim_date_kind_earliest", ["kind", "earliest", "claim_id"], unique=False
        )
        batch_op.create_index(
            "ix_claim_date_kind_latest", ["kind", "latest", "claim_id"], unique=False
        )

    op.create_table(
        "claim_program",
        sa.Column("claim_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("program", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_id"],
            ["claim.id"],
            name=op.f("fk_claim_program_claim_id_claim"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("claim_id", "program", name=op.f("pk_claim_program")),
    )
    with op.batch_alter_table("claim_program", schema=None) as batch_op:
        batch_op.create_index("ix_claim_program_program", ["program", "claim_id"], unique=False)

    op.create_table(
        "claim_relation",
        sa.Column("claim_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("relation", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("target_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.CheckConstraint(
            "relation IN ('supports', 'contradicts', 'supersedes', 'responds_to')",
            name=op.f("ck_claim_relation_relation"),
        ),
        sa.ForeignKeyConstraint(
            ["claim_id"],
            ["claim.id"],
            name=op.f("fk_claim_relation_claim_id_claim"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["target_id"], ["claim.id"], name=op.f("fk_claim_relation_target_id_claim")
        ),
        sa.PrimaryKeyConstraint("claim_id", "position", name=op.f("pk_claim_relation")),
    )
    with op.batch_alter_table("claim_relation", schema=None) as batch_op:
        batch_op.create_index("ix_claim_relation_target_id", ["target_id"], unique=False)

    op.create_table(
        "evidence_span",
        sa.Column("claim_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("source_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("start", sa.Integer(), nullable=False),
        sa.Column("end", sa.Integer(), nullable=False),
        sa.Column("quote", sa.Text(), nullable=False),
        sa.Column("prefix", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("suffix", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("stance", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.CheckConstraint(
            "stance IN ('supports', 'contradicts', 'mentions')",
            name=op.f("ck_evidence_span_stance"),
        ),
        sa.CheckConstraint('"end" > start', name=op.f("ck_evidence_span_span_not_empty")),
        sa.ForeignKeyConstraint(
            ["claim_id"],
            ["claim.id"],
            name=op.f("fk_evidence_span_claim_id_claim"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["source.id"], name=op.f("fk_evidence_span_source_id_source")
        ),
        sa.PrimaryKeyConstraint("claim_id", "position", name=op.f("pk_evidence_span")),
    )
    with op.batch_alter_table("evidence_span", schema=None) as batch_op:
        batch_op.create_index("ix_evidence_span_source_id", ["source_id", "claim_id"], unique=False)

    op.create_table(
        "instrument",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("symbol", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("issuer_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
        sa.Column("adopted", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
        sa.Column("adopted_precision", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=True),
        sa.Column("adopted_earliest", sa.Date(), nullable=True),
        sa.Column("adopted_latest", sa.Date(), nullable=True),
        sa.Column("url", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.ForeignKeyConstraint(
            ["issuer_id"], ["actor.id"], name=op.f("fk_instrument_issuer_id_actor")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instrument")),
        sa.UniqueConstraint("symbol", name=op.f("uq_instrument_symbol")),
    )
    op.create_table(
        "claim_instrument",
        sa.Column("claim_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("instrument_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("provision", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["claim_id"],
            ["claim.id"],
            name=op.f("fk_claim_instrument_claim_id_claim"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["instrument_id"],
            ["instrument.id"],
            name=op.f("fk_claim_instrument_instrument_id_instrument"),
        ),
        sa.PrimaryKeyConstraint("claim_id", "position", name=op.f("pk_claim_instrument")),
    )
    with op.batch_alter_table("claim_instrument", schema=None) as batch_op:
        batch_op.create_index(
            "ix_claim_instrument_instrument_id", ["instrument_id", "claim_id"], unique=False
        )

    # The revision sequence starts at zero; every write transaction increments it.
    op.bulk_insert(
        sa.table(
            "revision_counter", sa.column("id", sa.Integer), sa.column("last_seq", sa.BigInteger)
        ),
        [{"id": 1, "last_seq": 0}],
    )


def downgrade() -> None:
    with op.batch_alter_table("claim_instrument", schema=None) as batch_op:
        batch_op.drop_index("ix_claim_instrument_instrument_id")

    op.drop_table("claim_instrument")
    op.drop_table("instrument")
    with op.batch_alter_table("evidence_span", schema=None) as batch_op:
        batch_op.drop_index("ix_evidence_span_source_id")

    op.drop_table("evidence_span")
    with op.batch_alter_table("claim_relation", schema=None) as batch_op:
        batch_op.drop_index("ix_claim_relation_target_id")

    op.drop_table("claim_relation")
    with op.batch_alter_table("claim_program", schema=None) as batch_op:
        batch_op.drop_index("ix_claim_program_program")

    op.drop_table("claim_program")
    with op.batch_alter_table("claim_date", schema=None) as batch_op:
        batch_op.drop_index("ix_claim_date_kind_latest")
        batch_op.drop_index("ix_claim_date_kind_earliest")

    op.drop_table("claim_date")
    with op.batch_alter_table("claim_actor", schema=None) as batch_op:
        batch_op.drop_index("ix_claim_actor_actor_id_role")

    op.drop_table("claim_actor")
    with op.batch_alter_table("actor_external_id", schema=None) as batch_op:
        batch_op.drop_index("ix_actor_external_id_actor_id")

    op.drop_table("actor_external_id")
    with op.batch_alter_table("actor_alias", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_actor_alias_name_key"))

    op.drop_table("actor_alias")
    op.drop_table("vocabulary_term")
    op.drop_table("source")
    op.drop_table("revision_counter")
    with op.batch_alter_table("revision", schema=None) as batch_op:
        batch_op.drop_index("ix_revision_entity")

    op.drop_table("revision")
    with op.batch_alter_table("claim", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claim_status"))
        batch_op.drop_index(batch_op.f("ix_claim_predicate"))

    op.drop_table("claim")
    with op.batch_alter_table("actor", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_actor_name_key"))
        batch_op.drop_index(batch_op.f("ix_actor_merged_into_id"))

    op.drop_table("actor")
