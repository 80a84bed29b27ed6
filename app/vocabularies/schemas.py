"""Bodies for the open vocabularies."""

from pydantic import BaseModel, Field

from app.fields import RequestModel, Term
from app.models import Vocabulary


class TermCreate(RequestModel):
    vocabulary: Vocabulary
    term: Term = Field(examples=["port_call"])
    description: str = Field(default="", max_length=500)


class TermRead(BaseModel):
    vocabulary: Vocabulary
    term: str
    description: str


class VocabularyList(BaseModel):
    data: list[TermRead]
