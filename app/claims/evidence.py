"""A claim's evidence in context: each span with the held text around it and the citation
of its source, in one statement (the context is cut by the database, so a long source's
text never leaves it whole)."""

from sqlalchemy import Connection, case, func, select, true
from sqlmodel import col

from app.claims.schemas import EVIDENCE_CONTEXT, ClaimEvidence, EvidenceInContext
from app.http import digest_etag
from app.models import Claim, ClaimStatus, EvidenceSpan, Source


def fetch_evidence(
    connection: Connection, claim_id: str, *, drafts: bool
) -> tuple[str, ClaimEvidence] | None:
    """The claim's evidence in context and its ETag; None when there is no such claim (or
    it is a draft and the caller does not see `drafts`)."""
    start, end, text = col(EvidenceSpan.start), col(EvidenceSpan.end), col(Source.text)
    # SQL strings count from 1; offsets (code points, like SQL characters) from 0.
    before = case((start > EVIDENCE_CONTEXT, start - EVIDENCE_CONTEXT), else_=0)
    rows = connection.execute(
        select(
            col(Claim.etag),
            col(EvidenceSpan.position),
            col(EvidenceSpan.source_id),
            start,
            end,
            col(EvidenceSpan.quote),
            col(EvidenceSpan.stance),
            func.substr(text, before + 1, start - before).label("context_before"),
            func.substr(text, end + 1, EVIDENCE_CONTEXT).label("context_after"),
            col(Source.kind),
            col(Source.title),
            col(Source.publisher),
            col(Source.author),
            col(Source.url),
            col(Source.published),
            col(Source.language),
            col(Source.retrieved_at),
        )
        .select_from(Claim)
        .outerjoin(EvidenceSpan, col(EvidenceSpan.claim_id) == col(Claim.id))
        .outerjoin(Source, col(Source.id) == col(EvidenceSpan.source_id))
        .where(col(Claim.id) == claim_id)
        .where(true() if drafts else col(Claim.status) != ClaimStatus.draft)
        .order_by(col(EvidenceSpan.position))
    ).all()
    if not rows:
        return None
    spans = [
        EvidenceInContext.model_validate(
            {
                "position": row.position,
                "source_id": row.source_id,
                "start": row.start,
                "end": row.end,
                "quote": row.quote,
                "stance": row.stance,
                "context_before": row.context_before,
                "context_after": row.context_after,
                "source": {
                    "id": row.source_id,
                    "kind": row.kind,
                    "title": row.title,
                    "publisher": row.publisher,
                    "author": row.author,
                    "url": row.url,
                    "published": row.published,
                    "language": row.language,
                    "retrieved_at": row.retrieved_at,
                },
            }
        )
        for row in rows
        if row.position is not None
    ]
    # The claim's ETag changes with its evidence and with its sources' citations (those
    # re-render it); a cited source's text cannot change.
    etag = digest_etag("evidence", rows[0].etag)
    return etag, ClaimEvidence(claim_id=claim_id, data=spans)
