"""Loading `seeds/`: fixed-id sources, actors, instruments and claims, through the services.

Idempotent: an entity that exists is updated with the seed's whole body, which writes
nothing (and appends no revision) when nothing differs. A claim whose relations point to a
claim not loaded yet is created without them first and gets them once every claim of its file
exists, so claims in one file can relate to each other in any order.
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
    seed_claims = seed.get("claims", [])
    for body in seed_claims:
        if session.get(Claim, body["id"]) is None:
            # With its relations when every target exists already (one revision), else
            # without them; the upsert below adds them once all claims exist.
            targets = {relation["target_id"] for relation in body.get("relations", [])}
            ready = all(session.get(Claim, target) is not None for target in targets)
            skipped = ("id",) if ready else ("id", "relations")
            new_claim = {k: v for k, v in body.items() if k not in skipped}
            claims.create_claim(session, ClaimCreate.model_validate(new_claim), SEED, body["id"])
    for body in seed_claims:
        _upsert(session, Claim, ClaimCreate, dict(body), claims.create_claim, claims.update_claim)
        count += 1
    return count


def load_seeds(engine: Engine, directory: Path) -> SeedReport:
    report = SeedReport()
    for path in sorted(directory.glob("*.json")):
        with write_session(engine) as session:
            report.entities += load_file(session, path)
        report.files.append(path.name)
    return report
