"""Legal instruments (resolutions, executive orders) that claims cite."""

from datetime import date

from sqlmodel import Field

from app.models.base import ID_LENGTH, EntityColumns


class Instrument(EntityColumns, table=True):
    __tablename__ = "instrument"

    id: str = Field(primary_key=True, max_length=ID_LENGTH)
    symbol: str = Field(max_length=100, unique=True)
    # The symbol without spaces or case (app.names.symbol_key), which identifies it.
    symbol_key: str = Field(max_length=100, index=True)
    title: str | None = Field(default=None, max_length=500)
    issuer_id: str | None = Field(default=None, foreign_key="actor.id", max_length=ID_LENGTH)
    adopted: str | None = Field(default=None, max_length=10)
    adopted_precision: str | None = Field(default=None, max_length=5)
    adopted_earliest: date | None = None
    adopted_latest: date | None = None
    url: str | None = Field(default=None, max_length=2000)
