"""Request and response bodies for claims."""

from datetime import date
from typing import Annotated, Self

from pydantic import BaseModel, Field, model_validator

from app.fields import (
    DatePrefixStr,
    EntityId,
    EntityMeta,
    NotClearable,
    RequestModel,
    Term,
    Timestamp,
)
from app.isodates import Precision
from app.models import ClaimStatus, DateKind, RelationType, Stance
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


class ClaimActorIn(RequestModel):
    actor_id: EntityId
    role: Term = Field(examples=["agent"])


class ClaimDateIn(RequestModel):
    kind: DateKind
    value: DatePrefixStr


class EvidenceIn(RequestModel):
    source_id: EntityId
    start: int = Field(ge=0, description="Code-point offset into the source's held text.")
    end: int = Field(gt=0, description="Exclusive end offset; `text[start:end]` is the quote.")
    quote: str = Field(min_length=1, max_length=5000, description="Exactly `text[start:end]`.")
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
    stance: Stance = Stance.supports

    @model_validator(mode="after")
    def _span_not_empty(self) -> Self:
        if self.end <= self.start:
            raise ValueError("end must be greater than start")
        if self.end - self.start != len(self.quote):
            raise ValueError(
                f"the span {self.start}–{self.end} holds {self.end - self.start} characters "
                f"but the quote has {len(self.quote)}"
            )
        return self


class ClaimInstrumentIn(RequestModel):
    instrument_id: EntityId
    provision: str | None = Field(default=None, max_length=100, examples=["para 8"])


class ClaimRelationIn(RequestModel):
    relation: RelationType
    target_id: EntityId


class ClaimCreate(RequestModel):
    predicate: Term = Field(examples=["recognition"])
    statement: str = Field(
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
        description="`retracted` is set only by the retract operation.",
    )
    confidence: float | None = Field(default=None, ge=0, le=1)
    programs: list[Program] = Field(default_factory=list, max_length=20)
    actors: list[ClaimActorIn] = Field(default_factory=list, max_length=50)
    dates: list[ClaimDateIn] = Field(default_factory=list, max_length=20)
    evidence: list[EvidenceIn] = Field(min_length=1, max_length=50)
    instruments: list[ClaimInstrumentIn] = Field(default_factory=list, max_length=20)
    relations: list[ClaimRelationIn] = Field(default_factory=list, max_length=50)

    @model_validator(mode="after")
    def _not_retracted(self) -> Self:
        if self.status == ClaimStatus.retracted:
            raise ValueError("use POST /v1/claims/{id}/retract, which records a reason")
        return self


class ClaimPatch(RequestModel):
    """JSON Merge Patch of a claim: absent fields stay, lists are replaced whole; `null`
    clears `confidence` and empties a list (except `evidence`, which a claim always has)."""

    predicate: NotClearable[Term] = None
    statement: NotClearable[Annotated[str, Field(min_length=1, max_length=1000)]] = None
    modality: NotClearable[Term] = None
    status: NotClearable[ClaimStatus] = None
    confidence: float | None = Field(default=None, ge=0, le=1)
    programs: list[Program] | None = Field(default=None, max_length=20)
    actors: list[ClaimActorIn] | None = Field(default=None, max_length=50)
    dates: list[ClaimDateIn] | None = Field(default=None, max_length=20)
    evidence: NotClearable[Annotated[list[EvidenceIn], Field(min_length=1, max_length=50)]] = None
    instruments: list[ClaimInstrumentIn] | None = Field(default=None, max_length=20)
    relations: list[ClaimRelationIn] | None = Field(default=None, max_length=50)


class ClaimRetract(RequestModel):
    reason: str = Field(min_length=1, max_length=1000, examples=["The source was misquoted."])


class ClaimActorRead(BaseModel):
    actor_id: EntityId
    name: str
    kind: str
    role: str


class ClaimDateRead(BaseModel):
    kind: DateKind
    value: str = Field(examples=["2019-12"])
    precision: Precision
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
    count: int = Field(ge=0, description="Claims with a date of `date_kind` in this year.")


class ClaimFacets(BaseModel):
    """Counts of the claims the filters select; each value counts distinct claims, best
    first."""

    total: int = Field(ge=0, description="Claims the filters select.")
    date_kind: DateKind = Field(description="The date kind the `year` counts are of.")
    predicate: list[TermCount]
    modality: list[TermCount]
    status: list[TermCount]
    program: list[TermCount]
    actor: list[ActorCount] = Field(description="The 20 actors named by most claims.")
    year: list[YearCount] = Field(
        description="Years of the claims' dates of `date_kind` (within `date_from`/`date_to` "
        "when given), in year order."
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
    date: ClaimDateRead = Field(description="The claim's date that placed it here.")
    claim: ClaimRead


class TimelinePage(PageMeta):
    data: list[TimelineItem]
