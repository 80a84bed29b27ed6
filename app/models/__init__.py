"""Table classes only. Importing this package registers every table on the metadata."""

from app.models.actor import Actor, ActorAlias, ActorExternalId, AliasStrength
from app.models.api_key import ApiKey, Role
from app.models.base import EntityColumns
from app.models.claim import (
    Claim,
    ClaimActor,
    ClaimActorDate,
    ClaimDate,
    ClaimInstrument,
    ClaimProgram,
    ClaimRelation,
    ClaimStatus,
    DateKind,
    EvidenceSpan,
    RelationType,
    Stance,
)
from app.models.claim_version import (
    ClaimVersion,
    ClaimVersionActor,
    ClaimVersionDate,
    ClaimVersionInstrument,
    ClaimVersionProgram,
    ClaimVersionSource,
)
from app.models.idempotency import IdempotencyEntry
from app.models.instrument import Instrument
from app.models.rate_limit import RateLimitUsage
from app.models.revision import EntityType, Operation, Revision, RevisionCounter
from app.models.source import Source
from app.models.vocabulary import Vocabulary, VocabularyTerm

__all__ = [
    "Actor",
    "ActorAlias",
    "ActorExternalId",
    "AliasStrength",
    "ApiKey",
    "Claim",
    "ClaimActor",
    "ClaimActorDate",
    "ClaimDate",
    "ClaimInstrument",
    "ClaimProgram",
    "ClaimRelation",
    "ClaimStatus",
    "ClaimVersion",
    "ClaimVersionActor",
    "ClaimVersionDate",
    "ClaimVersionInstrument",
    "ClaimVersionProgram",
    "ClaimVersionSource",
    "DateKind",
    "EntityColumns",
    "EntityType",
    "EvidenceSpan",
    "IdempotencyEntry",
    "Instrument",
    "Operation",
    "RateLimitUsage",
    "RelationType",
    "Revision",
    "RevisionCounter",
    "Role",
    "Source",
    "Stance",
    "Vocabulary",
    "VocabularyTerm",
]
