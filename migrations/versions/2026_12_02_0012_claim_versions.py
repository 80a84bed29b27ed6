"""claim_version and its child rows: every version of a claim, in recorded time

Revision ID: 0012_claim_versions
Revises: 0010_api_keys
Create Date: 2026-12-02

The as-of reads (`as_of=`) filter the versions a claim had, valid from the revision that
wrote each (`from_seq`) to the claim's next revision (`to_seq`, null for the current one).
They are built here from the revision log: each claim revision's snapshot is the document
that version served. The current version is copied from the claim's rows, as every write
keeps it from now on (app/claims/history.py); the earlier ones are read off their
snapshots, whose dates carry their day bounds, with the derived event span restated from
app/claims/event_span.py so this revision keeps meaning what it meant when written.
"""

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from itertools import pairwise
from typing import Any

import orjson
import sqlalchemy as sa
from alembic import op

from app.http import digest_etag

revision: str = "0012_claim_versions"
down_revision: str | None = "0011_scale_out"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEQ = sa.BigInteger()
ONGOING = date.max

# The key order of a rendered document (app/claims/projection.py): PostgreSQL keeps a
# snapshot as JSONB, which orders keys its own way, so an earlier version's document is
# written back in the order it was served.
_DOCUMENT = [
    "id", "predicate", "statement", "modality", "status", "retraction_reason", "confidence",
    "programs", "actors", "dates", "evidence", "instruments", "relations", "version",
    "created_at", "updated_at",
]  # fmt: skip
_ENTRIES = {
    "actors": ["actor_id", "name", "kind", "role"],
    "dates": ["kind", "value", "precision", "earliest", "latest"],
    "evidence": ["source_id", "start", "end", "quote", "prefix", "suffix", "stance", "source"],
    "instruments": ["instrument_id", "symbol", "title", "provision"],
    "relations": ["relation", "target_id"],
}
_SOURCE = ["kind", "title", "publisher", "author", "url", "published"]


def _ordered(value: dict[str, Any], keys: list[str]) -> dict[str, Any]:
    return {
        **{key: value[key] for key in keys if key in value},
        **{key: item for key, item in value.items() if key not in keys},
    }


def _document(snapshot: dict[str, Any]) -> bytes:
    document = _ordered(snapshot, _DOCUMENT)
    for field, keys in _ENTRIES.items():
        entries = [_ordered(entry, keys) for entry in document.get(field) or []]
        if field == "evidence":
            for entry in entries:
                if isinstance(entry.get("source"), dict):
                    entry["source"] = _ordered(entry["source"], _SOURCE)
        if field in document:
            document[field] = entries
    return orjson.dumps(document)


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _dates(dates: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A version's date rows, and its derived event span: a claim with a `start` and no
    `occurred` date spans from its earliest start to its latest end, or is ongoing."""
    rows = [
        {
            "position": i,
            "kind": d["kind"],
            "earliest": _day(d["earliest"]),
            "latest": _day(d["latest"]),
            "derived": False,
        }
        for i, d in enumerate(dates)
    ]
    starts = [row for row in rows if row["kind"] == "start"]
    ends = [row for row in rows if row["kind"] == "end"]
    if starts and not any(row["kind"] == "occurred" for row in rows):
        earliest = min(row["earliest"] for row in starts)
        latest = max(row["latest"] for row in ends) if ends else ONGOING
        if latest >= earliest:
            rows.append(
                {
                    "position": len(rows),
                    "kind": "occurred",
                    "earliest": earliest,
                    "latest": latest,
                    "derived": True,
                }
            )
    return rows


def _create_tables() -> None:
    op.create_table(
        "claim_version",
        sa.Column("from_seq", SEQ, autoincrement=False, nullable=False),
        sa.Column("to_seq", SEQ, nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("predicate", sa.String(length=64), nullable=False),
        sa.Column("modality", sa.String(length=64), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("etag", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("from_seq", name=op.f("pk_claim_version")),
    )
    op.create_index("ix_claim_version_id_from_seq", "claim_version", ["id", "from_seq"])
    op.create_index("ix_claim_version_updated_at_id", "claim_version", ["updated_at", "id"])
    op.create_index("ix_claim_version_predicate", "claim_version", ["predicate"])
    children: dict[str, list[sa.Column[Any]]] = {
        "claim_version_actor": [
            sa.Column("position", sa.Integer(), nullable=False),
            sa.Column("actor_id", sa.String(length=36), nullable=False),
            sa.Column("role", sa.String(length=64), nullable=False),
        ],
        "claim_version_date": [
            sa.Column("position", sa.Integer(), nullable=False),
            sa.Column("kind", sa.String(length=16), nullable=False),
            sa.Column("earliest", sa.Date(), nullable=False),
            sa.Column("latest", sa.Date(), nullable=False),
            sa.Column("derived", sa.Boolean(), nullable=False),
        ],
        "claim_version_program": [sa.Column("program", sa.String(length=64), nullable=False)],
        "claim_version_instrument": [
            sa.Column("position", sa.Integer(), nullable=False),
            sa.Column("instrument_id", sa.String(length=36), nullable=False),
            sa.Column("provision", sa.String(length=100), nullable=True),
        ],
        "claim_version_source": [
            sa.Column("position", sa.Integer(), nullable=False),
            sa.Column("source_id", sa.String(length=36), nullable=False),
        ],
    }
    for name, columns in children.items():
        second = "program" if name == "claim_version_program" else "position"
        op.create_table(
            name,
            sa.Column("from_seq", SEQ, autoincrement=False, nullable=False),
            *columns,
            sa.PrimaryKeyConstraint("from_seq", second, name=op.f(f"pk_{name}")),
        )
    op.create_index(
        "ix_claim_version_actor_actor_id_role",
        "claim_version_actor",
        ["actor_id", "role", "from_seq"],
    )
    op.create_index(
        "ix_claim_version_date_kind_earliest",
        "claim_version_date",
        ["kind", "earliest", "from_seq"],
    )
    op.create_index(
        "ix_claim_version_date_kind_latest", "claim_version_date", ["kind", "latest", "from_seq"]
    )
    op.create_index(
        "ix_claim_version_program_program", "claim_version_program", ["program", "from_seq"]
    )
    op.create_index(
        "ix_claim_version_instrument_instrument_id",
        "claim_version_instrument",
        ["instrument_id", "from_seq"],
    )
    op.create_index(
        "ix_claim_version_source_source_id", "claim_version_source", ["source_id", "from_seq"]
    )


def _snapshot(value: Any) -> dict[str, Any]:
    return orjson.loads(value) if isinstance(value, str | bytes) else dict(value)


def _earlier_version(seq: int, to_seq: int, snapshot: dict[str, Any]) -> dict[str, list[Any]]:
    """The rows of a version that is no longer current, from its revision's snapshot."""
    document = _document(snapshot)
    updated_at = datetime.fromisoformat(str(snapshot["updated_at"]).replace("Z", "+00:00"))
    return {
        "claim_version": [
            {
                "from_seq": seq,
                "to_seq": to_seq,
                "id": snapshot["id"],
                "status": snapshot["status"],
                "predicate": snapshot["predicate"],
                "modality": snapshot["modality"],
                "confidence": snapshot.get("confidence"),
                "updated_at": updated_at,
                "document": document.decode(),
                "etag": digest_etag(document),
            }
        ],
        "claim_version_actor": [
            {"from_seq": seq, "position": i, "actor_id": a["actor_id"], "role": a["role"]}
            for i, a in enumerate(snapshot.get("actors") or [])
        ],
        "claim_version_date": [
            {"from_seq": seq, **row} for row in _dates(snapshot.get("dates") or [])
        ],
        "claim_version_program": [
            {"from_seq": seq, "program": program}
            for program in sorted(set(snapshot.get("programs") or []))
        ],
        "claim_version_instrument": [
            {
                "from_seq": seq,
                "position": i,
                "instrument_id": cited["instrument_id"],
                "provision": cited.get("provision"),
            }
            for i, cited in enumerate(snapshot.get("instruments") or [])
        ],
        "claim_version_source": [
            {"from_seq": seq, "position": i, "source_id": span["source_id"]}
            for i, span in enumerate(snapshot.get("evidence") or [])
        ],
    }


# The current version of every claim, from its rows (as app/claims/history.py copies it).
_CURRENT = {
    "claim_version": (
        "from_seq, id, status, predicate, modality, confidence, updated_at, document, etag",
        "SELECT r.seq, c.id, c.status, c.predicate, c.modality, c.confidence, c.updated_at, "
        "c.document, c.etag FROM claim c JOIN current_revision r ON r.entity_id = c.id",
    ),
    "claim_version_actor": (
        "from_seq, position, actor_id, role",
        "SELECT r.seq, x.position, x.actor_id, x.role FROM claim_actor x "
        "JOIN current_revision r ON r.entity_id = x.claim_id",
    ),
    "claim_version_date": (
        "from_seq, position, kind, earliest, latest, derived",
        "SELECT r.seq, x.position, x.kind, x.earliest, x.latest, x.derived FROM claim_date x "
        "JOIN current_revision r ON r.entity_id = x.claim_id",
    ),
    "claim_version_program": (
        "from_seq, program",
        "SELECT r.seq, x.program FROM claim_program x "
        "JOIN current_revision r ON r.entity_id = x.claim_id",
    ),
    "claim_version_instrument": (
        "from_seq, position, instrument_id, provision",
        "SELECT r.seq, x.position, x.instrument_id, x.provision FROM claim_instrument x "
        "JOIN current_revision r ON r.entity_id = x.claim_id",
    ),
    "claim_version_source": (
        "from_seq, position, source_id",
        "SELECT r.seq, x.position, x.source_id FROM evidence_span x "
        "JOIN current_revision r ON r.entity_id = x.claim_id",
    ),
}


def upgrade() -> None:
    _create_tables()
    op.create_index("ix_revision_recorded_at_seq", "revision", ["recorded_at", "seq"])
    connection = op.get_bind()
    # The revisions of the claims there are (there is no claim delete; a revision without
    # its claim row has no version to serve).
    revisions = connection.execute(
        sa.text(
            "SELECT seq, entity_id, snapshot FROM revision WHERE entity_type = 'claim' "
            "AND entity_id IN (SELECT id FROM claim) ORDER BY entity_id, seq"
        )
    ).all()
    by_claim: dict[str, list[Any]] = defaultdict(list)
    for row in revisions:
        by_claim[row.entity_id].append(row)
    tables = {name: sa.table(name, *(sa.column(c) for c in cols.split(", ")))
              for name, (cols, _) in _CURRENT.items()}  # fmt: skip
    tables["claim_version"].append_column(sa.column("to_seq"))
    earlier: dict[str, list[Any]] = defaultdict(list)
    for history in by_claim.values():
        for this, following in pairwise(history):
            for name, rows in _earlier_version(
                this.seq, following.seq, _snapshot(this.snapshot)
            ).items():
                earlier[name].extend(rows)
    for name, rows in earlier.items():
        if rows:
            connection.execute(tables[name].insert(), rows)
    # A claim's last revision wrote its current version.
    connection.execute(
        sa.text(
            "CREATE TEMPORARY TABLE current_revision AS SELECT entity_id, max(seq) AS seq "
            "FROM revision WHERE entity_type = 'claim' AND entity_id IN (SELECT id FROM claim) "
            "GROUP BY entity_id"
        )
    )
    for name, (columns, select) in _CURRENT.items():
        connection.execute(sa.text(f"INSERT INTO {name} ({columns}) {select}"))
    connection.execute(sa.text("DROP TABLE current_revision"))


def downgrade() -> None:
    op.drop_index("ix_revision_recorded_at_seq", table_name="revision")
    for name in reversed(list(_CURRENT)):
        op.drop_table(name)
