"""The query parameters of the claim reads, declared once.

Each model is the single declaration of its parameters: name, type, limits, whether it
repeats, and the description the OpenAPI document shows. FastAPI reads them as
query-parameter models (`Annotated[ClaimListParams, Query()]`); `app.middleware` refuses
parameters a model does not declare and single-valued ones given twice. What a model holds
is what the client wrote: `app.claims.criteria.resolve` turns it into the resolved
`ClaimCriteria` (actor names into ids, dates into day bounds), the only form the SQL
accepts. Parameters combine with AND; a repeated parameter is OR within itself.
"""

from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from app.fields import DatePrefixStr, QueryTimestamp, StrictTimestamp
from app.models import ClaimStatus, DateKind
from app.pagination import DEFAULT_LIMIT, MAX_LIMIT

MAX_VALUES = 20


TermValue = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")]
ProgramCode = Annotated[
    str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
]
Name = Annotated[str, Field(min_length=1, max_length=300)]
Reference = Annotated[str, Field(min_length=1, max_length=100)]
Publisher = Annotated[str, Field(min_length=1, max_length=200)]
DayStr = Annotated[
    DatePrefixStr,
    Field(min_length=10, pattern=r"^\d{4}-\d{2}-\d{2}$", examples=["2019-06-01"]),
]


def _repeatable(description: str, max_length: int = MAX_VALUES) -> Any:
    return Field(max_length=max_length, description=f"{description} Repeatable (OR).")


# The parameters the claim list shares with the timeline, and the page of every list.
StatusFilter = Annotated[
    list[ClaimStatus],
    _repeatable("Review status. Default: published and disputed (retracted only when asked).", 4),
]
ActorRoleFilter = Annotated[
    list[TermValue],
    _repeatable("Only where the actor (or, without `actor`, any actor) has this role."),
]
PageLimit = Annotated[int, Field(ge=1, le=MAX_LIMIT, description=f"Page size, 1 to {MAX_LIMIT}.")]
PageCursor = Annotated[
    str | None,
    Field(
        max_length=1000,
        description="`next_cursor` from the previous page; only valid with the same filters.",
    ),
]


class QueryParams(BaseModel):
    """Query parameters as a model: unknown ones are refused, values are not coerced into
    other meanings, and an instance never changes once parsed."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class DateKindFilter(StrEnum):
    """The date kinds a claim query may choose: each of `DateKind`, or `any` of them."""

    occurred = "occurred"
    start = "start"
    end = "end"
    deadline = "deadline"
    reported = "reported"
    adopted = "adopted"
    effective = "effective"
    any = "any"


ANY_DATE_KIND = DateKindFilter.any.value
assert {kind.value for kind in DateKind} == {kind.value for kind in DateKindFilter} - {
    ANY_DATE_KIND
}, "DateKindFilter lists every DateKind"

EVENT_SPAN_RULE = (
    "An event's time is one span: its `occurred` date (a day, month or year, or an "
    "interval such as `2019-01-24/2019-01-25`), or, for a claim with no `occurred` date, "
    "the interval from its `start` to its `end` (open to the future, ongoing, without an "
    "`end`). "
)


class ClaimSort(StrEnum):
    id = "id"
    date = "date"
    date_desc = "-date"
    updated_at = "updated_at"
    updated_at_desc = "-updated_at"
    relevance = "relevance"


class ClaimFilterParams(QueryParams):
    """The filters of `GET /v1/claims`, shared by its facets."""

    status: StatusFilter = []
    predicate: Annotated[
        list[TermValue],
        _repeatable("Predicate, e.g. `obligation` (see vocabularies)."),
    ] = []
    modality: Annotated[
        list[TermValue],
        _repeatable("Modality, e.g. `occurred`, `demanded`."),
    ] = []
    min_confidence: float | None = Field(
        default=None, ge=0, le=1, description="Only claims at least this confident."
    )
    actor: Annotated[
        list[Name],
        _repeatable(
            "An actor id, an external id as `scheme:value` (`un_sc:KPi.034`, `ofac:20157`; "
            "`un_sc` and `ofac` ignore case), or a name or alias of one (case, accents, "
            "apostrophes, punctuation and word order do not matter). An ambiguous or "
            "unknown name is a 422 listing the candidates or closest names; a merged "
            "actor's id means its survivor."
        ),
    ] = []
    actor_role: ActorRoleFilter = []
    program: Annotated[
        list[ProgramCode],
        _repeatable("Sanctions program code, e.g. `DPRK3`."),
    ] = []
    instrument: Annotated[
        list[Reference],
        _repeatable("Cited instrument: id or symbol such as `S/RES/2397 (2017)`."),
    ] = []
    provision: Annotated[
        list[Reference],
        _repeatable(
            "Cited provision, e.g. `para 8` (case-insensitive); with `instrument`, of that "
            "instrument."
        ),
    ] = []
    source: Annotated[
        list[Reference],
        _repeatable("Source id cited as evidence."),
    ] = []
    source_kind: Annotated[
        list[TermValue],
        _repeatable("Kind of a cited source, e.g. `news_article`."),
    ] = []
    publisher: Annotated[
        list[Publisher],
        _repeatable("Publisher of a cited source (case-insensitive), e.g. `Reuters`."),
    ] = []
    date_kind: DateKindFilter = Field(
        default=DateKindFilter.occurred,
        description="Which of a claim's dates `date_from`/`date_to`, `sort=date` and the "
        "year facet use; `any` uses every date of the claim (but not the derived span). "
        + EVENT_SPAN_RULE
        + "With `occurred`, the default, they use that span.",
    )
    date_from: DatePrefixStr | None = Field(
        default=None,
        description="ISO date or prefix (`2019`, `2019-12`, `2019-12-22`): claims with a "
        "date of `date_kind` (of `occurred`, the event span) that overlaps the window, "
        "i.e. ends on or after its first day. In the year facet a claim counts in each "
        "year of the window its date overlaps, so the years may add up to more than the "
        "total.",
    )
    date_to: DatePrefixStr | None = Field(
        default=None,
        description="ISO date or prefix: claims with a date of `date_kind` (of `occurred`, "
        "the event span) that starts on or before its last day (`2019` means up to "
        "2019-12-31).",
    )
    updated_since: QueryTimestamp | None = Field(
        default=None,
        description="Claims written at or after this time (ISO 8601; UTC if no zone).",
    )
    valid_at: DayStr | None = Field(
        default=None,
        description="A day (`2019-06-01`): claims whose event time covers it, in valid "
        "time. " + EVENT_SPAN_RULE + "A day, month or year covers each of its days; an "
        "interval each day from its start to its end; an ongoing one every day from its "
        "start. Independent of `date_kind`; combines with `as_of`.",
    )
    q: str | None = Field(
        default=None,
        min_length=1,
        max_length=500,
        description='Full text over statements and evidence quotes: words, "phrases" and '
        "-exclusions, all required; case, accents and punctuation do not matter, and no "
        "stemming (`labourer` does not find `labourers`).",
    )


class ClaimListParams(ClaimFilterParams):
    """`GET /v1/claims`: the filters, the order and the page."""

    sort: ClaimSort = Field(
        default=ClaimSort.id,
        description="Page order; `-` for descending. `date` orders by the claim's earliest "
        "date of `date_kind` (of `occurred`, the start of the event span); claims without "
        "one come last in both directions, by id.",
    )
    limit: PageLimit = DEFAULT_LIMIT
    cursor: PageCursor = None
    as_of: StrictTimestamp | None = Field(
        default=None,
        description="An RFC 3339 date-time with its offset (`2026-03-01T00:00:00Z`): the "
        "list as it stood then, in recorded time: each claim's version as of the last "
        "revision committed at or before it, with the same filters, sorts and cursors (a "
        "cursor is bound to its `as_of`). Actor, instrument and source references resolve "
        "as they are now; an actor also finds the versions that named an actor since merged "
        "into it. Not with `q` yet (422). Not in the future. The answer never changes: its "
        "ETag stays, and it may be cached for long.",
    )


class TimelineParams(QueryParams):
    """`GET /v1/actors/{id}/timeline`: the claim filters a timeline takes, by the same names
    as the claim list's, and the page."""

    status: StatusFilter = []
    date_kind: Annotated[
        list[DateKind],
        _repeatable(
            "Date kinds that place claims; default all. A claim has an entry for each of "
            "its dates of these kinds; " + EVENT_SPAN_RULE + "`occurred` places a claim by "
            "that span. Claims without a date of these kinds come last, with `date: null`.",
            len(DateKind),
        ),
    ] = []
    date_from: DatePrefixStr | None = Field(
        default=None,
        description="ISO date or prefix: only entries whose date ends on or after its "
        "first day (and no undated claims).",
    )
    date_to: DatePrefixStr | None = Field(
        default=None,
        description="ISO date or prefix: only entries whose date starts on or before its "
        "last day (and no undated claims).",
    )
    actor_role: Annotated[
        list[TermValue], _repeatable("Only claims naming the actor in this role.")
    ] = []
    limit: PageLimit = DEFAULT_LIMIT
    cursor: PageCursor = None
