"""Query and response bodies of the change feed."""

from enum import StrEnum

from pydantic import BaseModel, Field
from pydantic.json_schema import SkipJsonSchema

from app.fields import EntityId, Timestamp
from app.models import EntityType, Operation
from app.revisions.schemas import RecordedBy, RecordedByKeyId, RevisionCause, RevisionReason

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
MAX_WAIT_SECONDS = 30


class ChangeFields(StrEnum):
    """How much of each change to send."""

    full = "full"
    ids = "ids"


class Change(BaseModel):
    """One revision: a write to one entity, at its place in the global sequence."""

    seq: int = Field(
        ge=1,
        description="Position in the global sequence; assigned in commit order, so a reader "
        "that has seen `seq` N has seen every change below N.",
        examples=[4711],
    )
    entity_type: EntityType
    entity_id: EntityId
    operation: Operation
    version: int = Field(ge=1, description="The entity's version after this change.", examples=[2])
    recorded_at: Timestamp
    recorded_by: RecordedBy
    recorded_by_key_id: RecordedByKeyId
    reason: RevisionReason
    cause: RevisionCause
    # Absent, never null, with `fields=ids`: the document shows an optional object.
    snapshot: dict[str, object] | SkipJsonSchema[None] = Field(
        default=None,
        description="The entity as it was after this change (for `deleted`, as it was "
        "before). Left out when `fields=ids`.",
    )


class ChangeFeed(BaseModel):
    data: list[Change] = Field(description="Changes in increasing `seq` order.")
    next_cursor: str = Field(
        description="Always present, even when `data` is empty: pass it as `after` to get "
        "the changes that follow, and keep it to resume polling exactly there."
    )
