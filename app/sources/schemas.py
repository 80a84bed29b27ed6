"""Request and response bodies for sources."""

from typing import Annotated

from pydantic import BaseModel, Field

from app.fields import (
    DatePrefixStr,
    EntityId,
    EntityMeta,
    JsonBool,
    NotClearable,
    RequestModel,
    Term,
    Text,
    Timestamp,
)
from app.pagination import PageMeta

MAX_TEXT_LENGTH = 500_000
URL_PATTERN = r"^https?://\S+$"
LANGUAGE_PATTERN = r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{1,8})*$"
EXAMPLE_TITLE = "Donbas separatist leader urges cooperation with North Korea - KCNA"


class SourceFields(BaseModel):
    kind: Term = Field(examples=["news_article"])
    title: str = Field(
        min_length=1,
        max_length=500,
        examples=[EXAMPLE_TITLE],
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


ALLOW_DUPLICATE_SOURCE = (
    "A request flag, not stored: `true` keeps this source beside one with the same URL or "
    "the same held text (its SHA-256). Without it such a write is refused with 409 naming "
    "that source."
)


class SourceCreate(SourceFields, RequestModel):
    # Declared again to refuse blank text in what is written, not in what was stored.
    title: Text = Field(min_length=1, max_length=500, examples=[EXAMPLE_TITLE])
    publisher: Text | None = Field(default=None, max_length=200, examples=["Reuters"])
    author: Text | None = Field(default=None, max_length=200, examples=["Josh Smith"])
    allow_duplicate_source: JsonBool = Field(default=False, description=ALLOW_DUPLICATE_SOURCE)
    text: Text = Field(
        min_length=1,
        max_length=MAX_TEXT_LENGTH,
        description="The text we hold: evidence offsets are code-point indices into it. "
        "Cannot change while evidence cites it.",
    )


class SourcePatch(RequestModel):
    """JSON Merge Patch of a source: absent fields stay, `null` clears an optional field."""

    kind: NotClearable[Term] = None
    title: NotClearable[Annotated[Text, Field(min_length=1, max_length=500)]] = None
    publisher: Text | None = Field(default=None, max_length=200)
    author: Text | None = Field(default=None, max_length=200)
    url: str | None = Field(default=None, max_length=2000, pattern=URL_PATTERN)
    language: str | None = Field(default=None, max_length=35, pattern=LANGUAGE_PATTERN)
    published: DatePrefixStr | None = None
    retrieved_at: Timestamp | None = None
    text: NotClearable[Annotated[Text, Field(min_length=1, max_length=MAX_TEXT_LENGTH)]] = None
    allow_duplicate_source: JsonBool | None = Field(
        default=None, description=ALLOW_DUPLICATE_SOURCE
    )


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
