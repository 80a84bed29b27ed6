"""Claims and what hangs off them: actors with roles, dates, evidence, instruments, relations.

Child rows are keyed by (claim_id, position) so a claim keeps the order its author gave,
and an update replaces a child list whole (JSON Merge Patch semantics).
"""

from datetime import date
from enum import StrEnum

from sqlalchemy import Boolean, CheckConstraint, Column, Index, Text, false, text
from sqlmodel import Field, SQLModel

from app.models.base import ID_LENGTH, EntityColumns


class ClaimStatus(StrEnum):
    draft = "draft"
    published = "published"
    disputed = "disputed"
    retracted = "retracted"


class DateKind(StrEnum):
    occurred = "occurred"
    start = "start"
    end = "end"
    deadline = "deadline"
    reported = "reported"
    adopted = "adopted"
    effective = "effective"


class Stance(StrEnum):
    supports = "supports"
    contradicts = "contradicts"
    mentions = "mentions"


class RelationType(StrEnum):
    supports = "supports"
    contradicts = "contradicts"
    supersedes = "supersedes"
    responds_to = "responds_to"


def _one_of(column: str, values: type[StrEnum]) -> CheckConstraint:
    allowed = ", ".join(f"'{v.value}'" for v in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=column)


class Claim(EntityColumns, table=True):
    __tablename__ = "claim"
    __table_args__ = (
        _one_of("status", ClaimStatus),
        CheckConstraint("confidence >= 0 AND confidence <= 1", name="confidence"),
        Index("ix_claim_updated_at_id", "updated_at", "id"),
    )

    id: str = Field(primary_key=True, max_length=ID_LENGTH)
    predicate: str = Field(max_length=64, index=True)
    statement: str = Field(max_length=1000)
    modality: str = Field(max_length=64)
    status: str = Field(max_length=16, index=True)
    retraction_reason: str | None = Field(default=None, max_length=1000)
    confidence: float | None = None
    # The claim's JSON representation with everything it embeds, rendered on every write
    # (and when an embedded name changes), so a read is one keyed row and no serialising.
    document: str = Field(sa_column=Column(Text, nullable=False))
    etag: str = Field(max_length=32)
    # The statement and evidence quotes as normalised words (app/claims/search.py), kept with
    # the document; the full-text index (FTS5 or a tsvector, made by hand) is built on it.
    search_text: str = Field(
        default="", sa_column=Column(Text, nullable=False, server_default=text("''"))
    )


class ClaimActor(SQLModel, table=True):
    __tablename__ = "claim_actor"
    __table_args__ = (Index("ix_claim_actor_actor_id_role", "actor_id", "role", "claim_id"),)

    claim_id: str = Field(
        foreign_key="claim.id", primary_key=True, max_length=ID_LENGTH, ondelete="CASCADE"
    )
    position: int = Field(primary_key=True)
    actor_id: str = Field(foreign_key="actor.id", max_length=ID_LENGTH)
    role: str = Field(max_length=64)


class ClaimDate(SQLModel, table=True):
    __tablename__ = "claim_date"
    __table_args__ = (
        _one_of("kind", DateKind),
        Index("ix_claim_date_kind_earliest", "kind", "earliest", "claim_id"),
        Index("ix_claim_date_kind_latest", "kind", "latest", "claim_id"),
    )

    claim_id: str = Field(
        foreign_key="claim.id", primary_key=True, max_length=ID_LENGTH, ondelete="CASCADE"
    )
    position: int = Field(primary_key=True)
    kind: str = Field(max_length=16)
    value: str = Field(max_length=21)
    precision: str = Field(max_length=5)
    earliest: date
    latest: date
    # The event span of a claim dated by `start`/`end` only, kept as its `occurred` row so
    # every read by date finds it (app/claims/event_span.py); not one of the claim's own
    # dates, so never served among them.
    derived: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=false())
    )


class EvidenceSpan(SQLModel, table=True):
    __tablename__ = "evidence_span"
    __table_args__ = (
        _one_of("stance", Stance),
        CheckConstraint('"end" > start', name="span_not_empty"),
        Index("ix_evidence_span_source_id", "source_id", "claim_id"),
    )

    claim_id: str = Field(
        foreign_key="claim.id", primary_key=True, max_length=ID_LENGTH, ondelete="CASCADE"
    )
    position: int = Field(primary_key=True)
    source_id: str = Field(foreign_key="source.id", max_length=ID_LENGTH)
    start: int = Field(ge=0)
    end: int
    quote: str = Field(sa_column=Column(Text, nullable=False))
    prefix: str = Field(max_length=32)
    suffix: str = Field(max_length=32)
    stance: str = Field(max_length=16)


class ClaimInstrument(SQLModel, table=True):
    __tablename__ = "claim_instrument"
    __table_args__ = (Index("ix_claim_instrument_instrument_id", "instrument_id", "claim_id"),)

    claim_id: str = Field(
        foreign_key="claim.id", primary_key=True, max_length=ID_LENGTH, ondelete="CASCADE"
    )
    position: int = Field(primary_key=True)
    instrument_id: str = Field(foreign_key="instrument.id", max_length=ID_LENGTH)
    provision: str | None = Field(default=None, max_length=100)


class ClaimProgram(SQLModel, table=True):
    __tablename__ = "claim_program"
    __table_args__ = (Index("ix_claim_program_program", "program", "claim_id"),)

    claim_id: str = Field(
        foreign_key="claim.id", primary_key=True, max_length=ID_LENGTH, ondelete="CASCADE"
    )
    program: str = Field(primary_key=True, max_length=64)


class ClaimRelation(SQLModel, table=True):
    __tablename__ = "claim_relation"
    __table_args__ = (
        _one_of("relation", RelationType),
        Index("ix_claim_relation_target_id", "target_id"),
    )

    claim_id: str = Field(
        foreign_key="claim.id", primary_key=True, max_length=ID_LENGTH, ondelete="CASCADE"
    )
    position: int = Field(primary_key=True)
    relation: str = Field(max_length=16)
    target_id: str = Field(foreign_key="claim.id", max_length=ID_LENGTH)


class ClaimActorDate(SQLModel, table=True):
    """Every (actor, dated) pair of a claim, derived from claim_actor × claim_date on write.

    The question compliance asks most, "what do we hold about actor X in this period",
    is then one range scan of (actor, kind, earliest) instead of intersecting all of the
    actor's claims with all claims dated in the period; its pages in claim order walk
    (actor, kind, claim) instead and stop after a page. Maintained by
    `app.claims.actor_dates.index_actor_dates`; never written directly.
    """

    __tablename__ = "claim_actor_date"
    __table_args__ = (
        Index(
            "ix_claim_actor_date_actor_id_kind_earliest",
            "actor_id",
            "kind",
            "earliest",
            "latest",
            "claim_id",
        ),
        # A page in claim order walks this one and stops after a page of matches.
        Index(
            "ix_claim_actor_date_actor_id_kind_claim_id",
            "actor_id",
            "kind",
            "claim_id",
            "earliest",
            "latest",
        ),
    )

    claim_id: str = Field(
        foreign_key="claim.id", primary_key=True, max_length=ID_LENGTH, ondelete="CASCADE"
    )
    actor_id: str = Field(primary_key=True, max_length=ID_LENGTH)
    kind: str = Field(primary_key=True, max_length=16)
    earliest: date = Field(primary_key=True)
    latest: date = Field(primary_key=True)
