"""Claim reads: set-based SQL over the indexed tables, answered with stored documents."""

from dataclasses import asdict, dataclass, field

import orjson
from sqlalchemy import Connection, Select, select
from sqlmodel import col

from app.models import Claim, ClaimStatus
from app.pagination import decode_cursor, encode_cursor, query_scope

DEFAULT_STATUSES = (ClaimStatus.published, ClaimStatus.disputed)


@dataclass(frozen=True)
class ClaimFilters:
    """A normalised claims query; its fields (not page size) bind cursors and ETags."""

    status: tuple[str, ...] = DEFAULT_STATUSES
    predicate: tuple[str, ...] = field(default_factory=tuple)

    def scope(self) -> str:
        return query_scope(resource="claims", **asdict(self))


def fetch_document(connection: Connection, claim_id: str) -> tuple[str, str] | None:
    """The claim's stored document and ETag."""
    row = connection.execute(
        select(col(Claim.document), col(Claim.etag)).where(col(Claim.id) == claim_id)
    ).first()
    return (row[0], row[1]) if row else None


def _filtered(filters: ClaimFilters) -> Select[tuple[str, str]]:
    statement = select(col(Claim.id), col(Claim.document)).where(
        col(Claim.status).in_(filters.status)
    )
    if filters.predicate:
        statement = statement.where(col(Claim.predicate).in_(filters.predicate))
    return statement


def list_documents(
    connection: Connection, secret: str, filters: ClaimFilters, limit: int, cursor: str | None
) -> bytes:
    """A page of claims as the JSON body of a `ClaimPage`, built from stored documents."""
    statement = _filtered(filters).order_by(col(Claim.id))
    if cursor:
        (after,) = decode_cursor(secret, filters.scope(), cursor)
        statement = statement.where(col(Claim.id) > after)
    rows = connection.execute(statement.limit(limit + 1)).all()
    page = rows[:limit]
    next_cursor = (
        encode_cursor(secret, filters.scope(), [page[-1][0]]) if len(rows) > limit else None
    )
    documents = b",".join(document.encode() for _, document in page)
    return b'{"data":[' + documents + b'],"next_cursor":' + orjson.dumps(next_cursor) + b"}"
