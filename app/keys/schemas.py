"""Request and response bodies of the keys endpoints."""

from pydantic import BaseModel, Field

from app.fields import EntityId, RequestModel, Timestamp
from app.models import Role
from app.pagination import PageMeta


class KeyCreate(RequestModel):
    name: str = Field(
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9 ._@-]*$",
        description="Who holds the key (a person or a system); recorded on every revision "
        "the key writes. Unique.",
    )
    role: Role


class KeyRead(BaseModel):
    id: EntityId
    name: str
    role: Role
    prefix: str = Field(description="The first characters of the secret, to tell keys apart.")
    created_at: Timestamp
    created_by: str | None
    revoked_at: Timestamp | None
    last_used_at: Timestamp | None = Field(
        description="When the key was last used, to the minute (kept without making reads "
        "write: flushed at most once a minute per key)."
    )


class KeyCreated(KeyRead):
    secret: str = Field(
        description="The key itself: send it as `Authorization: Bearer <secret>`. Shown only "
        "in this answer; it is not stored and cannot be shown again."
    )


class KeyPage(PageMeta):
    data: list[KeyRead]
