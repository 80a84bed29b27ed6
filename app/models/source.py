"""Sources: the documents whose passages claims cite, with the text we hold."""

from datetime import date, datetime

from sqlalchemy import Column, DateTime, Text
from sqlmodel import Field

from app.models.base import ID_LENGTH, EntityColumns


class Source(EntityColumns, table=True):
    __tablename__ = "source"

    id: str = Field(primary_key=True, max_length=ID_LENGTH)
    kind: str = Field(max_length=64)
    title: str = Field(max_length=500)
    publisher: str | None = Field(default=None, max_length=200)
    author: str | None = Field(default=None, max_length=200)
    url: str | None = Field(default=None, max_length=2000)
    # The URL as a document address (app.names.url_key), for the duplicate check.
    url_key: str | None = Field(default=None, max_length=2000, index=True)
    language: str | None = Field(default=None, max_length=35)
    published: str | None = Field(default=None, max_length=10)
    published_precision: str | None = Field(default=None, max_length=5)
    published_earliest: date | None = None
    published_latest: date | None = None
    retrieved_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    text: str = Field(sa_column=Column(Text, nullable=False))
    sha256: str = Field(max_length=64, index=True)
