"""The revision log: one row per write to an entity, numbered in commit order."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, DateTime, Index
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from app.models.base import ID_LENGTH, utcnow


class EntityType(StrEnum):
    source = "source"
    actor = "actor"
    instrument = "instrument"
    claim = "claim"
    # A term added to an open vocabulary (id `<vocabulary>:<term>`), and an API key.
    term = "term"
    key = "key"


class Operation(StrEnum):
    """What a revision records. Closed and complete: a claim's status transitions each have
    their own (published, disputed, retracted, reinstated), and `rerendered` is a claim's
    new document after something it embeds changed (the revision's `cause` says what)."""

    created = "created"
    updated = "updated"
    published = "published"
    disputed = "disputed"
    retracted = "retracted"
    reinstated = "reinstated"
    merged = "merged"
    deleted = "deleted"
    rerendered = "rerendered"


SNAPSHOT_TYPE = JSON().with_variant(JSONB(), "postgresql")


class Revision(SQLModel, table=True):
    __tablename__ = "revision"
    __table_args__ = (
        Index("ix_revision_entity", "entity_type", "entity_id", "version"),
        # The change feed filtered by entity type walks this instead of the whole log.
        Index("ix_revision_entity_type_seq", "entity_type", "seq"),
        # `as_of`: the last revision recorded by a moment (app/claims/as_of.py).
        Index("ix_revision_recorded_at_seq", "recorded_at", "seq"),
    )

    seq: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    entity_type: str = Field(max_length=16)
    entity_id: str = Field(max_length=ID_LENGTH)
    version: int
    operation: str = Field(max_length=16)
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    # Who wrote it: the key's name at the time (or `seed`, `import`), and the key's id,
    # which stays valid when a key is renamed or revoked.
    recorded_by: str | None = Field(default=None, max_length=100)
    recorded_by_key_id: str | None = Field(default=None, max_length=ID_LENGTH)
    snapshot: dict[str, Any] = Field(sa_column=Column(SNAPSHOT_TYPE, nullable=False))
    # Why: the reason given for a status transition (a retraction's, a dispute's).
    reason: str | None = Field(default=None, max_length=1000)
    # What caused a write the entity did not ask for: `{kind, entity_type, entity_id}` of
    # the other entity's change (an actor renamed, an actor merged into another).
    cause: dict[str, Any] | None = Field(default=None, sa_column=Column(SNAPSHOT_TYPE))


class RevisionCounter(SQLModel, table=True):
    """A single row holding the last sequence number handed out.

    Each write transaction increments it before it appends revisions; the row lock is held
    until commit, so numbers are assigned in commit order and a reader that has seen N has
    seen every revision below N.
    """

    __tablename__ = "revision_counter"

    id: int = Field(default=1, primary_key=True)
    last_seq: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
