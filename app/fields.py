"""Field types shared by request and response schemas."""

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    Strict,
    StringConstraints,
    WithJsonSchema,
    field_validator,
)

from app.isodates import INTERVAL_PATTERN, PREFIX_PATTERN, parse_date, parse_prefix
from app.models.base import ID_LENGTH


def _valid_prefix(value: str) -> str:
    parse_prefix(value)
    return value


def _valid_date(value: str) -> str:
    parse_date(value)
    return value


NUL = "\x00"
NUL_REFUSED = "NUL characters (U+0000) are not allowed."


# One character that is not whitespace, spelled out (Python's and ECMAScript's `\s` differ,
# e.g. on U+0085), so the document's pattern and the server refuse the same strings.
NOT_BLANK = r"[^\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
_NOT_BLANK = re.compile(NOT_BLANK)
# What the document says of a string: no NUL anywhere (RequestModel and every path and
# query parameter refuse it); of a Text, also one character that is not whitespace.
NO_NUL_PATTERN = r"^[^\x00]*$"
TEXT_PATTERN = r"^[^\x00]*" + NOT_BLANK.replace("[^", r"[^\x00", 1) + r"[^\x00]*$"


def _carries_text(value: str) -> str:
    if not _NOT_BLANK.search(value):
        raise ValueError("must contain text, not only whitespace")
    return value


def _as_utc(value: datetime) -> str:
    if value.tzinfo is None:  # SQLite hands timestamps back without their zone; they are UTC.
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


# What the document shows of the dates `parse_prefix` accepts (years 0001 to 9999, months
# 01 to 12, days 01 to 31; only the calendar check, such as 2023-02-29, is left to the
# server); the looser runtime patterns let `parse_prefix` say what is wrong.
DATE_PREFIX = (
    r"(?:[1-9]\d{3}|0[1-9]\d{2}|00[1-9]\d|000[1-9])"
    r"(?:-(?:0[1-9]|1[0-2])(?:-(?:0[1-9]|[12]\d|3[01]))?)?"
)
DATE_PREFIX_PATTERN = f"^{DATE_PREFIX}$"
DATE_VALUE_PATTERN = f"^{DATE_PREFIX}(?:/{DATE_PREFIX})?$"
DatePrefixStr = Annotated[
    str,
    Field(
        max_length=10,
        pattern=PREFIX_PATTERN,
        json_schema_extra={"pattern": DATE_PREFIX_PATTERN},
        description="ISO 8601 date or prefix of one, keeping the precision the source gave: "
        "`2017` (year), `2019-12` (month), `2022-07-15` (day). ASCII digits only.",
        examples=["2022-07"],
    ),
    AfterValidator(_valid_prefix),
]
DateValueStr = Annotated[
    str,
    Field(
        max_length=21,
        pattern=INTERVAL_PATTERN,
        json_schema_extra={"pattern": DATE_VALUE_PATTERN},
        description="ISO 8601 date or prefix of one (`2017`, `2019-12`, `2022-07-15`), or, "
        "for an `occurred` date, an interval of two (`2019-01-24/2019-01-25`, "
        "`2014-03/2014-05`), each end with its own precision; the start may not be after "
        "the end. ASCII digits only. Stored and served as sent.",
        examples=["2022-07", "2019-01-24/2019-01-25"],
    ),
    AfterValidator(_valid_date),
]
Timestamp = Annotated[
    datetime,
    PlainSerializer(_as_utc, return_type=str, when_used="json"),
    # Serialised as text, but SDKs should still see a date-time.
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
# Numbers of a body are JSON numbers: pydantic's lax mode would also take `true` as 1 and
# `"0.5"` as 0.5, which a client's bug then stores silently.
JsonInt = Annotated[int, Strict()]
JsonNumber = Annotated[float, Strict()]  # an integer is a number too
JsonBool = Annotated[bool, Strict()]  # not 0, 1 or "true"


def _iso_text(value: object) -> object:
    # pydantic reads a bare number as Unix time (`1700000000`); the API speaks ISO 8601.
    if isinstance(value, str) and not _ISO_DATE_TIME.match(value):
        raise ValueError("Input should be an ISO 8601 date-time, such as 2024-05-01T12:00:00Z")
    return value


_ISO_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]")
QueryTimestamp = Annotated[datetime, BeforeValidator(_iso_text)]

RFC3339 = r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:[Zz]|[+-]\d{2}:\d{2})$"
_RFC3339 = re.compile(RFC3339)


def _rfc3339_text(value: object) -> object:
    # A past moment has to be one moment: no date without a time, no time without its offset.
    if isinstance(value, str) and not _RFC3339.match(value):
        raise ValueError(
            "Input should be an RFC 3339 date-time with its offset, such as 2026-03-01T00:00:00Z"
        )
    return value


StrictTimestamp = Annotated[
    datetime,
    BeforeValidator(_rfc3339_text),
    WithJsonSchema({"type": "string", "format": "date-time", "pattern": RFC3339}),
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
# A string that must say something: a name, title, statement, reason or quote.
# The document says it with a pattern; the validator gives the readable refusal.
Text = Annotated[
    str, Field(json_schema_extra={"pattern": TEXT_PATTERN}), AfterValidator(_carries_text)
]
# An identifier as official lists print it, stray spaces included: stored trimmed.
TrimmedStr = Annotated[str, StringConstraints(strip_whitespace=True)]
Term = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        pattern=r"^[a-z][a-z0-9_]*$",
        description="A term of an open vocabulary (see `GET /v1/vocabularies`).",
    ),
]


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return NUL in value
    return isinstance(value, list) and any(_holds_nul(item) for item in value)


class RequestModel(BaseModel):
    """Request bodies reject fields they do not define, so typos fail loudly, and NUL
    characters in any string field: PostgreSQL cannot store them, and no text we hold has
    one. (Nested bodies are request models too, so each string is checked where it is.)"""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    @field_validator("*", mode="before")
    @classmethod
    def _refuse_nul(cls, value: Any) -> Any:
        if _holds_nul(value):
            raise ValueError(NUL_REFUSED)
        return value


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
