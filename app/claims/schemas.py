"""Request and response bodies for claims."""

from datetime import date
from typing import Annotated

from pydantic import (
    BaseModel,
    Field,
    ValidationInfo,
    field_validator,
)
from pydantic.json_schema import SkipJsonSchema

from app.claims.params import DateKindFilter
from app.claims.workflow import TransitionName
from app.errors import Problem
from app.fields import (
    DateValueStr,
    EntityId,
    EntityMeta,
    JsonInt,
    JsonNumber,
    NotClearable,
    RequestModel,
    Term,
    Text,
    Timestamp,
)
from app.isodates import Precision
from app.models import ClaimStatus, DateKind, Operation, RelationType, Stance
from app.pagination import PageMeta

Program = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$",
        description="A sanctions program code, as the issuing authority writes it.",
        examples=["DPRK3"],
    ),
]
QUOTE_CONTEXT = 32
STATUS_BY_TRANSITION = (
    "a status changes only through its transition: POST /v1/claims/{id}/publish, /dispute, "
    "/retract or /reinstate (see GET /v1/claims/transitions)"
)


Reason = Annotated[
    Text,
    Field(
        min_length=1,
        max_length=1000,
        description="Why, in words a reader of the revision log understands; not blank.",
        examples=["The source was misquoted."],
    ),
]


class ClaimActorIn(RequestModel):
    actor_id: EntityId
    role: Term = Field(examples=["agent"])


class ClaimDateIn(RequestModel):
    kind: DateKind
    value: DateValueStr

    @field_validator("value")
    @classmethod
    def _interval_only_occurred(cls, value: str, info: ValidationInfo) -> str:
        # A start, an end or a deadline is one day, month or year; an event's extent is
        # either an `occurred` interval or its own `start` and `end` dates.
        if "/" in value and info.data.get("kind", DateKind.occurred) != DateKind.occurred:
            raise ValueError("only an `occurred` date may be an interval")
        return value


class EvidenceIn(RequestModel):
    source_id: EntityId
    start: JsonInt = Field(ge=0, description="Code-point offset into the source's held text.")
    end: JsonInt = Field(gt=0, description="Exclusive end offset; `text[start:end]` is the quote.")
    quote: Text = Field(min_length=1, max_length=5000, description="Exactly `text[start:end]`.")
    prefix: str | None = Field(
        default=None,
        max_length=QUOTE_CONTEXT,
        description="Text just before the quote; computed when omitted.",
    )
    suffix: str | None = Field(
        default=None,
        max_length=QUOTE_CONTEXT,
        description="Text just after the quote; computed when omitted.",
    )
    # That the span is not empty and as long as the quote is checked with the source's text
    # (app/claims/service.py), so that a wrong length is reported with every other problem.
    stance: Stance = Stance.supports


class ClaimInstrumentIn(RequestModel):
    instrument_id: EntityId
    provision: str | None = Field(default=None, max_length=100, examples=["para 8"])


class ClaimRelationIn(RequestModel):
    relation: RelationType
    target_id: EntityId


class ClaimCreate(RequestModel):
    predicate: Term = Field(examples=["recognition"])
    statement: Text = Field(
        min_length=1,
        max_length=1000,
        description="The claim in one sentence, saying no more than its evidence.",
        examples=[
            "North Korea recognised the Donetsk and Luhansk People's Republics in July 2022."
        ],
    )
    modality: Term = Field(examples=["occurred"])
    status: ClaimStatus = Field(
        default=ClaimStatus.draft,
        description="`draft` or `published`; later changes are transitions "
        "(`POST /v1/claims/{id}/publish`, `/dispute`, `/retract`, `/reinstate`).",
    )
    confidence: JsonNumber | None = Field(default=None, ge=0, le=1)
    programs: list[Program] = Field(default_factory=list, max_length=20)
    actors: list[ClaimActorIn] = Field(default_factory=list, max_length=50)
    dates: list[ClaimDateIn] = Field(default_factory=list, max_length=20)
    evidence: list[EvidenceIn] = Field(min_length=1, max_length=50)
    instruments: list[ClaimInstrumentIn] = Field(default_factory=list, max_length=20)
    relations: list[ClaimRelationIn] = Field(default_factory=list, max_length=50)

    @field_validator("status")
    @classmethod
    def _draft_or_published(cls, status: ClaimStatus) -> ClaimStatus:
        if status not in (ClaimStatus.draft, ClaimStatus.published):
            raise ValueError(
                f"a claim is created draft or published; it becomes {status} through "
                f"POST /v1/claims/{{id}}/{'dispute' if status == 'disputed' else 'retract'}, "
                "which records the reason"
            )
        return status


class ClaimPatch(RequestModel):
    """JSON Merge Patch of a claim: absent fields stay, lists are replaced whole; `null`
    clears `confidence` and empties a list (except `evidence`, which a claim always has)."""

    predicate: NotClearable[Term] = None
    statement: NotClearable[Annotated[Text, Field(min_length=1, max_length=1000)]] = None
    modality: NotClearable[Term] = None
    # Not settable here (left out of the document): a merge patch that names it is refused
    # with a pointer at the transition operations, rather than as an unknown field.
    status: SkipJsonSchema[object] = None
    confidence: JsonNumber | None = Field(default=None, ge=0, le=1)
    programs: list[Program] | None = Field(default=None, max_length=20)
    actors: list[ClaimActorIn] | None = Field(default=None, max_length=50)
    dates: list[ClaimDateIn] | None = Field(default=None, max_length=20)
    evidence: NotClearable[Annotated[list[EvidenceIn], Field(min_length=1, max_length=50)]] = None
    instruments: list[ClaimInstrumentIn] | None = Field(default=None, max_length=20)
    relations: list[ClaimRelationIn] | None = Field(default=None, max_length=50)

    @field_validator("status", mode="plain")
    @classmethod
    def _status_is_a_transition(cls, status: object) -> object:
        raise ValueError(STATUS_BY_TRANSITION)


class TransitionReason(RequestModel):
    """The body of a transition that needs a reason: dispute, retract, reinstate."""

    reason: Reason


class PublishReason(RequestModel):
    """The body of a publish, optional as a whole: a reason may be given (why a disputed
    claim stands), none is needed."""

    reason: Reason | None = None


class TransitionConflict(Problem):
    """409: the transition does not apply to the claim's current status."""

    current_status: ClaimStatus = Field(description="The claim's status now.")
    allowed_from: list[ClaimStatus] = Field(description="The statuses this transition applies to.")
    allowed_transitions: list[TransitionName] = Field(
        description="The transitions the claim can take from its current status."
    )


class TransitionRead(BaseModel):
    transition: TransitionName = Field(description="`POST /v1/claims/{id}/<transition>`.")
    operation: Operation = Field(description="The revision operation it records.")
    allowed_from: list[ClaimStatus]
    status_after: ClaimStatus
    reason_required: bool


class TransitionList(BaseModel):
    data: list[TransitionRead]


class ClaimActorRead(BaseModel):
    actor_id: EntityId
    name: str
    kind: str
    role: str


class ClaimDateRead(BaseModel):
    kind: DateKind
    value: str = Field(
        description="As sent: a prefix, or (`occurred`) an interval `start/end`.",
        examples=["2019-12"],
    )
    precision: Precision = Field(description="Of an interval, the coarser of its ends'.")
    earliest: date = Field(description="First day the value can mean.", examples=["2019-12-01"])
    latest: date = Field(description="Last day the value can mean.", examples=["2019-12-31"])


class CitedSource(BaseModel):
    kind: str
    title: str
    publisher: str | None
    author: str | None
    url: str | None
    published: str | None


class EvidenceRead(BaseModel):
    source_id: EntityId
    start: int
    end: int
    quote: str
    prefix: str
    suffix: str
    stance: Stance
    source: CitedSource


class ClaimInstrumentRead(BaseModel):
    instrument_id: EntityId
    symbol: str = Field(examples=["S/RES/2397 (2017)"])
    title: str | None
    provision: str | None


class ClaimRelationRead(BaseModel):
    relation: RelationType
    target_id: EntityId


class ClaimRead(EntityMeta):
    id: EntityId
    predicate: str
    statement: str
    modality: str
    status: ClaimStatus
    retraction_reason: str | None
    confidence: float | None
    programs: list[str]
    actors: list[ClaimActorRead]
    dates: list[ClaimDateRead]
    evidence: list[EvidenceRead]
    instruments: list[ClaimInstrumentRead]
    relations: list[ClaimRelationRead]


class ClaimPage(PageMeta):
    data: list[ClaimRead]


# Read-only views: facets, evidence in context, actor timelines.


class TermCount(BaseModel):
    value: str = Field(examples=["obligation"])
    count: int = Field(ge=0, description="Claims with this value.")


class ActorCount(BaseModel):
    actor_id: EntityId
    name: str = Field(examples=["North Korea"])
    count: int = Field(ge=0, description="Claims naming this actor (in any role).")


class YearCount(BaseModel):
    year: int = Field(examples=[2019])
    count: int = Field(
        ge=0,
        description="Claims with a date of `date_kind` (of `occurred`, the event span) that "
        "overlaps this year.",
    )


class ClaimFacets(BaseModel):
    """Counts of the claims the filters select; each value counts distinct claims, best
    first."""

    total: int = Field(ge=0, description="Claims the filters select.")
    date_kind: DateKindFilter = Field(description="The date kind the `year` counts are of.")
    predicate: list[TermCount]
    modality: list[TermCount]
    status: list[TermCount]
    program: list[TermCount]
    actor: list[ActorCount] = Field(description="The 20 actors named by most claims.")
    year: list[YearCount] = Field(
        description="Each year the claims' dates of `date_kind` overlap (within "
        "`date_from`/`date_to` when given; an ongoing span up to the current year without "
        "`date_to`), in year order. A claim counts once in each year its dates overlap, "
        "so the counts may add up to more than the total."
    )


EVIDENCE_CONTEXT = 200


class EvidenceCitation(CitedSource):
    id: EntityId
    language: str | None
    retrieved_at: Timestamp | None


class EvidenceInContext(BaseModel):
    position: int = Field(ge=0, description="The span's place in the claim's evidence list.")
    source_id: EntityId
    start: int
    end: int
    quote: str = Field(description="Exactly `text[start:end]` of the source's held text.")
    stance: Stance
    context_before: str = Field(
        description=f"Up to {EVIDENCE_CONTEXT} characters of held text just before the quote."
    )
    context_after: str = Field(
        description=f"Up to {EVIDENCE_CONTEXT} characters of held text just after the quote."
    )
    source: EvidenceCitation


class ClaimEvidence(BaseModel):
    claim_id: EntityId
    data: list[EvidenceInContext]


class TimelineItem(BaseModel):
    date: ClaimDateRead | None = Field(
        description="The claim's date that placed it here (of `occurred`: the event span, "
        "which for a claim with only `start`/`end` dates is the interval `start/end`, "
        "`start/..` when ongoing); null for the claims without a date of the asked kinds, "
        "which come last."
    )
    claim: ClaimRead


class TimelinePage(PageMeta):
    data: list[TimelineItem]
