"""Keeping the system-versioned rows of claims (app/models/claim_version.py) in step.

Called in the transaction of every claim write, after the claim's rows, document and
revision are in place: the version the revision made is copied from the current tables,
set-based (one statement per table, for one claim or a bulk batch of thousands), and the
version it replaces is closed at the new revision's sequence. The copy is read back from
the current rows, not rebuilt from the request, so a version is what the current tables
held: the as-of reads filter the two with the same conditions (app/claims/tables.py).
"""

from collections.abc import Collection
from typing import Any

from sqlalchemy import Connection, and_, bindparam, exists, func, insert, select, update
from sqlalchemy.orm import aliased
from sqlmodel import col

from app.models import (
    Claim,
    ClaimActor,
    ClaimDate,
    ClaimInstrument,
    ClaimProgram,
    ClaimVersion,
    ClaimVersionActor,
    ClaimVersionDate,
    ClaimVersionInstrument,
    ClaimVersionProgram,
    ClaimVersionSource,
    EntityType,
    EvidenceSpan,
    Revision,
)

_IDS: Any = bindparam("claim_ids", expanding=True)

# The new versions: each claim's row as it is now, from the revision of its current version.
_NEW_VERSIONS = insert(ClaimVersion).from_select(
    [
        *("from_seq", "id", "status", "predicate", "modality", "confidence"),
        *("updated_at", "document", "etag"),
    ],
    select(
        col(Revision.seq),
        col(Claim.id),
        col(Claim.status),
        col(Claim.predicate),
        col(Claim.modality),
        col(Claim.confidence),
        col(Claim.updated_at),
        col(Claim.document),
        col(Claim.etag),
    )
    .join(
        Revision,
        and_(
            col(Revision.entity_type) == EntityType.claim.value,
            col(Revision.entity_id) == col(Claim.id),
            col(Revision.version) == col(Claim.version),
        ),
    )
    .where(col(Claim.id).in_(_IDS)),
)

_NEWER = aliased(ClaimVersion, name="newer")
_NEXT_SEQ = (
    select(func.min(col(_NEWER.from_seq)))
    .where(
        col(_NEWER.id) == col(ClaimVersion.id),
        col(_NEWER.from_seq) > col(ClaimVersion.from_seq),
    )
    .scalar_subquery()
)
# The versions the new ones replace end where the next begins.
_CLOSE_REPLACED = (
    update(ClaimVersion)
    .where(
        col(ClaimVersion.id).in_(_IDS),
        col(ClaimVersion.to_seq).is_(None),
        exists()
        .where(
            col(_NEWER.id) == col(ClaimVersion.id),
            col(_NEWER.from_seq) > col(ClaimVersion.from_seq),
        )
        .correlate(ClaimVersion),
    )
    .values(to_seq=_NEXT_SEQ)
    .execution_options(synchronize_session=False)
)


def _children(table: Any, columns: list[Any], claim_id: Any) -> Any:
    """INSERT the current child rows of the claims into `table`, under their open version."""
    current = (
        select(col(ClaimVersion.from_seq), *columns)
        .select_from(claim_id.table)
        .join(
            ClaimVersion,
            and_(col(ClaimVersion.id) == claim_id, col(ClaimVersion.to_seq).is_(None)),
        )
        .where(claim_id.in_(_IDS))
    )
    names = ["from_seq", *(column.key for column in columns)]
    return insert(table).from_select(names, current)


_CHILDREN: list[Any] = [
    _children(
        ClaimVersionActor,
        [col(ClaimActor.position), col(ClaimActor.actor_id), col(ClaimActor.role)],
        col(ClaimActor.claim_id),
    ),
    _children(
        ClaimVersionDate,
        [
            col(ClaimDate.position),
            col(ClaimDate.kind),
            col(ClaimDate.earliest),
            col(ClaimDate.latest),
            col(ClaimDate.derived),
        ],
        col(ClaimDate.claim_id),
    ),
    _children(ClaimVersionProgram, [col(ClaimProgram.program)], col(ClaimProgram.claim_id)),
    _children(
        ClaimVersionInstrument,
        [
            col(ClaimInstrument.position),
            col(ClaimInstrument.instrument_id),
            col(ClaimInstrument.provision),
        ],
        col(ClaimInstrument.claim_id),
    ),
    _children(
        ClaimVersionSource,
        [col(EvidenceSpan.position), col(EvidenceSpan.source_id)],
        col(EvidenceSpan.claim_id),
    ),
]


def keep_versions(
    connection: Connection, claim_ids: Collection[str], *, created: bool = False
) -> None:
    """Record the current version of each claim (its revision is already written), closing
    the version it replaces; `created` claims have none to close."""
    if not claim_ids:
        return
    ids = {"claim_ids": list(claim_ids)}
    connection.execute(_NEW_VERSIONS, ids)
    if not created:
        connection.execute(_CLOSE_REPLACED, ids)
    for statement in _CHILDREN:
        connection.execute(statement, ids)
