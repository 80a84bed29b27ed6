"""What each API process has counted against each rate limit subject, per window."""

from sqlalchemy import BigInteger, Float
from sqlmodel import Field, SQLModel


class RateLimitUsage(SQLModel, table=True):
    """A process's own total for (subject, window); written only by its background flush,
    read by the other processes' flushes (app/ratelimits/sharing.py)."""

    __tablename__ = "rate_limit_usage"

    subject: str = Field(primary_key=True, max_length=100)
    window_start: int = Field(primary_key=True, sa_type=BigInteger)
    process: str = Field(primary_key=True, max_length=36)
    used: float = Field(sa_type=Float)
