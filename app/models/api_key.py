"""API keys: who may call, in which role. The secret itself is never stored."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, DateTime
from sqlmodel import Field, SQLModel

from app.models.base import ID_LENGTH, utcnow


class Role(StrEnum):
    """Each role may do everything the ones before it may."""

    reader = "reader"
    analyst = "analyst"
    reviewer = "reviewer"
    admin = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    def allows(self, needed: "Role") -> bool:
        return self.rank >= needed.rank


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_key"
    __table_args__ = (
        CheckConstraint("role IN (" + ", ".join(f"'{r.value}'" for r in Role) + ")", name="role"),
    )

    id: str = Field(primary_key=True, max_length=ID_LENGTH)
    name: str = Field(max_length=100, unique=True)
    role: str = Field(max_length=16)
    # The first characters of the secret, shown in lists so a holder can tell keys apart.
    prefix: str = Field(max_length=16)
    # HMAC-SHA-256 of the whole secret under the server's pepper, hex: a stolen dump of the
    # table does not let anyone call, and without the pepper cannot be checked offline.
    secret_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    created_by: str | None = Field(default=None, max_length=100)
    revoked_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    last_used_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
