"""Actors (states, organisations, people, de-facto authorities, media) and their names."""

from enum import StrEnum

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from app.models.base import ID_LENGTH, EntityColumns


class AliasStrength(StrEnum):
    strong = "strong"
    weak = "weak"


class Actor(EntityColumns, table=True):
    __tablename__ = "actor"

    id: str = Field(primary_key=True, max_length=ID_LENGTH)
    kind: str = Field(max_length=64)
    name: str = Field(max_length=300)
    name_key: str = Field(max_length=300, index=True)
    # Set when this actor was merged into another; its id then redirects to the survivor.
    merged_into_id: str | None = Field(
        default=None, foreign_key="actor.id", max_length=ID_LENGTH, index=True
    )


class ActorAlias(SQLModel, table=True):
    __tablename__ = "actor_alias"

    actor_id: str = Field(
        foreign_key="actor.id", primary_key=True, max_length=ID_LENGTH, ondelete="CASCADE"
    )
    position: int = Field(primary_key=True)
    name: str = Field(max_length=300)
    name_key: str = Field(max_length=300, index=True)
    language: str | None = Field(default=None, max_length=35)
    script: str | None = Field(default=None, max_length=4)
    strength: str = Field(default=AliasStrength.strong, max_length=6)


class ActorExternalId(SQLModel, table=True):
    __tablename__ = "actor_external_id"
    __table_args__ = (Index("ix_actor_external_id_actor_id", "actor_id"),)

    scheme: str = Field(primary_key=True, max_length=32)
    value: str = Field(primary_key=True, max_length=100)
    # `scheme:value` as the scheme compares identifiers (app.names.external_id_key): what
    # lookups and the one-holder check use. Not unique, so a migration keeps old duplicates.
    id_key: str = Field(max_length=140, index=True)
    actor_id: str = Field(foreign_key="actor.id", max_length=ID_LENGTH, ondelete="CASCADE")
