"""Applying import records in batches, through the services' own checks and writes.

Each batch is one write transaction; each record in it runs in a savepoint, so a record the
services refuse is reported (line, JSON pointer, message) and leaves nothing behind while
the rest of the batch is kept. A record that matches a stored entity by its natural key
(app/imports/records.py) is applied as a whole-body update, which writes nothing when
nothing differs: re-running a file adds nothing. Counts say what each line did.
"""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

import orjson
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from app.actors import service as actors
from app.actors.schemas import ActorCreate
from app.claims import service as claims
from app.claims.schemas import ClaimCreate
from app.db import write_session
from app.errors import FieldError, InvalidInput, ProblemError
from app.ids import new_id
from app.imports.entries import DESIGNATION
from app.imports.records import (
    RECORD_TYPES,
    ActorRecord,
    ClaimRecord,
    ImportRecord,
    InstrumentRecord,
    ListingRecord,
    SourceRecord,
)
from app.instruments import service as instruments
from app.models import (
    ActorExternalId,
    Claim,
    ClaimActor,
    ClaimDate,
    EntityType,
    EvidenceSpan,
    Instrument,
    Source,
)
from app.names import external_id_key, symbol_key
from app.patching import validate_body
from app.revisions.schemas import Cause
from app.revisions.service import Author
from app.sources import service as sources

IMPORT = Author("import")
BATCH_LINES = 500


@dataclass(frozen=True)
class LineError:
    line: int
    pointer: str
    message: str


@dataclass
class ImportReport:
    read: int = 0
    written: int = 0
    unchanged: int = 0
    failed: int = 0
    errors: list[LineError] = field(default_factory=list)
    # What was written, a line each (`+` created, `~` changed, `-` ended): the dry run's diff.
    changes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Outcome:
    written: bool
    change: str | None = None


def _whole(model: type[Any], body: dict[str, Any]) -> dict[str, Any]:
    """A merge patch that sets every field the body has and clears every one it has not."""
    return {name: body.get(name) for name in model.model_fields}


def _apply_actor(session: Session, record: ActorRecord) -> Outcome:
    data = record.actor
    keys = [external_id_key(e.scheme, e.value) for e in data.external_ids]
    holder = session.scalar(
        select(col(ActorExternalId.actor_id)).where(col(ActorExternalId.id_key).in_(keys)).limit(1)
    )
    if holder is None:
        read = actors.create_actor(session, data, IMPORT, commit=False)
        return Outcome(True, f"+ actor {keys[0] if keys else read.id} {data.name}")
    body = data.model_dump(mode="json")
    before = actors.lock_actor(session, holder).version
    after = actors.update_actor(
        session, holder, _whole(ActorCreate, body), "*", IMPORT, commit=False
    )
    changed = after.version != before
    return Outcome(changed, f"~ actor {keys[0]} {data.name}" if changed else None)


def _apply_source(session: Session, record: SourceRecord) -> Outcome:
    data = record.source
    existing = session.scalar(
        select(col(Source.id)).where(col(Source.sha256) == sources.sha256(data.text)).limit(1)
    )
    if existing is None:
        sources.create_source(session, data, IMPORT, commit=False)
        return Outcome(True, f"+ source {data.url or data.title}")
    body = data.model_dump(mode="json", exclude_none=True)
    source = session.get(Source, existing)
    assert source is not None
    before = source.version
    after = sources.update_source(
        session, existing, _whole(type(data), body), "*", IMPORT, commit=False
    )
    changed = after.version != before
    return Outcome(changed, f"~ source {data.url or data.title}" if changed else None)


def _apply_instrument(session: Session, record: InstrumentRecord) -> Outcome:
    data = record.instrument
    existing = session.scalar(
        select(col(Instrument.id)).where(col(Instrument.symbol_key) == symbol_key(data.symbol))
    )
    if existing is None:
        instruments.create_instrument(session, data, IMPORT, commit=False)
        return Outcome(True, f"+ instrument {data.symbol}")
    # An instrument named only by its symbol leaves what else is known of it as it is.
    body = data.model_dump(mode="json", exclude_unset=True)
    found = session.get(Instrument, existing)
    assert found is not None
    before = found.version
    after = instruments.update_instrument(session, existing, body, "*", IMPORT, commit=False)
    changed = after.version != before
    return Outcome(changed, f"~ instrument {data.symbol}" if changed else None)


def _resolve(session: Session, claim: dict[str, Any]) -> dict[str, Any]:
    """The claim body with its natural keys replaced by ids: 422 naming each one not found."""
    errors: list[FieldError] = []
    body = dict(claim)

    def swap(items: str, ref: str, id_field: str, lookup: Callable[[str], str | None]) -> None:
        resolved = []
        for i, item in enumerate(body.get(items) or []):
            item = dict(item)
            if isinstance(item, dict) and ref in item:
                wanted = item.pop(ref)
                found = lookup(wanted) if isinstance(wanted, str) else None
                if found is None:
                    errors.append(
                        FieldError(pointer=f"/{items}/{i}/{ref}", detail=f"No {ref} {wanted!r}.")
                    )
                item[id_field] = found or ""
            resolved.append(item)
        if items in body:
            body[items] = resolved

    def actor(ref: str) -> str | None:
        scheme, _, value = ref.partition(":")
        return session.scalar(
            select(col(ActorExternalId.actor_id)).where(
                col(ActorExternalId.id_key) == external_id_key(scheme, value)
            )
        )

    def source(ref: str) -> str | None:
        digest = ref.removeprefix("sha256:")
        return session.scalar(select(col(Source.id)).where(col(Source.sha256) == digest).limit(1))

    def instrument(ref: str) -> str | None:
        return session.scalar(
            select(col(Instrument.id)).where(col(Instrument.symbol_key) == symbol_key(ref))
        )

    swap("actors", "actor", "actor_id", actor)
    swap("evidence", "source", "source_id", source)
    swap("instruments", "instrument", "instrument_id", instrument)
    if errors:
        raise InvalidInput(errors[0].detail, errors=errors)
    return body


def _matching_claim(session: Session, data: ClaimCreate) -> Claim | None:
    """The stored claim with the same predicate, the same actors in the same roles and a
    first evidence from a source at the same URL (a list entry's address)."""
    if not data.actors or not data.evidence:
        return None
    url = session.scalar(
        select(col(Source.url)).where(col(Source.id) == data.evidence[0].source_id)
    )
    wanted = sorted((a.actor_id, a.role) for a in data.actors)
    candidates = session.scalars(
        select(Claim)
        .join(ClaimActor, col(ClaimActor.claim_id) == col(Claim.id))
        .join(EvidenceSpan, col(EvidenceSpan.claim_id) == col(Claim.id))
        .join(Source, col(Source.id) == col(EvidenceSpan.source_id))
        .where(
            col(Claim.predicate) == data.predicate,
            col(ClaimActor.actor_id) == data.actors[0].actor_id,
            col(EvidenceSpan.position) == 0,
            col(Source.url) == url,
        )
        .distinct()
    ).all()
    for candidate in candidates:
        links = session.execute(
            select(col(ClaimActor.actor_id), col(ClaimActor.role)).where(
                col(ClaimActor.claim_id) == candidate.id
            )
        ).tuples()
        if sorted(links) == wanted:
            return candidate
    return None


def _apply_claim(session: Session, record: ClaimRecord) -> Outcome:
    body = _resolve(session, record.claim)
    data = validate_body(ClaimCreate, body)
    existing = _matching_claim(session, data)
    shown = data.statement[:80]
    if existing is None:
        claims.create_claims(session, [(new_id(), data)], IMPORT, commit=False)
        return Outcome(True, f"+ claim {shown}")
    before = existing.version
    changes = _whole(ClaimCreate, data.model_dump(mode="json"))
    changes.pop("status")  # the workflow's: a re-import does not undo a review
    after = claims.update_claim(session, existing.id, changes, "*", IMPORT, commit=False)
    changed = after.version != before
    return Outcome(changed, f"~ claim {shown}" if changed else None)


def _apply_listing(session: Session, record: ListingRecord) -> list[str]:
    """End the designations of entries the list no longer holds (the list's date, day
    precision); a designation that has an `end` already is left as it is."""
    listing = record.listing
    present = set(listing.entries)
    ended_already = select(col(ClaimDate.claim_id)).where(col(ClaimDate.kind) == "end")
    rows = session.execute(
        select(col(Claim.id), col(Source.id), col(Source.url))
        .join(EvidenceSpan, col(EvidenceSpan.claim_id) == col(Claim.id))
        .join(Source, col(Source.id) == col(EvidenceSpan.source_id))
        .where(
            col(Claim.predicate) == DESIGNATION,
            col(EvidenceSpan.position) == 0,
            col(Source.url).startswith(listing.url + "#", autoescape=True),
            col(Claim.id).not_in(ended_already),
        )
        .order_by(col(Claim.id))
    ).tuples()
    changes = []
    for claim_id, source_id, url in rows.all():
        if url in present:
            continue
        claim = claims.lock_claim(session, claim_id)
        dates = orjson.loads(claim.document)["dates"]
        patch = {
            "dates": [{"kind": d["kind"], "value": d["value"]} for d in dates]
            + [{"kind": "end", "value": listing.as_of}]
        }
        cause = Cause(kind="delisted", entity_type=EntityType.source, entity_id=source_id)
        claims.update_claim(session, claim_id, patch, "*", IMPORT, cause=cause, commit=False)
        changes.append(f"- designation {url} ended {listing.as_of}")
    return changes


def _record(raw: Any) -> ImportRecord:
    kind = raw.get("type") if isinstance(raw, dict) else None
    model = RECORD_TYPES.get(kind) if isinstance(kind, str) else None
    if model is None:
        known = ", ".join(RECORD_TYPES)
        raise InvalidInput.at("/type", f"A record is an object whose `type` is one of {known}.")
    return validate_body(model, raw)


def apply_line(session: Session, line: bytes | dict[str, Any]) -> Outcome:
    try:
        raw = orjson.loads(line) if isinstance(line, bytes) else line
    except orjson.JSONDecodeError as exc:
        raise InvalidInput.at("", f"The line is not JSON: {exc}.") from None
    record = _record(raw)
    try:
        return _apply(session, record)
    except ProblemError as problem:
        # The services point into the body they were given: the record holds it.
        for error in problem.errors:
            if error.pointer is not None:
                error.pointer = f"/{record.type}{error.pointer}"
        raise


def _apply(session: Session, record: ImportRecord) -> Outcome:
    if isinstance(record, ActorRecord):
        return _apply_actor(session, record)
    if isinstance(record, SourceRecord):
        return _apply_source(session, record)
    if isinstance(record, InstrumentRecord):
        return _apply_instrument(session, record)
    if isinstance(record, ClaimRecord):
        return _apply_claim(session, record)
    ended = _apply_listing(session, record)
    return Outcome(bool(ended), "\n".join(ended) or None)


def _apply_batch(
    session: Session, batch: list[tuple[int, bytes | dict[str, Any]]], report: ImportReport
) -> None:
    for number, line in batch:
        report.read += 1
        savepoint = session.begin_nested()
        try:
            outcome = apply_line(session, line)
        except ProblemError as problem:
            savepoint.rollback()
            report.failed += 1
            errors = problem.errors or [FieldError(pointer="", detail=problem.detail)]
            for error in errors:
                pointer = error.pointer or ""
                report.errors.append(LineError(number, pointer, error.detail))
            continue
        savepoint.commit()
        if outcome.written:
            report.written += 1
            if outcome.change:
                report.changes.append(outcome.change)
        else:
            report.unchanged += 1


def _batches(
    lines: Iterable[bytes | dict[str, Any]], size: int
) -> Iterator[list[tuple[int, bytes | dict[str, Any]]]]:
    numbered = ((i, line) for i, line in enumerate(lines, start=1) if line not in (b"", b"\n"))
    while batch := list(islice(numbered, size)):
        yield batch


def apply_records(
    engine: Engine,
    lines: Iterable[bytes | dict[str, Any]],
    *,
    dry_run: bool = False,
    batch_lines: int = BATCH_LINES,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Apply `lines` (NDJSON lines, or records already parsed), a transaction a batch. A dry
    run applies them all in one transaction and rolls it back: its report (and `changes`)
    is what the import would do."""
    report = ImportReport()
    with write_session(engine) as session:
        for batch in _batches(lines, batch_lines):
            _apply_batch(session, batch, report)
            if not dry_run:
                session.commit()
            if progress:
                progress(len(batch))
        session.rollback()
    return report
