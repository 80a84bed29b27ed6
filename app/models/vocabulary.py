"""Open vocabularies: terms users may extend without a migration."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime
from sqlmodel import Field, SQLModel

from app.models.base import utcnow


class Vocabulary(StrEnum):
    predicate = "predicate"
    modality = "modality"
    role = "role"
    actor_kind = "actor_kind"
    source_kind = "source_kind"
    id_scheme = "id_scheme"


class VocabularyTerm(SQLModel, table=True):
    __tablename__ = "vocabulary_term"

    vocabulary: str = Field(primary_key=True, max_length=32)
    term: str = Field(primary_key=True, max_length=64)
    description: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
