"""What every table shares: the constraint naming convention and the entity columns."""

from datetime import UTC, datetime

from sqlalchemy import DateTime
from sqlmodel import Field, SQLModel

# Stable constraint names on SQLite and PostgreSQL alike, so migrations can refer to them.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ID_LENGTH = 36


def utcnow() -> datetime:
    return datetime.now(UTC)


def id_field(**kwargs: object) -> str:
    return Field(primary_key=True, max_length=ID_LENGTH, **kwargs)  # type: ignore[no-any-return, call-overload]


class EntityColumns(SQLModel):
    """Columns of every versioned entity: each write increments `version`."""

    version: int = Field(default=1, ge=1)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
