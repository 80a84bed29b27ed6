"""Configuration, read once from the environment (and nothing else)."""

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    database_url: str = "sqlite:///./data/claims.db"
    host: str = "127.0.0.1"
    port: int = 8000
    # Signs list cursors, so that every API process accepts every other's cursors.
    # Production deployments must set their own.
    cursor_secret: str = "change-me-in-production"
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    # Reads on PostgreSQL, and reads that scan on SQLite (lists, facets, search), run in a
    # small thread pool: a large one only adds GIL contention.
    read_threads: int = Field(default=8, ge=1, le=64)
    cors_origins: list[str] = []
    # How long a write waits for a lock (SQLite's write lock, a PostgreSQL row lock) before
    # the API gives up and answers 503 with Retry-After.
    lock_timeout_ms: int = Field(default=5000, ge=0)
    # uvicorn's own line per request; off by default, since the app logs each request once
    # as a JSON line with more in it (app/telemetry.py).
    access_log: bool = False
    # Request ids, the JSON request log and request metrics. Off only to measure what they
    # cost (bench/telemetry.py); an operator keeps them on.
    telemetry: bool = True


@lru_cache
def get_settings() -> Settings:
    return Settings()
