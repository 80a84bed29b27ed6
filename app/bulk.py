"""The bulk path: load a generated dataset fast, with the same rows the services write.

Trusted input only (it checks nothing the services check): tests and benchmarks use it to
make thousands of claims quickly. Each batch is one write transaction that takes its
sequence numbers from the revision counter (so the change feed stays in commit order),
inserts rows with executemany, renders the claims' documents with
`app.claims.documents.render_claims` in one pass per batch, and appends one `created`
revision per entity. `search_text` is written with the row, so the full-text index is
filled by the insert.
"""

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, Table, bindparam, insert, update
from sqlmodel import SQLModel

from app.actors.schemas import ActorRead
from app.claims.actor_dates import index_actor_dates
from app.claims.documents import document_etag, render_claims
from app.claims.schemas import QUOTE_CONTEXT
from app.claims.search import search_text
from app.db import for_writes
from app.generator import (
    Dataset,
    GeneratedActor,
    GeneratedClaim,
    GeneratedInstrument,
    GeneratedSource,
)
from app.instruments.schemas import InstrumentRead
from app.isodates import DatePrefix, parse_prefix
from app.models import EntityType, Operation
from app.models.base import utcnow
from app.names import match_key
from app.sources.schemas import SourceRead

BATCH_SIZE = 2000
BULK_AUTHOR = "bulk"
LOADED_TABLES = (
    "actor", "actor_alias", "actor_external_id", "instrument", "source", "claim",
    "claim_actor", "claim_date", "evidence_span", "claim_instrument", "claim_program",
    "revision",
)  # fmt: skip


@lru_cache(maxsize=65536)
def _parse_prefix(value: str) -> DatePrefix:
    return parse_prefix(value)


def _table(name: str) -> Table:
    return SQLModel.metadata.tables[name]


def _insert(
    connection: Connection,
    name: str,
    rows: Sequence[dict[str, Any]],
    raw: frozenset[str] = frozenset(),
) -> None:
    """Insert `rows` (dicts with the same keys) into table `name`: COPY on PostgreSQL, an
    executemany of one INSERT on SQLite.

    Values go through their column type's bind processor, as SQLAlchemy would send them,
    but without its per-row statement machinery (and repeated values, such as a batch's
    timestamps, are converted once); columns in `raw` go as they are (serialised JSON).
    """
    if not rows:
        return
    table, dialect = _table(name), connection.dialect
    if dialect.name == "postgresql":
        _copy(connection, name, rows)
        return
    compiled = insert(table).compile(dialect=dialect, column_keys=list(rows[0]))
    names = list(compiled.positiontup or []) if compiled.positional else list(rows[0])
    converting = []
    for index, column in enumerate(names):
        process = table.c[column].type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None and column not in raw:
            converting.append((index, lru_cache(maxsize=4096)(process)))
    values = [[row[column] for column in names] for row in rows]
    for index, process in converting:
        for row_values in values:
            if row_values[index] is not None:
                row_values[index] = process(row_values[index])
    parameters: list[Any] = (
        [tuple(row_values) for row_values in values]
        if compiled.positional
        else [dict(zip(names, row_values, strict=True)) for row_values in values]
    )
    connection.exec_driver_sql(str(compiled), parameters)


def _copy(connection: Connection, name: str, rows: Sequence[dict[str, Any]]) -> None:
    """COPY `rows` into table `name`, in the connection's transaction (psycopg adapts the
    values; a JSON column takes its serialised text)."""
    columns = list(rows[0])
    quoted = ", ".join(f'"{column}"' for column in columns)
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f'COPY "{name}" ({quoted}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(tuple(row.values()))


@dataclass
class LoadReport:
    actors: int = 0
    instruments: int = 0
    sources: int = 0
    claims: int = 0
    seconds: float = 0.0

    @property
    def claims_per_second(self) -> float:
        return self.claims / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class ClaimRow:
    """A claim's own row, as `render_claims` reads it."""

    id: str
    predicate: str
    statement: str
    modality: str
    status: str
    retraction_reason: str | None
    confidence: float | None
    version: int
    created_at: datetime
    updated_at: datetime

    def columns(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def _sequences(connection: Connection, count: int) -> Iterable[int]:
    """Take `count` sequence numbers; the counter row stays locked until commit."""
    counter = _table("revision_counter")
    last = connection.execute(
        update(counter)
        .where(counter.c.id == 1)
        .values(last_seq=counter.c.last_seq + count)
        .returning(counter.c.last_seq)
    ).scalar_one()
    return range(last - count + 1, last + 1)


def _revisions(
    connection: Connection,
    entity_type: EntityType,
    snapshots: Sequence[tuple[str, dict[str, Any] | str]],
    now: datetime,
) -> None:
    if not snapshots:
        return
    rows = [
        {
            "seq": seq,
            "entity_type": entity_type.value,
            "entity_id": entity_id,
            "version": 1,
            "operation": Operation.created.value,
            "recorded_at": now,
            "recorded_by": BULK_AUTHOR,
            "snapshot": snapshot if isinstance(snapshot, str) else orjson.dumps(snapshot).decode(),
        }
        for seq, (entity_id, snapshot) in zip(
            _sequences(connection, len(snapshots)), snapshots, strict=True
        )
    ]
    _insert(connection, "revision", rows, raw=frozenset({"snapshot"}))


def _entity(now: datetime) -> dict[str, Any]:
    return {"version": 1, "created_at": now, "updated_at": now}


def _load_actors(connection: Connection, actors: list[GeneratedActor], now: datetime) -> None:
    if not actors:
        return
    _insert(connection, "actor",
        [
            {**_entity(now), "id": a.id, "kind": a.kind, "name": a.name,
             "name_key": match_key(a.name), "merged_into_id": None}
            for a in actors
        ],
    )  # fmt: skip
    aliases = [
        {"actor_id": a.id, "position": i, "name": alias["name"],
         "name_key": match_key(alias["name"]), "language": alias.get("language"),
         "script": alias.get("script"), "strength": alias.get("strength", "strong")}
        for a in actors
        for i, alias in enumerate(a.aliases)
    ]  # fmt: skip
    if aliases:
        _insert(connection, "actor_alias", aliases)
    external = [
        {"scheme": s, "value": v, "actor_id": a.id} for a in actors for s, v in a.external_ids
    ]
    if external:
        _insert(connection, "actor_external_id", external)
    snapshots = [
        (
            a.id,
            ActorRead.model_validate(
                {
                    **_entity(now),
                    "id": a.id,
                    "kind": a.kind,
                    "name": a.name,
                    "aliases": [
                        {"language": None, "script": None, "strength": "strong"} | alias
                        for alias in a.aliases
                    ],
                    "external_ids": [{"scheme": s, "value": v} for s, v in sorted(a.external_ids)],
                    "merged_into_id": None,
                }
            ).model_dump(mode="json"),
        )
        for a in actors
    ]
    _revisions(connection, EntityType.actor, snapshots, now)


def _load_instruments(
    connection: Connection, instruments: list[GeneratedInstrument], now: datetime
) -> None:
    if not instruments:
        return
    rows = []
    for i in instruments:
        adopted = parse_prefix(i.adopted)
        rows.append(
            {**_entity(now), **i.body(), "id": i.id, "adopted_precision": adopted.precision,
             "adopted_earliest": adopted.earliest, "adopted_latest": adopted.latest}
        )  # fmt: skip
    _insert(connection, "instrument", rows)
    snapshots = [(r["id"], InstrumentRead.model_validate(r).model_dump(mode="json")) for r in rows]
    _revisions(connection, EntityType.instrument, snapshots, now)


def _load_sources(connection: Connection, sources: list[GeneratedSource], now: datetime) -> None:
    if not sources:
        return
    rows = []
    for s in sources:
        published = parse_prefix(s.published)
        rows.append(
            {**_entity(now), **s.body(), "id": s.id, "sha256": s.sha256,
             "published_precision": published.precision,
             "published_earliest": published.earliest, "published_latest": published.latest,
             "retrieved_at": None}
        )  # fmt: skip
    _insert(connection, "source", rows)
    snapshots = [
        (
            r["id"],
            SourceRead.model_validate(r | {"text_length": len(r["text"])}).model_dump(mode="json"),
        )
        for r in rows
    ]
    _revisions(connection, EntityType.source, snapshots, now)


def _load_claims(
    connection: Connection, claims: list[GeneratedClaim], texts: dict[str, str], now: datetime
) -> None:
    if not claims:
        return
    rows = [
        ClaimRow(c.id, c.predicate, c.statement, c.modality, c.status, c.retraction_reason,
                 c.confidence, 1, now, now)
        for c in claims
    ]  # fmt: skip
    _insert(connection, "claim",
        [
            {**row.columns(), "document": "", "etag": "",
             "search_text": search_text(c.statement, (span[3] for span in c.evidence))}
            for row, c in zip(rows, claims, strict=True)
        ],
    )  # fmt: skip
    children: dict[str, list[dict[str, Any]]] = {
        "claim_program": [
            {"claim_id": c.id, "program": p} for c in claims for p in sorted(set(c.programs))
        ],
        "claim_actor": [
            {"claim_id": c.id, "position": i, "actor_id": a, "role": r}
            for c in claims
            for i, (a, r) in enumerate(c.actors)
        ],
        "claim_date": [],
        "evidence_span": [],
        "claim_instrument": [
            {"claim_id": c.id, "position": i, "instrument_id": inst, "provision": p}
            for c in claims
            for i, (inst, p) in enumerate(c.instruments)
        ],
    }
    for c in claims:
        for i, (kind, value) in enumerate(c.dates):
            parsed = _parse_prefix(value)
            children["claim_date"].append(
                {"claim_id": c.id, "position": i, "kind": kind, "value": value,
                 "precision": parsed.precision, "earliest": parsed.earliest,
                 "latest": parsed.latest}
            )  # fmt: skip
        for i, (source_id, start, end, quote, stance) in enumerate(c.evidence):
            text = texts[source_id]
            children["evidence_span"].append(
                {"claim_id": c.id, "position": i, "source_id": source_id, "start": start,
                 "end": end, "quote": quote, "stance": stance,
                 "prefix": text[max(0, start - QUOTE_CONTEXT) : start],
                 "suffix": text[end : end + QUOTE_CONTEXT]}
            )  # fmt: skip
    for name, child_rows in children.items():
        if child_rows:
            _insert(connection, name, child_rows)
    index_actor_dates(connection, [c.id for c in claims])

    rendered = render_claims(connection, rows)
    claim = _table("claim")
    connection.execute(
        update(claim)
        .where(claim.c.id == bindparam("claim_id"))
        .values(document=bindparam("document"), etag=bindparam("etag")),
        [
            {"claim_id": key, "document": r.document.decode(), "etag": document_etag(r.document)}
            for key, r in rendered.items()
        ],
    )
    snapshots: list[tuple[str, dict[str, Any] | str]] = [
        (claim_id, r.document.decode()) for claim_id, r in rendered.items()
    ]
    _revisions(connection, EntityType.claim, snapshots, now)


def load(
    engine: Engine,
    dataset: Dataset,
    *,
    batch_size: int = BATCH_SIZE,
    texts: dict[str, str] | None = None,
    analyze: bool = True,
) -> LoadReport:
    """Insert `dataset`: reference rows first, then claims in batches of `batch_size`, each
    batch one transaction. `texts` holds held texts of sources loaded earlier that the
    claims cite (a second dataset of one generator cites only its own new sources).

    On PostgreSQL the loaded tables are then analyzed (unless `analyze` is false), as after
    any bulk load: until autovacuum gets to them the planner would take them for empty and
    pick nested scans that cost seconds instead of index walks that cost milliseconds."""
    started = time.perf_counter()
    writer = for_writes(engine)
    now = utcnow()
    with writer.begin() as connection:
        _load_actors(connection, dataset.actors, now)
        _load_instruments(connection, dataset.instruments, now)
    known = dict(texts or {})
    known.update({source.id: source.text for source in dataset.sources})
    for start in range(0, len(dataset.sources), batch_size):
        with writer.begin() as connection:
            now = utcnow()
            _load_sources(connection, dataset.sources[start : start + batch_size], now)
    for start in range(0, len(dataset.claims), batch_size):
        with writer.begin() as connection:
            now = utcnow()
            _load_claims(connection, dataset.claims[start : start + batch_size], known, now)
    if analyze and engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            for table in LOADED_TABLES:
                connection.exec_driver_sql(f"ANALYZE {table}")
    return LoadReport(
        actors=len(dataset.actors),
        instruments=len(dataset.instruments),
        sources=len(dataset.sources),
        claims=len(dataset.claims),
        seconds=time.perf_counter() - started,
    )
