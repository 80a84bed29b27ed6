"""Loading `seeds/`: fixed-id sources, actors, instruments and claims, through the services.

Each entity is written once, complete: one `created` revision with its final status. The new
claims of a file are created together, so they may relate to each other in any order (even
both ways). Idempotent: an entity that exists is
updated with the seed's whole body, which writes nothing (and appends no revision) when
nothing differs; a claim's status is left to its workflow, so reloading the seeds never
undoes a review.
"""

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from app.actors import service as actors
from app.actors.schemas import ActorCreate
from app.claims import service as claims
from app.claims.schemas import ClaimCreate
from app.db import write_session
from app.instruments import service as instruments
from app.instruments.schemas import InstrumentCreate
from app.models import Actor, Claim, Instrument, Source
from app.revisions.service import SEED
from app.sources import service as sources
from app.sources.schemas import SourceCreate


@dataclass
class SeedReport:
    files: list[str] = field(default_factory=list)
    entities: int = 0


def _whole_body(model: type[Any], body: dict[str, Any]) -> dict[str, Any]:
    """A merge patch that sets every field: absent fields become null (cleared)."""
    return {name: body.get(name) for name in model.model_fields}


def _upsert(
    session: Session,
    table: type[Any],
    model: type[Any],
    body: dict[str, Any],
    create: Any,
    update: Any,
) -> None:
    entity_id = body.pop("id")
    if session.get(table, entity_id) is None:
        create(session, model.model_validate(body), SEED, entity_id)
    else:
        update(session, entity_id, _whole_body(model, body), "*", SEED)


def load_file(session: Session, path: Path) -> int:
    seed = json.loads(path.read_text(encoding="utf-8"))
    count = 0
    for body in seed.get("sources", []):
        if text_file := body.pop("text_file", None):
            body["text"] = (path.parent / text_file).read_text(encoding="utf-8")
        _upsert(session, Source, SourceCreate, body, sources.create_source, sources.update_source)
        count += 1
    for body in seed.get("actors", []):
        _upsert(session, Actor, ActorCreate, body, actors.create_actor, actors.update_actor)
        count += 1
    for body in seed.get("instruments", []):
        _upsert(
            session,
            Instrument,
            InstrumentCreate,
            body,
            instruments.create_instrument,
            instruments.update_instrument,
        )
        count += 1
    # New claims first and together, so they may relate to each other and be related to.
    seed_claims = seed.get("claims", [])
    new = [body for body in seed_claims if session.get(Claim, body["id"]) is None]
    claims.create_claims(
        session,
        [
            (body["id"], ClaimCreate.model_validate({k: v for k, v in body.items() if k != "id"}))
            for body in new
        ],
        SEED,
    )
    for body in seed_claims:
        if body not in new:
            # Without the status, which is the workflow's: a reload does not undo a review.
            changes = _whole_body(ClaimCreate, body)
            changes.pop("status")
            claims.update_claim(session, body["id"], changes, "*", SEED)
    count += len(seed_claims)
    return count


def load_seeds(engine: Engine, directory: Path) -> SeedReport:
    report = SeedReport()
    for path in sorted(directory.glob("*.json")):
        with write_session(engine) as session:
            report.entities += load_file(session, path)
        report.files.append(path.name)
    return report
