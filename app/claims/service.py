"""Claim use cases: the only place claims are written.

Every write validates the whole body against the database (vocabularies, referenced
actors, sources, instruments and claims, and each evidence quote against the held text),
reports every problem in one 422, and only then writes rows, the rendered document and
one revision, in one transaction.
"""

from typing import Any

import orjson
from sqlalchemy import delete, select, update
from sqlmodel import Session, col

from app.checks import BodyChecks
from app.claims.actor_dates import index_actor_dates
from app.claims.projection import store_document
from app.claims.repeats import check_repeats, check_supersedes_cycle
from app.claims.schemas import QUOTE_CONTEXT, ClaimCreate, ClaimPatch, ClaimRetract, EvidenceIn
from app.errors import NotFound
from app.http import require_match
from app.ids import new_id
from app.isodates import parse_prefix
from app.models import (
    Actor,
    Claim,
    ClaimActor,
    ClaimDate,
    ClaimInstrument,
    ClaimProgram,
    ClaimRelation,
    ClaimStatus,
    DateKind,
    EntityType,
    EvidenceSpan,
    Instrument,
    Operation,
    Source,
    Vocabulary,
)
from app.models.base import utcnow
from app.patching import merge_patch, validate_body
from app.revisions.service import append_revision

CHILD_TABLES = (ClaimActor, ClaimDate, EvidenceSpan, ClaimInstrument, ClaimProgram, ClaimRelation)
SHOWN_TEXT = 200


def _check_span(checks: BodyChecks, index: int, span: EvidenceIn) -> bool:
    """Whether the span has the quote's length (checked before the text is read, so a wrong
    length is reported beside every other problem of the body)."""
    pointer = f"/evidence/{index}"
    if span.end <= span.start:
        checks.fail(pointer, f"Evidence {index}: end must be greater than start.")
        return False
    if span.end - span.start != len(span.quote):
        checks.fail(
            f"{pointer}/quote",
            f"Evidence {index}: the span {span.start}–{span.end} holds "
            f"{span.end - span.start} characters but the quote has {len(span.quote)}.",
        )
        return False
    return True


def _check_evidence(checks: BodyChecks, index: int, span: EvidenceIn, text: str) -> None:
    pointer = f"/evidence/{index}"
    if span.end > len(text):
        checks.fail(
            f"{pointer}/end",
            f"Evidence {index} ends at {span.end}, past the end of the source's held text "
            f"({len(text)} characters).",
        )
        return
    held = text[span.start : span.end]
    if held != span.quote:
        checks.fail(
            f"{pointer}/quote",
            f"Evidence {index}: the quote is not the source's text at {span.start}–{span.end}; "
            f"the text there is {held[:SHOWN_TEXT]!r}.",
        )
        return
    before, after = _context(text, span.start, span.end)
    if span.prefix is not None and not before.endswith(span.prefix):
        checks.fail(
            f"{pointer}/prefix", f"Evidence {index}: the text before the quote is {before!r}."
        )
    if span.suffix is not None and not after.startswith(span.suffix):
        checks.fail(
            f"{pointer}/suffix", f"Evidence {index}: the text after the quote is {after!r}."
        )


def _check(session: Session, data: ClaimCreate, claim_id: str) -> dict[str, str]:
    """Validate every reference of the body; return the held texts of the cited sources."""
    checks = BodyChecks()
    checks.terms(session, Vocabulary.predicate, [("/predicate", data.predicate)])
    checks.terms(session, Vocabulary.modality, [("/modality", data.modality)])
    checks.terms(
        session, Vocabulary.role, [(f"/actors/{i}/role", a.role) for i, a in enumerate(data.actors)]
    )

    actor_ids = {a.actor_id for a in data.actors}
    actors = dict(
        session.execute(
            select(col(Actor.id), col(Actor.merged_into_id)).where(col(Actor.id).in_(actor_ids))
        )
        .tuples()
        .all()
    )
    for i, link in enumerate(data.actors):
        if link.actor_id not in actors:
            checks.fail(f"/actors/{i}/actor_id", f"No actor with id {link.actor_id!r}.")
        elif survivor := actors[link.actor_id]:
            checks.fail(
                f"/actors/{i}/actor_id",
                f"Actor {link.actor_id!r} was merged into {survivor!r}; cite that id.",
            )

    source_ids = {span.source_id for span in data.evidence}
    texts = dict(
        session.execute(
            select(col(Source.id), col(Source.text)).where(col(Source.id).in_(source_ids))
        )
        .tuples()
        .all()
    )
    for i, span in enumerate(data.evidence):
        well_formed = _check_span(checks, i, span)
        if span.source_id not in texts:
            checks.fail(f"/evidence/{i}/source_id", f"No source with id {span.source_id!r}.")
        elif well_formed:
            _check_evidence(checks, i, span, texts[span.source_id])

    instrument_ids = {link.instrument_id for link in data.instruments}
    known_instruments = set(
        session.scalars(select(col(Instrument.id)).where(col(Instrument.id).in_(instrument_ids)))
    )
    for i, cited in enumerate(data.instruments):
        if cited.instrument_id not in known_instruments:
            checks.fail(
                f"/instruments/{i}/instrument_id", f"No instrument with id {cited.instrument_id!r}."
            )

    target_ids = {relation.target_id for relation in data.relations}
    known_claims = set(session.scalars(select(col(Claim.id)).where(col(Claim.id).in_(target_ids))))
    for i, relation in enumerate(data.relations):
        if relation.target_id == claim_id:
            checks.fail(f"/relations/{i}/target_id", "A claim cannot relate to itself.")
        elif relation.target_id not in known_claims:
            checks.fail(f"/relations/{i}/target_id", f"No claim with id {relation.target_id!r}.")

    _check_date_order(checks, data)
    check_repeats(checks, data)
    check_supersedes_cycle(session, checks, data, claim_id)
    checks.raise_if_any()
    return texts


def _check_date_order(checks: BodyChecks, data: ClaimCreate) -> None:
    """An `end` date cannot lie wholly before a `start` date of the same claim."""
    starts = [
        (i, parse_prefix(d.value)) for i, d in enumerate(data.dates) if d.kind == DateKind.start
    ]
    ends = [(i, parse_prefix(d.value)) for i, d in enumerate(data.dates) if d.kind == DateKind.end]
    for end_index, end in ends:
        for _, start in starts:
            if end.latest < start.earliest:
                checks.fail(
                    f"/dates/{end_index}/value",
                    f"The end date {end.value} is before the start date {start.value}.",
                )


def _context(text: str, start: int, end: int) -> tuple[str, str]:
    """The prefix and suffix stored with a span: up to 32 characters either side."""
    return text[max(0, start - QUOTE_CONTEXT) : start], text[end : end + QUOTE_CONTEXT]


def _as_stored(data: ClaimCreate, texts: dict[str, str]) -> ClaimCreate:
    """The body as it would be stored: evidence context computed from the source text,
    so a body that omits (or shortens) prefix and suffix compares equal to the claim."""
    evidence = []
    for span in data.evidence:
        prefix, suffix = _context(texts[span.source_id], span.start, span.end)
        evidence.append(span.model_copy(update={"prefix": prefix, "suffix": suffix}))
    return data.model_copy(update={"evidence": evidence})


def _write_children(
    session: Session, claim: Claim, data: ClaimCreate, texts: dict[str, str]
) -> None:
    for table in CHILD_TABLES:
        session.execute(delete(table).where(col(table.claim_id) == claim.id))
    rows: list[Any] = [
        ClaimProgram(claim_id=claim.id, program=p) for p in sorted(set(data.programs))
    ]
    rows += [
        ClaimActor(claim_id=claim.id, position=i, actor_id=a.actor_id, role=a.role)
        for i, a in enumerate(data.actors)
    ]
    for i, claim_date in enumerate(data.dates):
        parsed = parse_prefix(claim_date.value)
        rows.append(
            ClaimDate(
                claim_id=claim.id,
                position=i,
                kind=claim_date.kind,
                value=parsed.value,
                precision=parsed.precision,
                earliest=parsed.earliest,
                latest=parsed.latest,
            )
        )
    for i, span in enumerate(data.evidence):
        prefix, suffix = _context(texts[span.source_id], span.start, span.end)
        rows.append(
            EvidenceSpan(
                claim_id=claim.id,
                position=i,
                source_id=span.source_id,
                start=span.start,
                end=span.end,
                quote=span.quote,
                prefix=prefix,
                suffix=suffix,
                stance=span.stance,
            )
        )
    rows += [
        ClaimInstrument(
            claim_id=claim.id, position=i, instrument_id=c.instrument_id, provision=c.provision
        )
        for i, c in enumerate(data.instruments)
    ]
    rows += [
        ClaimRelation(claim_id=claim.id, position=i, relation=r.relation, target_id=r.target_id)
        for i, r in enumerate(data.relations)
    ]
    session.flush()
    session.add_all(rows)
    session.flush()
    index_actor_dates(session.connection(), [claim.id])


def _record(
    session: Session, claim: Claim, document: bytes, operation: Operation, who: str | None
) -> None:
    append_revision(
        session, EntityType.claim, claim.id, claim.version, operation, orjson.loads(document), who
    )


def create_claim(
    session: Session, data: ClaimCreate, who: str | None, claim_id: str | None = None
) -> Claim:
    claim_id = claim_id or new_id()
    texts = _check(session, data, claim_id)
    claim = Claim(
        id=claim_id,
        predicate=data.predicate,
        statement=data.statement,
        modality=data.modality,
        status=data.status,
        confidence=data.confidence,
        document="",
        etag="",
    )
    session.add(claim)
    session.flush()
    _write_children(session, claim, data, texts)
    document = store_document(session, claim)
    _record(session, claim, document, Operation.created, who)
    session.commit()
    return claim


def lock_claim(session: Session, claim_id: str) -> Claim:
    claim = session.get(Claim, claim_id, with_for_update=True)
    if claim is None:
        raise NotFound(f"No claim with id {claim_id!r}.")
    return claim


def editable(claim: Claim) -> dict[str, Any]:
    """The claim as a create body (from its document): what a merge patch applies to."""
    document = orjson.loads(claim.document)
    body = {field: document[field] for field in ClaimCreate.model_fields}
    if body["status"] == ClaimStatus.retracted:
        body.pop("status")  # a patch that does not set the status keeps the retraction
    body["actors"] = [{"actor_id": a["actor_id"], "role": a["role"]} for a in body["actors"]]
    body["dates"] = [{"kind": d["kind"], "value": d["value"]} for d in body["dates"]]
    body["evidence"] = [{k: v for k, v in e.items() if k != "source"} for e in body["evidence"]]
    body["instruments"] = [
        {"instrument_id": i["instrument_id"], "provision": i["provision"]}
        for i in body["instruments"]
    ]
    return {key: value for key, value in body.items() if value is not None}


def update_claim(
    session: Session,
    claim_id: str,
    patch: ClaimPatch | dict[str, Any],
    if_match: str | None,
    who: str | None,
) -> Claim:
    """Apply a merge patch (or a whole body, from the seed loader)."""
    claim = lock_claim(session, claim_id)
    require_match(if_match, claim.etag, claim.version)
    changes = (
        patch if isinstance(patch, dict) else patch.model_dump(mode="json", exclude_unset=True)
    )
    before = editable(claim)
    merged = merge_patch(before, changes)
    data = validate_body(ClaimCreate, merged)
    texts = _check(session, data, claim.id)
    if _as_stored(data, texts) == ClaimCreate.model_validate(before):
        return claim  # nothing changes, so nothing is written
    claim.predicate = data.predicate
    claim.statement = data.statement
    claim.modality = data.modality
    claim.status = data.status if "status" in merged else claim.status
    if claim.status != ClaimStatus.retracted:
        claim.retraction_reason = None
    claim.confidence = data.confidence
    claim.version += 1
    claim.updated_at = utcnow()
    _write_children(session, claim, data, texts)
    document = store_document(session, claim)
    _record(session, claim, document, Operation.updated, who)
    session.commit()
    return claim


def retract_claim(
    session: Session, claim_id: str, retraction: ClaimRetract, if_match: str | None, who: str | None
) -> Claim:
    claim = lock_claim(session, claim_id)
    require_match(if_match, claim.etag, claim.version)
    claim.status = ClaimStatus.retracted
    claim.retraction_reason = retraction.reason
    claim.version += 1
    claim.updated_at = utcnow()
    document = store_document(session, claim)
    _record(session, claim, document, Operation.retracted, who)
    session.commit()
    return claim


def repoint_actor(session: Session, old_actor_id: str, new_actor_id: str, who: str | None) -> None:
    """After a merge, claims that named the merged actor name the survivor: a change to
    each claim's own data, so each gets a new version and a revision."""
    claim_ids = session.scalars(
        select(col(ClaimActor.claim_id)).where(col(ClaimActor.actor_id) == old_actor_id).distinct()
    ).all()
    session.execute(
        update(ClaimActor)
        .where(col(ClaimActor.actor_id) == old_actor_id)
        .values(actor_id=new_actor_id)
    )
    index_actor_dates(session.connection(), claim_ids)
    for claim_id in sorted(claim_ids):
        claim = lock_claim(session, claim_id)
        claim.version += 1
        claim.updated_at = utcnow()
        document = store_document(session, claim)
        _record(session, claim, document, Operation.updated, who)
