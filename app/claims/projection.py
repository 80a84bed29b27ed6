"""The stored JSON projection of a claim: its document, rendered from the tables on write.

A claim is written to many tables (its row, actors, dates, evidence spans, instruments,
relations, programs); what the API serves is one JSON document per claim, kept in
`claim.document` with its ETag and the text it is searched by (`claim.search_text`, kept
beside it so the full-text index follows every write). This module is the one
implementation of that projection. Reads serve the stored document as it is, so a lookup
costs one keyed row and no serialising.

It renders; the claims service decides when and writes: `store_document` after a write to
the claim itself, and (`citing_claim_ids`, `embedded_entries`, `render_claim`) after a
write to something a document embeds (an actor's name, a source's citation, an
instrument's symbol or title), when the service's `refresh_claims_citing` gives each claim
whose document changes a new version and revision. The bulk path (devtools/bulk.py) renders from the
generated data it holds instead of the tables, through the same `render_claim` and entry
builders, so a document has one shape.
"""

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import orjson
from sqlalchemy import Connection, Select, select
from sqlmodel import Session, col

from app.claims.search import search_text
from app.http import digest_etag
from app.models import (
    Actor,
    Claim,
    ClaimActor,
    ClaimDate,
    ClaimInstrument,
    ClaimProgram,
    ClaimRelation,
    EntityType,
    EvidenceSpan,
    Instrument,
    Source,
)


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


# The entries a document embeds, built from plain values: the tables (`_children`) and the
# bulk path's generated data (devtools/bulk.py) both go through these, so a document has one
# shape.


def actor_entry(actor_id: str, name: str, kind: str, role: str) -> dict[str, Any]:
    return {"actor_id": actor_id, "name": name, "kind": kind, "role": role}


def date_entry(kind: str, value: str, precision: str, earliest: Any, latest: Any) -> dict[str, Any]:
    return {
        "kind": kind,
        "value": value,
        "precision": precision,
        "earliest": _iso(earliest),
        "latest": _iso(latest),
    }


def source_citation(
    kind: str,
    title: str,
    publisher: str | None,
    author: str | None,
    url: str | None,
    published: str | None,
) -> dict[str, Any]:
    """What an evidence span shows of its source."""
    return {
        "kind": kind,
        "title": title,
        "publisher": publisher,
        "author": author,
        "url": url,
        "published": published,
    }


def evidence_entry(
    source_id: str,
    start: int,
    end: int,
    quote: str,
    prefix: str,
    suffix: str,
    stance: str,
    source: dict[str, Any],
) -> dict[str, Any]:
    return {
        "source_id": source_id,
        "start": start,
        "end": end,
        "quote": quote,
        "prefix": prefix,
        "suffix": suffix,
        "stance": stance,
        "source": source,
    }


def instrument_entry(
    instrument_id: str, symbol: str, title: str | None, provision: str | None
) -> dict[str, Any]:
    return {
        "instrument_id": instrument_id,
        "symbol": symbol,
        "title": title,
        "provision": provision,
    }


def relation_entry(relation: str, target_id: str) -> dict[str, Any]:
    return {"relation": relation, "target_id": target_id}


def _children(connection: Connection, ids: list[str]) -> dict[str, dict[str, list[Any]]]:
    """Actors, dates, evidence, instruments, relations and programs of many claims, in six
    statements whatever their number."""
    found: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    actor_rows = connection.execute(
        select(
            col(ClaimActor.claim_id),
            col(ClaimActor.actor_id),
            col(Actor.name),
            col(Actor.kind),
            col(ClaimActor.role),
        )
        .join(Actor, col(Actor.id) == col(ClaimActor.actor_id))
        .where(col(ClaimActor.claim_id).in_(ids))
        .order_by(col(ClaimActor.claim_id), col(ClaimActor.position))
    ).all()
    for claim_id, actor_id, name, kind, role in actor_rows:
        found[claim_id]["actors"].append(actor_entry(actor_id, name, kind, role))
    date_rows = connection.execute(
        select(
            col(ClaimDate.claim_id),
            col(ClaimDate.kind),
            col(ClaimDate.value),
            col(ClaimDate.precision),
            col(ClaimDate.earliest),
            col(ClaimDate.latest),
        )
        .where(col(ClaimDate.claim_id).in_(ids), ~col(ClaimDate.derived))
        .order_by(col(ClaimDate.claim_id), col(ClaimDate.position))
    ).all()
    for claim_id, kind, value, precision, earliest, latest in date_rows:
        found[claim_id]["dates"].append(date_entry(kind, value, precision, earliest, latest))
    span_rows = connection.execute(
        select(
            col(EvidenceSpan.claim_id),
            col(EvidenceSpan.source_id),
            col(EvidenceSpan.start),
            col(EvidenceSpan.end),
            col(EvidenceSpan.quote),
            col(EvidenceSpan.prefix),
            col(EvidenceSpan.suffix),
            col(EvidenceSpan.stance),
            col(Source.kind),
            col(Source.title),
            col(Source.publisher),
            col(Source.author),
            col(Source.url),
            col(Source.published),
        )
        .join(Source, col(Source.id) == col(EvidenceSpan.source_id))
        .where(col(EvidenceSpan.claim_id).in_(ids))
        .order_by(col(EvidenceSpan.claim_id), col(EvidenceSpan.position))
    ).all()
    for claim_id, source_id, start, end, quote, prefix, suffix, stance, *cited in span_rows:
        found[claim_id]["evidence"].append(
            evidence_entry(
                source_id, start, end, quote, prefix, suffix, stance, source_citation(*cited)
            )
        )
    instrument_rows = connection.execute(
        select(
            col(ClaimInstrument.claim_id),
            col(ClaimInstrument.instrument_id),
            col(Instrument.symbol),
            col(Instrument.title),
            col(ClaimInstrument.provision),
        )
        .join(Instrument, col(Instrument.id) == col(ClaimInstrument.instrument_id))
        .where(col(ClaimInstrument.claim_id).in_(ids))
        .order_by(col(ClaimInstrument.claim_id), col(ClaimInstrument.position))
    ).all()
    for claim_id, instrument_id, symbol, title, provision in instrument_rows:
        found[claim_id]["instruments"].append(
            instrument_entry(instrument_id, symbol, title, provision)
        )
    relation_rows = connection.execute(
        select(
            col(ClaimRelation.claim_id), col(ClaimRelation.relation), col(ClaimRelation.target_id)
        )
        .where(col(ClaimRelation.claim_id).in_(ids))
        .order_by(col(ClaimRelation.claim_id), col(ClaimRelation.position))
    ).all()
    for claim_id, relation, target_id in relation_rows:
        found[claim_id]["relations"].append(relation_entry(relation, target_id))
    program_rows = connection.execute(
        select(col(ClaimProgram.claim_id), col(ClaimProgram.program))
        .where(col(ClaimProgram.claim_id).in_(ids))
        .order_by(col(ClaimProgram.claim_id), col(ClaimProgram.program))
    ).all()
    for claim_id, program in program_rows:
        found[claim_id]["programs"].append(program)
    return found


class ClaimRow(Protocol):
    """What rendering reads of a claim's own row: a `Claim`, or a bulk-loaded row."""

    @property
    def id(self) -> str: ...
    @property
    def predicate(self) -> str: ...
    @property
    def statement(self) -> str: ...
    @property
    def modality(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def retraction_reason(self) -> str | None: ...
    @property
    def confidence(self) -> float | None: ...
    @property
    def version(self) -> int: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def updated_at(self) -> datetime: ...


@dataclass(frozen=True)
class Rendered:
    """A claim's document and the text it is searched by, rendered together."""

    document: bytes
    search_text: str


def render_claim(claim: ClaimRow, embedded: Mapping[str, Sequence[Any]]) -> Rendered:
    """The document and search text of `claim` (its own row) with the entries it embeds
    (lists keyed "programs", "actors", "dates", "evidence", "instruments", "relations", made
    with the `*_entry` functions above, each in the claim's order; missing keys are empty)."""
    evidence = embedded.get("evidence", [])
    document = {
        "id": claim.id,
        "predicate": claim.predicate,
        "statement": claim.statement,
        "modality": claim.modality,
        "status": claim.status,
        "retraction_reason": claim.retraction_reason,
        "confidence": claim.confidence,
        "programs": embedded.get("programs", []),
        "actors": embedded.get("actors", []),
        "dates": embedded.get("dates", []),
        "evidence": evidence,
        "instruments": embedded.get("instruments", []),
        "relations": embedded.get("relations", []),
        "version": claim.version,
        "created_at": claim.created_at,
        "updated_at": claim.updated_at,
    }
    return Rendered(
        orjson.dumps(document, option=orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC),
        search_text(claim.statement, (span["quote"] for span in evidence)),
    )


def render_claims(connection: Connection, claims: Collection[ClaimRow]) -> dict[str, Rendered]:
    """The documents and search texts of `claims` (rows already loaded), keyed by claim id."""
    children = _children(connection, [claim.id for claim in claims])
    return {claim.id: render_claim(claim, children.get(claim.id, {})) for claim in claims}


def document_etag(document: bytes) -> str:
    return digest_etag(document)


def embedded_entries(connection: Connection, ids: list[str]) -> dict[str, dict[str, list[Any]]]:
    """What the documents of these claims embed, read from the tables (for `render_claim`)."""
    return _children(connection, ids)


def keep_rendered(claim: Claim, rendered: Rendered) -> None:
    """Keep a claim's rendered document, its ETag and its search text on its row."""
    claim.document = rendered.document.decode()
    claim.etag = document_etag(rendered.document)
    if claim.search_text != rendered.search_text:
        claim.search_text = rendered.search_text


def store_document(session: Session, claim: Claim) -> bytes:
    """Render one claim after a write to it and keep the document and its ETag."""
    session.flush()
    rendered = render_claims(session.connection(), [claim])[claim.id]
    keep_rendered(claim, rendered)
    return rendered.document


def citing_claim_ids(connection: Connection, entity_type: EntityType, entity_id: str) -> set[str]:
    """The claims whose documents embed this actor (claim_actor), source (evidence_span) or
    instrument (claim_instrument)."""
    citing: dict[EntityType, Select[tuple[str]]] = {
        EntityType.actor: select(col(ClaimActor.claim_id)).where(
            col(ClaimActor.actor_id) == entity_id
        ),
        EntityType.source: select(col(EvidenceSpan.claim_id)).where(
            col(EvidenceSpan.source_id) == entity_id
        ),
        EntityType.instrument: select(col(ClaimInstrument.claim_id)).where(
            col(ClaimInstrument.instrument_id) == entity_id
        ),
    }
    if entity_type not in citing:
        raise TypeError(f"no claim document embeds a {entity_type}")
    return set(connection.execute(citing[entity_type]).scalars())
