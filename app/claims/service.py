"""Claim use cases: the only place claims are written.

Every write validates the whole body against the database (vocabularies, referenced
actors, sources, instruments and claims, and each evidence quote against the held text),
reports every problem in one 422, and only then writes rows, the rendered document and
one revision, in one transaction.

One invariant holds for every claim: its `version`, `updated_at`, document (so its ETag)
and revision log change together. A write to the claim itself, a status transition, and a
change to something its document embeds (`refresh_claims_citing`: an actor's name, a
source's citation, an instrument's symbol or title) each bump the version and append one
revision, whose snapshot is the new document; a change that leaves the document as it was
writes nothing.
"""

from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import delete, select, update
from sqlmodel import Session, col

from app.checks import BodyChecks
from app.claims.actor_dates import index_actor_dates
from app.claims.event_span import event_span
from app.claims.history import keep_versions
from app.claims.projection import (
    citing_claim_ids,
    embedded_entries,
    keep_rendered,
    render_claim,
    store_document,
)
from app.claims.repeats import check_repeats, check_supersedes_cycle
from app.claims.schemas import (
    QUOTE_CONTEXT,
    STATUS_BY_TRANSITION,
    ClaimCreate,
    ClaimPatch,
    EvidenceIn,
)
from app.claims.workflow import Transition, one_of, transitions_from
from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.http import require_match
from app.ids import new_id
from app.isodates import parse_date, parse_prefix
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
    Revision,
    Source,
    Vocabulary,
)
from app.models.base import utcnow
from app.patching import merge_patch, validate_body
from app.revisions.schemas import Cause
from app.revisions.service import Author, append_revision

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
    dates = [(claim_date.kind.value, parse_date(claim_date.value)) for claim_date in data.dates]
    derived = event_span(dates)
    dated = dates + ([(DateKind.occurred.value, derived)] if derived else [])
    rows += [
        ClaimDate(
            claim_id=claim.id,
            position=i,
            kind=kind,
            value=parsed.value,
            precision=parsed.precision,
            earliest=parsed.earliest,
            latest=parsed.latest,
            derived=i >= len(dates),
        )
        for i, (kind, parsed) in enumerate(dated)
    ]
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
    session: Session,
    claim: Claim,
    document: bytes,
    operation: Operation,
    who: Author | None,
    *,
    reason: str | None = None,
    cause: Cause | None = None,
    history: bool = True,
) -> None:
    """Append the claim's revision and (unless the caller keeps the `history` of many claims
    at once) its system-versioned rows."""
    append_revision(
        session,
        EntityType.claim,
        claim.id,
        claim.version,
        operation,
        orjson.loads(document),
        who,
        reason=reason,
        cause=cause,
    )
    if history:
        session.flush()
        keep_versions(session.connection(), [claim.id], created=operation == Operation.created)


def create_claim(
    session: Session, data: ClaimCreate, who: Author | None, claim_id: str | None = None
) -> Claim:
    (claim,) = create_claims(session, [(claim_id or new_id(), data)], who)
    return claim


def create_claims(
    session: Session,
    bodies: Sequence[tuple[str, ClaimCreate]],
    who: Author | None,
    *,
    commit: bool = True,
) -> list[Claim]:
    """Create claims (id, body) in one transaction, each written once, complete, with one
    `created` revision. Their relations may point at each other (the seeds hold two
    accounts of one resolution that support each other): every row is in place before any
    body is checked, and nothing is kept unless every body passes. Without `commit` the
    caller's transaction (an import's batch) holds the writes."""
    claims = [
        Claim(
            id=claim_id,
            predicate=data.predicate,
            statement=data.statement,
            modality=data.modality,
            status=data.status,
            confidence=data.confidence,
            document="",
            etag="",
        )
        for claim_id, data in bodies
    ]
    session.add_all(claims)
    session.flush()
    for claim, (_, data) in zip(claims, bodies, strict=True):
        texts = _check(session, data, claim.id)
        _write_children(session, claim, data, texts)
        document = store_document(session, claim)
        _record(session, claim, document, Operation.created, who)
    if commit:
        session.commit()
    return claims


def lock_claim(session: Session, claim_id: str) -> Claim:
    claim = session.get(Claim, claim_id, with_for_update=True)
    if claim is None:
        raise NotFound(f"No claim with id {claim_id!r}.")
    return claim


def editable(claim: Claim) -> dict[str, Any]:
    """The claim as a create body (from its document): what a merge patch applies to.
    Without its status, which only a transition changes."""
    document = orjson.loads(claim.document)
    body = {field: document[field] for field in ClaimCreate.model_fields if field != "status"}
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
    who: Author | None,
    *,
    edits_beyond_drafts: bool = True,
    cause: Cause | None = None,
    commit: bool = True,
) -> Claim:
    """Apply a merge patch (or a whole body without a status, from the seed loader).
    Without `edits_beyond_drafts` (an analyst's key), only a draft may be edited. `cause`
    says why on the revision (an import's `delisted`); without `commit` the caller's
    transaction holds the write."""
    claim = lock_claim(session, claim_id)
    require_match(if_match, claim.etag, claim.version)
    if claim.status != ClaimStatus.draft and not edits_beyond_drafts:
        raise Forbidden(
            f"The claim is {claim.status}: editing it needs a reviewer's key (analysts edit "
            "drafts)."
        )
    changes = (
        patch if isinstance(patch, dict) else patch.model_dump(mode="json", exclude_unset=True)
    )
    if "status" in changes:  # ClaimPatch refuses it already; a dict body is refused here
        raise InvalidInput.at("/status", f"The status cannot be patched: {STATUS_BY_TRANSITION}.")
    before = editable(claim)
    merged = merge_patch(before, changes)
    data = validate_body(ClaimCreate, merged)
    texts = _check(session, data, claim.id)
    if _as_stored(data, texts) == ClaimCreate.model_validate(before):
        return claim  # nothing changes, so nothing is written
    claim.predicate = data.predicate
    claim.statement = data.statement
    claim.modality = data.modality
    claim.confidence = data.confidence
    claim.version += 1
    claim.updated_at = utcnow()
    _write_children(session, claim, data, texts)
    document = store_document(session, claim)
    _record(session, claim, document, Operation.updated, who, cause=cause)
    if commit:
        session.commit()
    return claim


def _check_four_eyes(session: Session, claim: Claim, who: Author | None) -> None:
    """A draft is published by someone who did not write it: no key that wrote any of its
    revisions may publish it (seeds and imports, which have no key, publish on create)."""
    if who is None or who.key_id is None:
        return
    wrote = session.scalar(
        select(col(Revision.seq))
        .where(
            col(Revision.entity_type) == EntityType.claim,
            col(Revision.entity_id) == claim.id,
            col(Revision.recorded_by_key_id) == who.key_id,
        )
        .limit(1)
    )
    if wrote is not None:
        raise Forbidden(
            f"The key {who.name!r} wrote this draft; another reviewer must publish it (four eyes)."
        )


def transition_claim(
    session: Session,
    claim_id: str,
    transition: Transition,
    reason: str | None,
    if_match: str | None,
    who: Author | None,
) -> Claim:
    """Move a claim along its review workflow (app/claims/workflow.py): one version and one
    revision of the transition's operation, with the reason."""
    claim = lock_claim(session, claim_id)
    require_match(if_match, claim.etag, claim.version)
    current = ClaimStatus(claim.status)
    if current not in transition.allowed_from:
        allowed = transitions_from(current)
        raise Conflict(
            f"Claim {claim.id!r} is {current}; {transition.name} applies to a claim that is "
            f"{one_of(transition.allowed_from)}. From {current}: {one_of(allowed)}.",
            current_status=current.value,
            allowed_from=[status.value for status in transition.allowed_from],
            allowed_transitions=[name.value for name in allowed],
        )
    if current == ClaimStatus.draft and transition.status_after == ClaimStatus.published:
        _check_four_eyes(session, claim, who)
    claim.status = transition.status_after
    # The document shows why a claim is retracted; reinstating it clears that.
    claim.retraction_reason = reason if claim.status == ClaimStatus.retracted else None
    claim.version += 1
    claim.updated_at = utcnow()
    document = store_document(session, claim)
    _record(session, claim, document, transition.operation, who, reason=reason)
    session.commit()
    return claim


def refresh_claims_citing(session: Session, cause: Cause, who: Author | None) -> None:
    """After `cause` (an actor renamed, a source's citation or an instrument's symbol or
    title changed), re-render the claims that embed that entity: each whose document comes
    out different gets a new version, `updated_at` and a `rerendered` revision with the
    cause, so `updated_since`, the change feed and the version all see what the ETag sees.

    Runs in the caller's transaction (which holds the write lock, so the claims cannot
    change underneath it); the entries are read once for all the claims."""
    session.flush()
    claim_ids = citing_claim_ids(session.connection(), cause.entity_type, cause.entity_id)
    if not claim_ids:
        return
    claims = session.scalars(
        select(Claim).where(col(Claim.id).in_(claim_ids)).order_by(col(Claim.id))
    ).all()
    embedded = embedded_entries(session.connection(), [claim.id for claim in claims])
    now = utcnow()
    rerendered = []
    for claim in claims:
        entries = embedded.get(claim.id, {})
        if render_claim(claim, entries).document == claim.document.encode():
            continue  # what it embeds of the entity did not change: nothing to write
        claim.version += 1
        claim.updated_at = now
        rendered = render_claim(claim, entries)
        keep_rendered(claim, rendered)
        _record(
            session, claim, rendered.document, Operation.rerendered, who, cause=cause, history=False
        )
        rerendered.append(claim.id)
    session.flush()
    keep_versions(session.connection(), rerendered)


def repoint_actor(
    session: Session, old_actor_id: str, new_actor_id: str, who: Author | None
) -> None:
    """After a merge, claims that named the merged actor name the survivor: a change to
    each claim's own data (its actor links), so each gets a new version and an `updated`
    revision, whose cause names the merged actor (`actor_merged`). The `merged` operation
    is the merged actor's own revision."""
    claim_ids = session.scalars(
        select(col(ClaimActor.claim_id)).where(col(ClaimActor.actor_id) == old_actor_id).distinct()
    ).all()
    # A claim naming both in one role names the survivor once in it: a repeat would be a
    # body the claim's next edit is refused for (app.claims.repeats).
    survivor_roles = (
        select(col(ClaimActor.claim_id), col(ClaimActor.role))
        .where(col(ClaimActor.actor_id) == new_actor_id)
        .subquery("survivor_roles")
    )
    session.execute(
        delete(ClaimActor)
        .where(col(ClaimActor.actor_id) == old_actor_id)
        .where(
            select(survivor_roles.c.claim_id)
            .where(
                survivor_roles.c.claim_id == col(ClaimActor.claim_id),
                survivor_roles.c.role == col(ClaimActor.role),
            )
            .exists()
        )
    )
    session.execute(
        update(ClaimActor)
        .where(col(ClaimActor.actor_id) == old_actor_id)
        .values(actor_id=new_actor_id)
    )
    index_actor_dates(session.connection(), claim_ids)
    cause = Cause(kind="actor_merged", entity_type=EntityType.actor, entity_id=old_actor_id)
    for claim_id in sorted(claim_ids):
        claim = lock_claim(session, claim_id)
        claim.version += 1
        claim.updated_at = utcnow()
        document = store_document(session, claim)
        _record(session, claim, document, Operation.updated, who, cause=cause)
