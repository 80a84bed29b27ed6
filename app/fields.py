"""Field types shared by request and response schemas."""

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
)

from app.isodates import parse_prefix
from app.models.base import ID_LENGTH


def _valid_prefix(value: str) -> str:
    parse_prefix(value)
    return value


def _as_utc(value: datetime) -> str:
    if value.tzinfo is None:  # SQLite hands timestamps back without their zone; they are UTC.
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


DATE_PREFIX_PATTERN = (
    r"^(?:[1-9]\d{3}|0[1-9]\d{2}|00[1-9]\d|000[1-9])"
    r"(?:-(?:0[1-9]|1[0-2])(?:-(?:0[1-9]|[12]\d|3[01]))?)?$"
)
DatePrefixStr = Annotated[
    str,
    Field(
        max_length=10,
        pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$",
        # The document shows the values `parse_prefix` accepts (years 0001 to 9999, months 01
        # to 12, days 01 to 31; only the calendar check, such as 2023-02-29, is left to the
        # server); the looser pattern above lets `parse_prefix` say what is wrong.
        json_schema_extra={"pattern": DATE_PREFIX_PATTERN},
        description="ISO 8601 date or prefix of one, keeping the precision the source gave: "
        "`2017` (year), `2019-12` (month), `2022-07-15` (day).",
        examples=["2022-07"],
    ),
    AfterValidator(_valid_prefix),
]
Timestamp = Annotated[
    datetime,
    PlainSerializer(_as_utc, return_type=str, when_used="json"),
    # Serialised as text, but SDKs should still see a date-time.
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
EntityId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=ID_LENGTH,
        description="Opaque, time-sortable id (UUIDv7).",
        examples=["0192f0c1-7a00-7000-8000-000000000001"],
    ),
]
Term = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        pattern=r"^[a-z][a-z0-9_]*$",
        description="A term of an open vocabulary (see `GET /v1/vocabularies`).",
    ),
]


class RequestModel(BaseModel):
    """Request bodies reject fields they do not define, so typos fail loudly."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class EntityMeta(BaseModel):
    version: int = Field(ge=1, description="Increments on every write.", examples=[1])
    created_at: Timestamp
    updated_at: Timestamp


def _refuse_null(value: object) -> object:
    if value is None:
        raise ValueError("This field cannot be cleared: leave it out to keep its value")
    return value


T = TypeVar("T")
# A merge-patch field that may be set but not cleared: absent keeps it, `null` is a 422, and
# the document shows no null. Its default None means "absent" and is never validated, so
# pydantic validates the bare type (one clear error, not one per member of a union with
# None); type checkers see the None that the default puts there.
if TYPE_CHECKING:
    NotClearable = Annotated[T | None, BeforeValidator(_refuse_null)]
else:
    NotClearable = Annotated[T, BeforeValidator(_refuse_null)]
