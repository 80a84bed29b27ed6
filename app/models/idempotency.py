"""Idempotency entries: the first answer to a POST sent with an `Idempotency-Key`."""

from datetime import datetime

from sqlalchemy import DateTime, LargeBinary
from sqlmodel import Field, SQLModel

from app.models.base import ID_LENGTH, utcnow

IDEMPOTENCY_KEY_MAX_LENGTH = 255


class IdempotencyEntry(SQLModel, table=True):
    """One (caller's key, Idempotency-Key): in progress while `status` is null, then the
    answer to replay. Only answers that changed something (2xx) are kept."""

    __tablename__ = "idempotency_entry"

    api_key_id: str = Field(primary_key=True, max_length=ID_LENGTH)
    idempotency_key: str = Field(primary_key=True, max_length=IDEMPOTENCY_KEY_MAX_LENGTH)
    # sha256 (hex) of the method, path, query and body: the same key with another request is a 422.
    request_hash: str = Field(max_length=64)
    created_at: datetime = Field(
        default_factory=utcnow, sa_type=DateTime(timezone=True), index=True
    )
    status: int | None = None
    # The headers that matter (Location, ETag, Content-Type) as JSON pairs, and the body.
    headers: str | None = None
    body: bytes | None = Field(default=None, sa_type=LargeBinary)
