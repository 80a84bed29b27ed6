"""Response bodies for revision histories."""

from pydantic import BaseModel, Field

from app.fields import EntityId, Timestamp
from app.models import EntityType, Operation
from app.pagination import PageMeta


class RevisionRead(BaseModel):
    """One version of an entity, as it was written."""

    seq: int = Field(description="Position in the global, commit-ordered revision sequence.")
    entity_type: EntityType
    entity_id: EntityId
    version: int
    operation: Operation
    recorded_at: Timestamp
    recorded_by: str | None
    snapshot: dict[str, object] = Field(
        description="The entity as it was after this write, in the shape it was written in."
    )


class RevisionPage(PageMeta):
    data: list[RevisionRead]
