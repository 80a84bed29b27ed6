"""Liveness and readiness probes, and the metrics scrape."""

from fastapi import Request, Response
from prometheus_client import generate_latest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from pydantic import BaseModel
from sqlalchemy import text

from app.changes.service import waiting_reads
from app.db import EngineDep, run_read
from app.errors import ServiceBusy
from app.revisions.service import current_sequence
from app.routing import problems, resource_router
from app.telemetry import Metrics

router = resource_router("", "health")

# Load balancers and Prometheus carry no key: the probes and the scrape stay open even when
# reads need one (READS_REQUIRE_KEY), and the document says so per operation.
OPEN: dict[str, object] = {"security": []}


class Health(BaseModel):
    status: str


@router.get(
    "/healthz",
    summary="The process is up",
    response_model=Health,
    responses=problems(),
    openapi_extra=OPEN,
)
async def live() -> Health:
    """Answers 200 while the process serves requests; it does not touch the database."""
    return Health(status="ok")


@router.get(
    "/readyz",
    summary="The database answers",
    response_model=Health,
    responses=problems(503),
    openapi_extra=OPEN,
)
async def ready(engine: EngineDep) -> Health:
    """Answers 200 when a query on the database succeeds, 503 with `Retry-After` when not."""
    try:
        await run_read(engine, lambda connection: connection.execute(text("SELECT 1")))
    except Exception as exc:
        raise ServiceBusy("The database does not answer.", headers={"Retry-After": "5"}) from exc
    return Health(status="ok")


@router.get(
    "/metrics",
    summary="Metrics in Prometheus text format",
    description="Requests answered and their latency by route template and status, the "
    "database pool's use, the change feed's last sequence, and the counter reads its "
    "waiting long polls made.",
    response_class=Response,
    responses={
        200: {
            "description": "Prometheus text exposition, format 0.0.4 (every Prometheus reads it)",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        },
        **problems(503),
    },
    openapi_extra=OPEN,
)
async def metrics(request: Request, engine: EngineDep) -> Response:
    collected: Metrics = request.app.state.metrics
    collected.last_sequence.set(await run_read(engine, current_sequence, snapshot=False))
    collected.read_pool(engine)
    collected.feed_waiting_reads.set(waiting_reads.get(engine, 0))
    return Response(generate_latest(collected.registry), media_type=CONTENT_TYPE_PLAIN_0_0_4)
