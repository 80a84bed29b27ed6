"""Configuration, read once from the environment (and nothing else)."""

from functools import lru_cache
from typing import Literal, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# The defaults of the two secrets, fine for the embedded quick start and refused in
# production: anyone who has read this file knows them.
DEFAULT_CURSOR_SECRET = "change-me-in-production"
DEFAULT_PEPPER = "change-me-in-production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    database_url: str = "sqlite:///./data/claims.db"
    host: str = "127.0.0.1"
    port: int = 8000
    # Signs list cursors, so that every API process accepts every other's cursors.
    # Production deployments must set their own.
    cursor_secret: str = DEFAULT_CURSOR_SECRET
    # `production` refuses to start with either default secret.
    env: Literal["development", "production"] = "development"
    # API keys are stored as HMAC-SHA-256 under this pepper; the same on every process.
    # Changing it invalidates every key.
    api_key_pepper: SecretStr = SecretStr(DEFAULT_PEPPER)
    # Off: reads are public (the embedded quick start). On: every read needs a key.
    reads_require_key: bool = False
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
    # How long the first answer to a POST with an Idempotency-Key is replayed.
    idempotency_retention_hours: int = Field(default=24, ge=1, le=24 * 30)
    # Requests per window, per API key and per client address (requests without a valid
    # key); a 304 counts a quarter (app/ratelimits). Off: no limits and no headers.
    rate_limits: bool = True
    rate_limit_window_seconds: int = Field(default=60, ge=1, le=3600)
    rate_limit_per_key: int = Field(default=1200, ge=1)
    rate_limit_per_address: int = Field(default=300, ge=1)

    @model_validator(mode="after")
    def _production_has_its_own_secrets(self) -> Self:
        if self.env == "production":
            defaults = [
                name
                for name, is_default in (
                    ("CURSOR_SECRET", self.cursor_secret == DEFAULT_CURSOR_SECRET),
                    ("API_KEY_PEPPER", self.api_key_pepper.get_secret_value() == DEFAULT_PEPPER),
                )
                if is_default
            ]
            if defaults:
                raise ValueError(
                    f"ENV=production needs its own {' and '.join(defaults)}: the defaults "
                    "are public (e.g. `openssl rand -hex 32`)."
                )
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()
