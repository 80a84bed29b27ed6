"""Response bodies for revision histories."""

from pydantic import BaseModel, Field

from app.fields import EntityId, Timestamp
from app.models import EntityType, Operation
from app.pagination import PageMeta


class RevisionRead(BaseModel):
    seq: int = Field(description="Position in the global, commit-ordered revision sequence.")
    entity_type: EntityType
    entity_id: EntityId
    version: int
    operation: Operation
    recorded_at: Timestamp
    recorded_by: str | None = Field(
        description="Who made the change: the key's name at the time, or `seed` / `import`."
    )
    recorded_by_key_id: EntityId | None = Field(description="The id of the key that made it.")
    snapshot: dict[str, object]


class RevisionPage(PageMeta):
    data: list[RevisionRead]
