"""System-versioned claims: every version of what the claim filters and sorts read.

`claim_version` has the claim's own columns that lists filter, sort and serve (status,
predicate, modality, confidence, updated_at, the stored document and its ETag), valid in
recorded time from the revision that wrote it (`from_seq`) up to the next revision of the
claim (`to_seq`, null while it is the current version). Each version's child rows (actors,
dates with the derived event span, programs, instruments, cited sources) point at its
`from_seq`, which identifies the version on its own: one revision writes one claim version.

A list "as of" revision S reads the versions with `from_seq <= S < coalesce(to_seq, ∞)`
and filters them exactly as the current tables are filtered (app/claims/tables.py): the
past is indexed like the present, never replayed from snapshots per request. The rows are
written in the transaction of every claim write (app/claims/history.py).
"""

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Column, DateTime, Index, Text
from sqlmodel import Field, SQLModel

from app.models.base import ID_LENGTH

SEQ = BigInteger


class ClaimVersion(SQLModel, table=True):
    __tablename__ = "claim_version"
    __table_args__ = (
        # A claim's versions in order: the open one to close, a lookup as of S, and pages
        # in claim order.
        Index("ix_claim_version_id_from_seq", "id", "from_seq"),
        Index("ix_claim_version_updated_at_id", "updated_at", "id"),
        Index("ix_claim_version_predicate", "predicate"),
    )

    from_seq: int = Field(sa_column=Column(SEQ, primary_key=True, autoincrement=False))
    to_seq: int | None = Field(default=None, sa_column=Column(SEQ, nullable=True))
    # The claim's id (named as the claim's column, so a version reads like the claim).
    id: str = Field(max_length=ID_LENGTH)
    status: str = Field(max_length=16)
    predicate: str = Field(max_length=64)
    modality: str = Field(max_length=64)
    confidence: float | None = None
    updated_at: datetime = Field(sa_type=DateTime(timezone=True))
    document: str = Field(sa_column=Column(Text, nullable=False))
    etag: str = Field(max_length=32)


def _version_key() -> int:
    return Field(sa_column=Column(SEQ, primary_key=True, autoincrement=False))  # type: ignore[no-any-return]


class ClaimVersionActor(SQLModel, table=True):
    __tablename__ = "claim_version_actor"
    __table_args__ = (
        Index("ix_claim_version_actor_actor_id_role", "actor_id", "role", "from_seq"),
    )

    from_seq: int = _version_key()
    position: int = Field(primary_key=True)
    actor_id: str = Field(max_length=ID_LENGTH)
    role: str = Field(max_length=64)


class ClaimVersionDate(SQLModel, table=True):
    __tablename__ = "claim_version_date"
    __table_args__ = (
        Index("ix_claim_version_date_kind_earliest", "kind", "earliest", "from_seq"),
        Index("ix_claim_version_date_kind_latest", "kind", "latest", "from_seq"),
    )

    from_seq: int = _version_key()
    position: int = Field(primary_key=True)
    kind: str = Field(max_length=16)
    earliest: date
    latest: date
    derived: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))


class ClaimVersionProgram(SQLModel, table=True):
    __tablename__ = "claim_version_program"
    __table_args__ = (Index("ix_claim_version_program_program", "program", "from_seq"),)

    from_seq: int = _version_key()
    program: str = Field(primary_key=True, max_length=64)


class ClaimVersionInstrument(SQLModel, table=True):
    __tablename__ = "claim_version_instrument"
    __table_args__ = (
        Index("ix_claim_version_instrument_instrument_id", "instrument_id", "from_seq"),
    )

    from_seq: int = _version_key()
    position: int = Field(primary_key=True)
    instrument_id: str = Field(max_length=ID_LENGTH)
    provision: str | None = Field(default=None, max_length=100)


class ClaimVersionSource(SQLModel, table=True):
    """The sources a version cites as evidence (the span itself is in its document)."""

    __tablename__ = "claim_version_source"
    __table_args__ = (Index("ix_claim_version_source_source_id", "source_id", "from_seq"),)

    from_seq: int = _version_key()
    position: int = Field(primary_key=True)
    source_id: str = Field(max_length=ID_LENGTH)
