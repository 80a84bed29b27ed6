"""The application factory: routers, error handlers, middleware, OpenAPI details."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from sqlalchemy import Engine

from app import health
from app.actors.routes import router as actors_router
from app.background import background_work
from app.changes.routes import router as changes_router
from app.claims.routes import router as claims_router
from app.db import make_engine
from app.errors import install_error_handlers
from app.fastpath import FastReads
from app.idempotency.middleware import IdempotentPosts
from app.instruments.routes import router as instruments_router
from app.keys.routes import router as keys_router
from app.keys.service import KeyRing
from app.middleware import BodySizeLimit, HeadAsGet
from app.openapi import build_document
from app.ratelimits.limiter import Limiter
from app.ratelimits.middleware import RateLimits
from app.settings import Settings, get_settings
from app.sources.routes import router as sources_router
from app.telemetry import Metrics, RequestLog, RequestTelemetry
from app.vocabularies.routes import router as vocabularies_router

DESCRIPTION = """
Structured claims about sanctions-relevant events, each tied to the exact passage of its
source, to the actors involved (with aliases) and to its dates (what happened when, what was
reported when, which deadline).

* Errors are RFC 9457 `application/problem+json`, with a JSON pointer per invalid field.
* Every GET sends an `ETag`; send it back in `If-None-Match` for a 304. Writes to an existing
  resource need `If-Match` (428 without it, 412 when stale). Updates are JSON Merge Patch.
* Lists are keyset-paginated: follow `next_cursor` until it is null.
* Unknown body fields and query parameters are rejected with 422.
* Writes need an API key (`Authorization: Bearer sck_…`) whose role allows them: reader,
  analyst (sources, actors, instruments, draft claims), reviewer (publishing others'
  drafts, editing published claims, retractions, merges), admin (keys, vocabularies).
  Reads are public unless the server requires keys; drafts are shown to analysts and up.
"""

TAGS = [
    {"name": "claims", "description": "Claims with their actors, dates, evidence and relations."},
    {"name": "sources", "description": "Documents and the text we hold of them."},
    {"name": "actors", "description": "States, organisations, people and media, with aliases."},
    {"name": "instruments", "description": "Legal instruments claims cite."},
    {"name": "vocabularies", "description": "The open vocabularies of terms."},
    {
        "name": "changes",
        "description": "The change feed: every write, in commit order, resumable from a "
        "cursor, for pollers and sync jobs.",
    },
    {"name": "keys", "description": "API keys and their roles (admins only)."},
    {"name": "health", "description": "Probes for orchestrators."},
]


def mount(app: FastAPI, router: APIRouter) -> None:
    """Add a router's routes to the app itself.

    FastAPI matches the routes of an included router through a nested router, which costs
    about 100 µs a request (measured: 133 µs against 31 µs for an empty handler); routes of
    the app itself are matched directly.
    """
    app.router.routes.extend(router.routes)


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    settings = settings or get_settings()
    request_log = RequestLog()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with background_work(app):
            yield
        request_log.flush()  # the lines of the last requests, at shutdown

    app = FastAPI(
        title="Sanctions Claims API",
        version="1.0.0",
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
    )
    app.state.request_log = request_log
    app.state.settings = settings
    app.state.engine = engine or make_engine(
        settings.database_url,
        lock_timeout_ms=settings.lock_timeout_ms,
        read_threads=settings.read_threads,
    )
    app.state.key_ring = KeyRing(app.state.engine, settings.api_key_pepper)
    install_error_handlers(app)
    for router in (  # most requested first: routes are matched in order
        claims_router,
        sources_router,
        actors_router,
        instruments_router,
        vocabularies_router,
        changes_router,
        keys_router,
        health.router,
    ):
        mount(app, router)
    app.state.metrics = Metrics()
    # Each added layer wraps the ones before it. The fast path runs innermost, so every
    # other layer applies to its answers as to routed ones; HEAD reaches it as a GET.
    app.add_middleware(FastReads, routes=app.router.routes)
    app.add_middleware(HeadAsGet)
    app.add_middleware(
        IdempotentPosts, retention=timedelta(hours=settings.idempotency_retention_hours)
    )
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.state.limiter = Limiter(settings.rate_limit_window_seconds)
    if settings.rate_limits:
        app.add_middleware(RateLimits, limiter=app.state.limiter, settings=settings)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "HEAD", "POST", "PATCH", "DELETE"],
            allow_headers=[
                "Content-Type",
                "Idempotency-Key",
                "If-Match",
                "If-None-Match",
                "X-Request-Id",
            ],
            expose_headers=[
                "ETag",
                "Idempotent-Replayed",
                "Location",
                "RateLimit-Limit",
                "RateLimit-Remaining",
                "RateLimit-Reset",
                "Retry-After",
                "X-Request-Id",
            ],
        )
    if settings.telemetry:
        app.add_middleware(RequestTelemetry, metrics=app.state.metrics, log=request_log)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_document(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
