"""Liveness and readiness probes."""

from pydantic import BaseModel
from sqlalchemy import text

from app.db import EngineDep, run_read
from app.errors import ServiceBusy
from app.routing import problems, resource_router

router = resource_router("", "health")


class Health(BaseModel):
    status: str


@router.get("/healthz", summary="The process is up", response_model=Health, responses=problems())
async def live() -> Health:
    """Answers 200 while the process serves requests; it does not touch the database."""
    return Health(status="ok")


@router.get(
    "/readyz", summary="The database answers", response_model=Health, responses=problems(503)
)
async def ready(engine: EngineDep) -> Health:
    """Answers 200 when a query on the database succeeds, 503 with `Retry-After` when not."""
    try:
        await run_read(engine, lambda connection: connection.execute(text("SELECT 1")))
    except Exception as exc:
        raise ServiceBusy("The database does not answer.", headers={"Retry-After": "5"}) from exc
    return Health(status="ok")
