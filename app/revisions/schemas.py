"""Response bodies for revision histories."""

from typing import Annotated

from pydantic import BaseModel, Field

from app.fields import EntityId, Timestamp
from app.models import EntityType, Operation
from app.pagination import PageMeta


class Cause(BaseModel):
    """The other entity's change that made this write: a claim re-rendered because an actor
    it names was renamed, or re-pointed because that actor was merged into another."""

    kind: str = Field(
        description="What happened to the other entity. Open: clients should accept kinds "
        "they do not know. Today `actor_renamed`, `actor_kind_changed`, `actor_merged`, "
        "`source_citation_changed` and `instrument_citation_changed`.",
        examples=["actor_renamed"],
    )
    entity_type: EntityType
    entity_id: EntityId


# Who and why, as every revision records them: the revision history and the change feed
# serve the same four fields, described once.
RecordedBy = Annotated[
    str | None,
    Field(description="Who made the change: the key's name at the time, or `seed` / `import`."),
]
RecordedByKeyId = Annotated[
    EntityId | None,
    Field(
        description="The id of the key that made the change (null for seeds, imports and "
        "changes made before keys existed)."
    ),
]
RevisionReason = Annotated[
    str | None,
    Field(
        description="The reason given for a status transition (required for `disputed`, "
        "`retracted` and `reinstated`, optional for `published`); null otherwise."
    ),
]
RevisionCause = Annotated[
    Cause | None,
    Field(
        description="For a write the entity did not ask for (`rerendered`, or an `updated` "
        "claim re-pointed by an actor merge): the change to another entity that made it."
    ),
]


class RevisionRead(BaseModel):
    """One version of an entity, as it was written."""

    seq: int = Field(description="Position in the global, commit-ordered revision sequence.")
    entity_type: EntityType
    entity_id: EntityId
    version: int
    operation: Operation
    recorded_at: Timestamp
    recorded_by: RecordedBy
    recorded_by_key_id: RecordedByKeyId
    snapshot: dict[str, object] = Field(
        description="The entity as it was after this write, in the shape it was written in."
    )
    reason: RevisionReason
    cause: RevisionCause


class RevisionPage(PageMeta):
    data: list[RevisionRead]
