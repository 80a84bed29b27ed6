"""Request and response bodies for actors."""

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field

from app.fields import (
    EntityId,
    EntityMeta,
    JsonBool,
    NotClearable,
    RequestModel,
    Term,
    Text,
    TrimmedStr,
)
from app.models import AliasStrength
from app.pagination import PageMeta

ALLOW_DUPLICATE_NAME = (
    "A request flag, not stored: `true` says this is a different actor from those whose "
    "name or strong alias equals one of its names (official lists hold different people "
    "with the same name). Without it such a write is refused with 409 listing those actors. "
    "Checked on create and on updates that add names."
)


class AliasIn(RequestModel):
    name: Text = Field(min_length=1, max_length=300, examples=["DPRK"])
    language: str | None = Field(
        default=None, max_length=35, pattern=r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{1,8})*$"
    )
    script: str | None = Field(
        default=None, pattern=r"^[A-Z][a-z]{3}$", description="ISO 15924 code.", examples=["Latn"]
    )
    strength: AliasStrength = Field(
        default=AliasStrength.strong,
        description="`weak` for names that also mean something else (`Pyongyang` for the "
        "government); a strong alias wins over a weak one when resolving a name.",
    )


class ExternalIdIn(RequestModel):
    scheme: Term = Field(examples=["ofac"])
    value: TrimmedStr = Field(
        min_length=1,
        max_length=100,
        description="Stored trimmed; compared as the scheme compares its identifiers "
        "(`un_sc` and `ofac` ignore case).",
        examples=["20157"],
    )


class ActorCreate(RequestModel):
    kind: Term = Field(examples=["state"])
    name: Text = Field(min_length=1, max_length=300, examples=["North Korea"])
    aliases: list[AliasIn] = Field(
        default_factory=list,
        max_length=200,
        description="Other names. One that repeats the name or an earlier alias but for case, "
        "accents and spacing is stored once, as strong if either is.",
    )
    external_ids: list[ExternalIdIn] = Field(default_factory=list, max_length=50)
    allow_duplicate_name: JsonBool = Field(
        default=False,
        description=ALLOW_DUPLICATE_NAME,
    )


class ActorPatch(RequestModel):
    """JSON Merge Patch of an actor; `aliases` and `external_ids` are replaced whole (`null`
    empties them)."""

    kind: NotClearable[Term] = None
    name: NotClearable[Annotated[Text, Field(min_length=1, max_length=300)]] = None
    aliases: list[AliasIn] | None = Field(default=None, max_length=200)
    external_ids: list[ExternalIdIn] | None = Field(default=None, max_length=50)
    allow_duplicate_name: JsonBool | None = Field(default=None, description=ALLOW_DUPLICATE_NAME)


class ActorMerge(RequestModel):
    into: EntityId = Field(description="The surviving actor.")


class AliasRead(BaseModel):
    name: str
    language: str | None
    script: str | None
    strength: AliasStrength


class ExternalIdRead(BaseModel):
    scheme: str
    value: str


class ActorRead(EntityMeta):
    id: EntityId
    kind: str
    name: str
    aliases: list[AliasRead]
    external_ids: list[ExternalIdRead]
    merged_into_id: EntityId | None = Field(
        description="Set when this actor was merged into another."
    )


class MatchedBy(StrEnum):
    name = "name"
    alias = "alias"
    external_id = "external_id"


class ActorMatch(BaseModel):
    """Which of the actor's names (or which external id) the query matched."""

    via: MatchedBy
    value: str = Field(examples=["DPRK"], description="The name, alias or `scheme:value`.")
    strength: AliasStrength | None = Field(
        description="The alias's strength; null for the canonical name or an external id."
    )


class ActorListItem(ActorRead):
    matched: ActorMatch | None = Field(
        default=None, description="Set when the list was asked with `q` or `external_id`."
    )


class ActorPage(PageMeta):
    data: list[ActorListItem]
