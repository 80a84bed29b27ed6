"""Request and response bodies for legal instruments."""

from typing import Annotated

from pydantic import Field

from app.fields import DatePrefixStr, EntityId, EntityMeta, NotClearable, RequestModel, Text
from app.pagination import PageMeta


class InstrumentCreate(RequestModel):
    symbol: Text = Field(
        min_length=1,
        max_length=100,
        description="The instrument's official symbol, unique ignoring spaces and case "
        "(`S/RES/2397(2017)` is `S/RES/2397 (2017)`).",
        examples=["S/RES/2397 (2017)"],
    )
    title: Text | None = Field(default=None, max_length=500)
    issuer_id: EntityId | None = Field(default=None, description="The issuing actor.")
    adopted: DatePrefixStr | None = None
    url: str | None = Field(default=None, max_length=2000, pattern=r"^https?://\S+$")


class InstrumentPatch(RequestModel):
    """JSON Merge Patch of an instrument: absent fields stay, `null` clears an optional one."""

    symbol: NotClearable[Annotated[Text, Field(min_length=1, max_length=100)]] = None
    title: Text | None = Field(default=None, max_length=500)
    issuer_id: EntityId | None = None
    adopted: DatePrefixStr | None = None
    url: str | None = Field(default=None, max_length=2000, pattern=r"^https?://\S+$")


class InstrumentRead(EntityMeta):
    id: EntityId
    symbol: str
    title: str | None
    issuer_id: EntityId | None
    adopted: str | None
    adopted_precision: str | None
    url: str | None


class InstrumentPage(PageMeta):
    data: list[InstrumentRead]
