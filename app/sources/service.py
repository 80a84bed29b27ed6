"""Source use cases: the only place sources are written."""

import hashlib
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, RowMapping, exists, func, inspect, select
from sqlmodel import Session, col

from app.checks import BodyChecks
from app.claims.service import refresh_claims_citing
from app.errors import Conflict, NotFound
from app.http import digest_etag, require_match
from app.ids import new_id
from app.isodates import parse_prefix
from app.listings import Listing, id_ordered_listing
from app.models import EntityType, EvidenceSpan, Operation, Source, Vocabulary
from app.models.base import utcnow
from app.names import url_key
from app.pagination import query_scope
from app.patching import merge_patch, validate_body
from app.revisions.schemas import Cause
from app.revisions.service import Author, append_revision
from app.sources.schemas import SourceCreate, SourcePage, SourcePatch, SourceRead, SourceSummary

CITATION_FIELDS = ("kind", "title", "publisher", "author", "url", "published")


def source_etag(source_id: str, version: int) -> str:
    # A source's representation is its own row only, so id and version determine it.
    return digest_etag("source", source_id, version)


def to_read(source: Source | dict[str, Any]) -> SourceRead:
    row = source if isinstance(source, dict) else source.model_dump()
    return SourceRead.model_validate({**row, "text_length": len(row["text"])})


def _apply(source: Source, data: SourceCreate) -> None:
    for field, value in data.model_dump(exclude={"text", "allow_duplicate_source"}).items():
        setattr(source, field, value)
    source.url_key = url_key(data.url) if data.url else None
    published = parse_prefix(data.published) if data.published else None
    source.published_precision = published.precision if published else None
    source.published_earliest = published.earliest if published else None
    source.published_latest = published.latest if published else None
    source.text = data.text
    source.sha256 = sha256(data.text)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _check(
    session: Session, data: SourceCreate, source_id: str, before: Source | None = None
) -> None:
    """Invalid fields (422) before duplicates (409): another source at the same URL, or
    holding the same text, unless the body says to keep both. An update is checked only for
    the URL or text it changes."""
    checks = BodyChecks()
    checks.terms(session, Vocabulary.source_kind, [("/kind", data.kind)])
    if before is not None and data.text != before.text and _is_cited(session, source_id):
        checks.conflict(
            "/text",
            "The held text cannot change while evidence cites it; retract or re-point "
            "those claims' evidence first.",
            source_id=source_id,
        )
    if not data.allow_duplicate_source:
        wanted = []
        if data.url and (before is None or url_key(data.url) != before.url_key):
            wanted.append(("/url", col(Source.url_key) == url_key(data.url), "URL"))
        text_hash = sha256(data.text)
        if before is None or text_hash != before.sha256:
            wanted.append(("/text", col(Source.sha256) == text_hash, "held text"))
        for pointer, same, what in wanted:
            holder = session.execute(
                select(col(Source.id), col(Source.title), col(Source.url)).where(
                    same, col(Source.id) != source_id
                )
            ).first()
            if holder is not None:
                checks.conflict(
                    pointer,
                    f"Source {holder.id!r} ({holder.title}) has the same {what}. To keep "
                    'both, send "allow_duplicate_source": true.',
                    sources=[{"id": holder.id, "title": holder.title, "url": holder.url}],
                )
    checks.raise_if_any()


def _record(session: Session, source: Source, operation: Operation, who: Author | None) -> None:
    snapshot = to_read(source).model_dump(mode="json")
    append_revision(session, EntityType.source, source.id, source.version, operation, snapshot, who)


def create_source(
    session: Session,
    data: SourceCreate,
    who: Author | None,
    source_id: str | None = None,
    *,
    commit: bool = True,
) -> Source:
    """Create a source; without `commit` the caller's transaction holds the write."""
    source = Source(id=source_id or new_id(), text="", sha256="", kind="", title="")
    _check(session, data, source.id)
    _apply(source, data)
    session.add(source)
    session.flush()
    _record(session, source, Operation.created, who)
    if commit:
        session.commit()
    return source


def _lock(session: Session, source_id: str) -> Source:
    source = session.get(Source, source_id, with_for_update=True)
    if source is None:
        raise NotFound(f"No source with id {source_id!r}.")
    return source


def _is_cited(session: Session, source_id: str) -> bool:
    cited = exists().where(col(EvidenceSpan.source_id) == source_id)
    return bool(session.scalar(select(cited)))


def editable(source: Source) -> dict[str, Any]:
    """The source as a create body: what a merge patch applies to."""
    fields = set(SourceCreate.model_fields)
    return SourceCreate.model_validate(source.model_dump(include=fields)).model_dump(
        mode="json", exclude_none=True, exclude={"allow_duplicate_source"}
    )


def update_source(
    session: Session,
    source_id: str,
    patch: SourcePatch | dict[str, Any],
    if_match: str | None,
    who: Author | None,
    *,
    commit: bool = True,
) -> Source:
    source = _lock(session, source_id)
    require_match(if_match, source_etag(source.id, source.version), source.version)
    changes = dict(
        patch if isinstance(patch, dict) else patch.model_dump(mode="json", exclude_unset=True)
    )
    allow_duplicate = bool(changes.pop("allow_duplicate_source", False))
    data = validate_body(SourceCreate, merge_patch(editable(source), changes))
    if data == SourceCreate.model_validate(editable(source)):
        return source  # nothing changes, so nothing is written
    citation_before = {field: getattr(source, field) for field in CITATION_FIELDS}
    _check(
        session,
        data.model_copy(update={"allow_duplicate_source": allow_duplicate}),
        source.id,
        source,
    )
    _apply(source, data)
    source.version += 1
    source.updated_at = utcnow()
    session.flush()
    _record(session, source, Operation.updated, who)
    if citation_before != {field: getattr(source, field) for field in CITATION_FIELDS}:
        cause = Cause(
            kind="source_citation_changed", entity_type=EntityType.source, entity_id=source.id
        )
        refresh_claims_citing(session, cause, who)
    if commit:
        session.commit()
    return source


def delete_source(
    session: Session, source_id: str, if_match: str | None, who: Author | None
) -> None:
    source = _lock(session, source_id)
    require_match(if_match, source_etag(source.id, source.version), source.version)
    if _is_cited(session, source.id):
        raise Conflict("Evidence cites this source; it cannot be deleted.", source_id=source.id)
    snapshot = to_read(source).model_dump(mode="json")
    append_revision(
        session, EntityType.source, source.id, source.version + 1, Operation.deleted, snapshot, who
    )
    session.delete(source)
    session.commit()


# Reads: plain SQL on a connection, run by `app.db.run_read`.


def fetch_source(connection: Connection, source_id: str) -> SourceRead | None:
    row = connection.execute(select(Source).where(col(Source.id) == source_id)).mappings().first()
    return to_read(dict(row)) if row else None


def source_listing(secret: str, limit: int, cursor: str | None, kind: str | None) -> Listing[None]:
    """Sources in id order, optionally of one kind, without their text (its length only)."""
    columns = [column for column in inspect(Source).columns if column.name != "text"]
    statement = select(*columns, func.length(col(Source.text)).label("text_length")).order_by(
        col(Source.id)
    )
    if kind:
        statement = statement.where(col(Source.kind) == kind)

    def render(_: Connection, rows: Sequence[RowMapping], next_cursor: str | None) -> bytes:
        data = [SourceSummary.model_validate(dict(row)) for row in rows]
        return SourcePage(data=data, next_cursor=next_cursor).model_dump_json().encode()

    return id_ordered_listing(
        secret=secret,
        scope=query_scope(resource="sources", kind=kind),
        limit=limit,
        cursor=cursor,
        statement=statement,
        id_column=col(Source.id),
        version_column=col(Source.version),
        row_etag=source_etag,
        render=render,
    )
