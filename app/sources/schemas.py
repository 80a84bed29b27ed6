"""Request and response bodies for sources."""

from typing import Annotated

from pydantic import BaseModel, Field

from app.fields import (
    DatePrefixStr,
    EntityId,
    EntityMeta,
    NotClearable,
    RequestModel,
    Term,
    Timestamp,
)
from app.pagination import PageMeta

MAX_TEXT_LENGTH = 500_000
URL_PATTERN = r"^https?://\S+$"
LANGUAGE_PATTERN = r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{1,8})*$"


class SourceFields(BaseModel):
    kind: Term = Field(examples=["news_article"])
    title: str = Field(
        min_length=1,
        max_length=500,
        examples=["Donbas separatist leader urges cooperation with North Korea - KCNA"],
    )
    publisher: str | None = Field(default=None, max_length=200, examples=["Reuters"])
    author: str | None = Field(default=None, max_length=200, examples=["Josh Smith"])
    url: str | None = Field(default=None, max_length=2000, pattern=URL_PATTERN)
    language: str | None = Field(
        default=None,
        max_length=35,
        pattern=LANGUAGE_PATTERN,
        description="BCP 47 language tag of the held text.",
        examples=["en"],
    )
    published: DatePrefixStr | None = None
    retrieved_at: Timestamp | None = None


class SourceCreate(SourceFields, RequestModel):
    text: str = Field(
        min_length=1,
        max_length=MAX_TEXT_LENGTH,
        description="The text we hold: evidence offsets are code-point indices into it. "
        "Cannot change while evidence cites it.",
    )


class SourcePatch(RequestModel):
    """JSON Merge Patch of a source: absent fields stay, `null` clears an optional field."""

    kind: NotClearable[Term] = None
    title: NotClearable[Annotated[str, Field(min_length=1, max_length=500)]] = None
    publisher: str | None = Field(default=None, max_length=200)
    author: str | None = Field(default=None, max_length=200)
    url: str | None = Field(default=None, max_length=2000, pattern=URL_PATTERN)
    language: str | None = Field(default=None, max_length=35, pattern=LANGUAGE_PATTERN)
    published: DatePrefixStr | None = None
    retrieved_at: Timestamp | None = None
    text: NotClearable[Annotated[str, Field(min_length=1, max_length=MAX_TEXT_LENGTH)]] = None


class SourceSummary(SourceFields, EntityMeta):
    id: EntityId
    published_precision: str | None = Field(default=None, examples=["month"])
    sha256: str = Field(description="SHA-256 of the held text (UTF-8), hex.")
    text_length: int = Field(description="Length of the held text in code points.")


class SourceRead(SourceSummary):
    text: str


class SourcePage(PageMeta):
    data: list[SourceSummary]


class SourceText(BaseModel):
    source_id: EntityId
    start: int
    end: int
    text: str
