"""The bulk path: load a generated dataset fast, with the same rows the services write.

Trusted input only (it checks nothing the services check): tests and benchmarks use it to
make thousands of claims quickly. Each batch is one write transaction that takes its
sequence numbers from the revision counter (so the change feed stays in commit order),
inserts its rows (COPY on PostgreSQL, INSERTs of many rows each on SQLite) and appends one
`created` revision per entity.

A claim's row is inserted once, complete. Its document is rendered from the generated data
held in memory, by the services' own `app.claims.projection.render_claim` fed the entries it
would otherwise read back from the tables (tests/test_bulk_render.py holds the two paths
together); the document is also the claim's revision snapshot. `search_text` is written with
the row, so the full-text index is filled by the insert. What claims embed of actors,
instruments and sources loaded by an earlier call is read from the database, once each.

The whole load runs on one connection, with the cyclic garbage collector paused. On SQLite
that connection gets a larger page cache and in-memory temporary storage while it loads, and
its own settings back afterwards; durability is unchanged (WAL, a commit per batch).
"""

import gc
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from itertools import chain
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, Table, select, update
from sqlmodel import SQLModel, col

from app.actors.schemas import ActorRead
from app.claims.actor_dates import index_actor_dates
from app.claims.event_span import event_span
from app.claims.history import keep_versions
from app.claims.projection import (
    Rendered,
    actor_entry,
    date_entry,
    document_etag,
    evidence_entry,
    instrument_entry,
    render_claim,
    source_citation,
)
from app.claims.schemas import QUOTE_CONTEXT
from app.db import for_writes
from app.instruments.schemas import InstrumentRead
from app.isodates import parse_date, parse_prefix
from app.models import Actor, DateKind, EntityType, Instrument, Operation, Source
from app.models.base import utcnow
from app.names import external_id_key, match_key, symbol_key, url_key
from app.sources.schemas import SourceRead
from devtools.generator import (
    Dataset,
    GeneratedActor,
    GeneratedClaim,
    GeneratedInstrument,
    GeneratedSource,
)

# Claims a transaction. The indexes keyed by actor or by date take a batch's rows all over,
# so each transaction rewrites most of their pages (to the WAL, then in a checkpoint)
# whatever its size: fewer, larger transactions rewrite them fewer times.
BATCH_SIZE = 20_000
# Claims rendered and inserted at a time within a transaction: their rows then fit in the
# memory the slice before freed (the rows of 20,000 claims at once made loads a tenth slower).
SLICE = 5000
BULK_AUTHOR = "bulk"
LOADED_TABLES = (
    "actor", "actor_alias", "actor_external_id", "instrument", "source", "claim",
    "claim_actor", "claim_date", "evidence_span", "claim_instrument", "claim_program",
    "revision", "claim_version", "claim_version_actor", "claim_version_date",
    "claim_version_program", "claim_version_instrument", "claim_version_source",
)  # fmt: skip
# SQLite settings of the loading connection while it loads (restored after): a page cache
# for the indexes a batch writes all over (the 2 MB default holds little of them), and the
# temporary b-trees of statements (`index_actor_dates`' DISTINCT) in memory. Together a
# sixth off a load of 10,000 claims.
SQLITE_LOAD_PRAGMAS = {"cache_size": -256 * 1024, "temp_store": 2}  # KiB; 2 = MEMORY

Row = tuple[Any, ...]
CLAIM_COLUMNS = (
    "id", "predicate", "statement", "modality", "status", "retraction_reason", "confidence",
    "version", "created_at", "updated_at", "document", "etag", "search_text",
)  # fmt: skip
# A claim's child tables in the order they are inserted, with the columns of their rows.
CLAIM_CHILDREN = {
    "claim_program": ("claim_id", "program"),
    "claim_actor": ("claim_id", "position", "actor_id", "role"),
    "claim_date": (
        "claim_id", "position", "kind", "value", "precision", "earliest", "latest", "derived",
    ),
    "evidence_span": (
        "claim_id", "position", "source_id", "start", "end", "quote", "prefix", "suffix",
        "stance",
    ),
    "claim_instrument": ("claim_id", "position", "instrument_id", "provision"),
}  # fmt: skip


@lru_cache(maxsize=65536)
def _date(kind: str, value: str) -> tuple[Row, dict[str, Any]]:
    """A claim date's columns after (claim_id, position), and its document entry: the same
    for every claim dated so, so made once (the entry is only ever serialised)."""
    parsed = parse_date(value)
    columns = (kind, value, parsed.precision, parsed.earliest, parsed.latest)
    return columns, date_entry(*columns)


def _table(name: str) -> Table:
    return SQLModel.metadata.tables[name]


def _insert(
    connection: Connection,
    name: str,
    columns: Sequence[str],
    rows: Sequence[Row],
    raw: frozenset[str] = frozenset(),
) -> None:
    """Insert `rows` (tuples of `columns`) into table `name`: COPY on PostgreSQL, INSERTs
    of as many rows each as SQLite binds on SQLite."""
    if not rows:
        return
    quoted = ", ".join(f'"{column}"' for column in columns)
    if connection.dialect.name == "postgresql":
        _copy(connection, f'COPY "{name}" ({quoted}) FROM STDIN', rows)
        return
    # Many rows a statement, not a statement a row (executemany): FTS5 writes the terms it
    # holds out as a new index segment at each statement's savepoint, so a statement a claim
    # made a segment a claim, and merging those was most of the cost of inserting claims.
    driver = connection.connection.driver_connection
    assert driver is not None
    per_statement = driver.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // len(columns)
    values = "(" + ", ".join("?" for _ in columns) + ")"
    bound = _bound(connection, name, columns, rows, raw)
    for start in range(0, len(bound), per_statement):
        chunk = bound[start : start + per_statement]
        connection.exec_driver_sql(
            f'INSERT INTO "{name}" ({quoted}) VALUES {", ".join([values] * len(chunk))}',
            tuple(chain.from_iterable(chunk)),
        )


def _bound(
    connection: Connection,
    name: str,
    columns: Sequence[str],
    rows: Sequence[Row],
    raw: frozenset[str],
) -> list[Row]:
    """`rows` with their values as SQLAlchemy would send them: through their column type's
    bind processor (dates and times become text on SQLite), but without its per-row
    statement machinery, a column at a time, and each distinct value (such as a batch's
    timestamps) converted once. Columns in `raw` go as they are (serialised JSON)."""
    table, dialect = _table(name), connection.dialect
    converting: list[tuple[int, Callable[[Any], Any]]] = []
    for index, column in enumerate(columns):
        process = table.c[column].type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None and column not in raw:
            converting.append((index, lru_cache(maxsize=4096)(process)))
    if not converting:
        return list(rows)
    by_column = list(zip(*rows, strict=True))
    for index, convert in converting:
        by_column[index] = tuple([None if v is None else convert(v) for v in by_column[index]])
    return list(zip(*by_column, strict=True))


def _copy(connection: Connection, statement: str, rows: Sequence[Row]) -> None:
    """COPY `rows`, in the connection's transaction (psycopg adapts the values; a JSON
    column takes its serialised text)."""
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def _insert_dicts(connection: Connection, name: str, rows: Sequence[dict[str, Any]]) -> None:
    """Insert `rows`, dicts with the same keys (the few reference rows are built so)."""
    if rows:
        _insert(connection, name, list(rows[0]), [tuple(row.values()) for row in rows])


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


@dataclass(slots=True)
class ClaimRow:
    """A claim's own row, as `render_claim` reads it (slots, not frozen: one per claim)."""

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

    @classmethod
    def created(cls, claim: GeneratedClaim, now: datetime) -> "ClaimRow":
        return cls(claim.id, claim.predicate, claim.statement, claim.modality, claim.status,
                   claim.retraction_reason, claim.confidence, 1, now, now)  # fmt: skip

    def stored(self, rendered: Rendered) -> Row:
        """The row to insert, in `CLAIM_COLUMNS` order, with its document and ETag."""
        return (
            self.id, self.predicate, self.statement, self.modality, self.status,
            self.retraction_reason, self.confidence, self.version, self.created_at,
            self.updated_at, rendered.document.decode(), document_etag(rendered.document),
            rendered.search_text,
        )  # fmt: skip


@dataclass
class Cited:
    """What claims embed of the actors, instruments and sources they cite, by id: from the
    dataset being loaded, and from the database for those an earlier load wrote."""

    actors: dict[str, tuple[str, str]] = field(default_factory=dict)  # name, kind
    instruments: dict[str, tuple[str, str]] = field(default_factory=dict)  # symbol, title
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)  # `source_citation`
    texts: dict[str, str] = field(default_factory=dict)  # held texts, for evidence context

    @classmethod
    def of(cls, dataset: Dataset, texts: dict[str, str] | None) -> "Cited":
        cited = cls(texts=dict(texts or {}))
        cited.actors = {a.id: (a.name, a.kind) for a in dataset.actors}
        cited.instruments = {i.id: (i.symbol, i.title) for i in dataset.instruments}
        for s in dataset.sources:
            cited.sources[s.id] = source_citation(
                s.kind, s.title, s.publisher, s.author, s.url, s.published
            )
            cited.texts[s.id] = s.text
        return cited

    def complete(self, connection: Connection, claims: Sequence[GeneratedClaim]) -> None:
        """Read what `claims` cite but this does not hold yet: an earlier load wrote it (what
        no table holds fails here, as a KeyError, where a claim's foreign key would)."""
        actors = {actor_id for c in claims for actor_id, _ in c.actors} - self.actors.keys()
        if actors:
            query = select(col(Actor.id), col(Actor.name), col(Actor.kind))
            for actor_id, name, kind in connection.execute(query.where(col(Actor.id).in_(actors))):
                self.actors[actor_id] = (name, kind)
        instruments = {i for c in claims for i, _ in c.instruments} - self.instruments.keys()
        if instruments:
            query = select(col(Instrument.id), col(Instrument.symbol), col(Instrument.title))
            chosen = query.where(col(Instrument.id).in_(instruments))
            for instrument_id, symbol, title in connection.execute(chosen):
                self.instruments[instrument_id] = (symbol, title)
        sources = {span[0] for c in claims for span in c.evidence}
        unknown = (sources - self.sources.keys()) | (sources - self.texts.keys())
        if unknown:
            self._read_sources(connection, unknown)

    def _read_sources(self, connection: Connection, ids: set[str]) -> None:
        query = select(
            col(Source.id), col(Source.text), col(Source.kind), col(Source.title),
            col(Source.publisher), col(Source.author), col(Source.url), col(Source.published),
        ).where(col(Source.id).in_(ids))  # fmt: skip
        for source_id, text, *citation in connection.execute(query):
            self.sources[source_id] = source_citation(*citation)
            self.texts[source_id] = text


def _sequences(connection: Connection, count: int) -> range:
    """Take `count` sequence numbers; the counter row stays locked until commit."""
    counter = _table("revision_counter")
    last = connection.execute(
        update(counter)
        .where(counter.c.id == 1)
        .values(last_seq=counter.c.last_seq + count)
        .returning(counter.c.last_seq)
    ).scalar_one()
    return range(last - count + 1, last + 1)


REVISION_COLUMNS = (
    "seq", "entity_type", "entity_id", "version", "operation", "recorded_at", "recorded_by",
    "snapshot",
)  # fmt: skip


def _revisions(
    connection: Connection,
    entity_type: EntityType,
    snapshots: Sequence[tuple[str, dict[str, Any] | str]],
    now: datetime,
) -> None:
    """One `created` revision per entity, numbered in the order given; a snapshot is a dict
    or its serialised JSON (a claim's document)."""
    if not snapshots:
        return
    rows = [
        (seq, entity_type.value, entity_id, 1, Operation.created.value, now, BULK_AUTHOR,
         snapshot if isinstance(snapshot, str) else orjson.dumps(snapshot).decode())
        for seq, (entity_id, snapshot) in zip(
            _sequences(connection, len(snapshots)), snapshots, strict=True
        )
    ]  # fmt: skip
    _insert(connection, "revision", REVISION_COLUMNS, rows, raw=frozenset({"snapshot"}))


def _entity(now: datetime) -> dict[str, Any]:
    return {"version": 1, "created_at": now, "updated_at": now}


def _load_actors(connection: Connection, actors: list[GeneratedActor], now: datetime) -> None:
    if not actors:
        return
    _insert_dicts(connection, "actor",
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
    _insert_dicts(connection, "actor_alias", aliases)
    external = [
        {"scheme": s, "value": v, "id_key": external_id_key(s, v), "actor_id": a.id}
        for a in actors
        for s, v in a.external_ids
    ]
    _insert_dicts(connection, "actor_external_id", external)
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
            {**_entity(now), **i.body(), "id": i.id, "symbol_key": symbol_key(i.symbol),
             "adopted_precision": adopted.precision,
             "adopted_earliest": adopted.earliest, "adopted_latest": adopted.latest}
        )  # fmt: skip
    _insert_dicts(connection, "instrument", rows)
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
             "url_key": url_key(s.url) if s.url else None,
             "published_precision": published.precision,
             "published_earliest": published.earliest, "published_latest": published.latest,
             "retrieved_at": None}
        )  # fmt: skip
    _insert_dicts(connection, "source", rows)
    snapshots = [
        (
            r["id"],
            SourceRead.model_validate(r | {"text_length": len(r["text"])}).model_dump(mode="json"),
        )
        for r in rows
    ]
    _revisions(connection, EntityType.source, snapshots, now)


# A claim's children: each function appends the claim's rows of one child table and returns
# the entries its document embeds, made from the same values.


def _actors(claim: GeneratedClaim, cited: Cited, rows: list[Row]) -> list[dict[str, Any]]:
    entries = []
    for position, (actor_id, role) in enumerate(claim.actors):
        rows.append((claim.id, position, actor_id, role))
        entries.append(actor_entry(actor_id, *cited.actors[actor_id], role))
    return entries


def _dates(claim: GeneratedClaim, rows: list[Row]) -> list[dict[str, Any]]:
    entries = []
    for position, (kind, value) in enumerate(claim.dates):
        columns, entry = _date(kind, value)
        rows.append((claim.id, position, *columns, False))
        entries.append(entry)
    # The derived event span, as the services write it (app/claims/event_span.py).
    derived = event_span([(kind, parse_date(value)) for kind, value in claim.dates])
    if derived:
        rows.append(
            (
                claim.id, len(claim.dates), DateKind.occurred.value, derived.value,
                derived.precision, derived.earliest, derived.latest, True,
            )
        )  # fmt: skip
    return entries


def _context(text: str, start: int, end: int) -> tuple[str, str]:
    """The prefix and suffix stored with a span, as the services compute them."""
    return text[max(0, start - QUOTE_CONTEXT) : start], text[end : end + QUOTE_CONTEXT]


def _evidence(claim: GeneratedClaim, cited: Cited, rows: list[Row]) -> list[dict[str, Any]]:
    entries = []
    for position, (source_id, start, end, quote, stance) in enumerate(claim.evidence):
        prefix, suffix = _context(cited.texts[source_id], start, end)
        rows.append((claim.id, position, source_id, start, end, quote, prefix, suffix, stance))
        entries.append(
            evidence_entry(
                source_id, start, end, quote, prefix, suffix, stance, cited.sources[source_id]
            )
        )
    return entries


def _instruments(claim: GeneratedClaim, cited: Cited, rows: list[Row]) -> list[dict[str, Any]]:
    entries = []
    for position, (instrument_id, provision) in enumerate(claim.instruments):
        rows.append((claim.id, position, instrument_id, provision))
        entries.append(
            instrument_entry(instrument_id, *cited.instruments[instrument_id], provision)
        )
    return entries


def _embedded(
    claim: GeneratedClaim, cited: Cited, children: dict[str, list[Row]]
) -> dict[str, list[Any]]:
    """Append `claim`'s child rows to `children`; the entries its document embeds.

    Programs are in code order, as the services' renderer reads them (`ORDER BY program`:
    the same order under SQLite's binary and PostgreSQL's C collations)."""
    programs = sorted(set(claim.programs))
    children["claim_program"] += [(claim.id, program) for program in programs]
    return {
        "programs": programs,
        "actors": _actors(claim, cited, children["claim_actor"]),
        "dates": _dates(claim, children["claim_date"]),
        "evidence": _evidence(claim, cited, children["evidence_span"]),
        "instruments": _instruments(claim, cited, children["claim_instrument"]),
    }


def _load_claims(
    connection: Connection, claims: list[GeneratedClaim], cited: Cited, now: datetime
) -> None:
    """Insert `claims` in the caller's transaction: each claim's row once, with the document
    rendered from `claims` and `cited`, then their children, their (actor, date) rows, a
    `created` revision each, whose snapshot is the document, and their first versions."""
    if not claims:
        return
    cited.complete(connection, claims)
    children: dict[str, list[Row]] = {name: [] for name in CLAIM_CHILDREN}
    rows = []
    for claim in claims:
        row = ClaimRow.created(claim, now)
        rows.append(row.stored(render_claim(row, _embedded(claim, cited, children))))
    _insert(connection, "claim", CLAIM_COLUMNS, rows)
    for name, columns in CLAIM_CHILDREN.items():
        _insert(connection, name, columns, children[name])
    index_actor_dates(connection, [claim.id for claim in claims])
    document = CLAIM_COLUMNS.index("document")
    _revisions(connection, EntityType.claim, [(row[0], row[document]) for row in rows], now)
    keep_versions(connection, [claim.id for claim in claims], created=True)


@contextmanager
def _cycles_uncollected() -> Iterator[None]:
    """Pause the cyclic garbage collector. A load allocates millions of rows and entries,
    none in a cycle, while its dataset keeps millions of objects alive: each collection
    would walk them all again, a tenth of the load's time. Collection resumes after (unless
    it was off already)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


@contextmanager
def _loading(engine: Engine) -> Iterator[Connection]:
    """The connection a load runs on, its transactions marked as writes; on SQLite with
    `SQLITE_LOAD_PRAGMAS` until the load ends."""
    with for_writes(engine).connect() as connection:
        if connection.dialect.name != "sqlite":
            yield connection
            return
        # On the driver's connection, outside any transaction: these settings are the
        # connection's, and SQLAlchemy would otherwise begin a (write) transaction for them.
        driver = connection.connection.driver_connection
        assert driver is not None
        saved = {
            name: driver.execute(f"PRAGMA {name}").fetchone()[0] for name in SQLITE_LOAD_PRAGMAS
        }
        try:
            for name, value in SQLITE_LOAD_PRAGMAS.items():
                driver.execute(f"PRAGMA {name}={int(value)}")
            yield connection
        finally:
            for name, value in saved.items():
                driver.execute(f"PRAGMA {name}={int(value)}")


def load(
    engine: Engine,
    dataset: Dataset,
    *,
    batch_size: int = BATCH_SIZE,
    texts: dict[str, str] | None = None,
    analyze: bool = True,
) -> LoadReport:
    """Insert `dataset`: reference rows first, then claims in batches of `batch_size`, each
    batch one transaction. Claims may cite actors, instruments and sources loaded earlier
    (a second dataset of one generator cites its actors and instruments); what they embed
    of those is read from the database, but for the held texts given in `texts`.

    On PostgreSQL the loaded tables are then analyzed (unless `analyze` is false), as after
    any bulk load: until autovacuum gets to them the planner would take them for empty and
    pick nested scans that cost seconds instead of index walks that cost milliseconds."""
    started = time.perf_counter()
    cited = Cited.of(dataset, texts)
    with _cycles_uncollected(), _loading(engine) as connection:
        with connection.begin():
            now = utcnow()
            _load_actors(connection, dataset.actors, now)
            _load_instruments(connection, dataset.instruments, now)
        for start in range(0, len(dataset.sources), batch_size):
            with connection.begin():
                now = utcnow()
                _load_sources(connection, dataset.sources[start : start + batch_size], now)
        for start in range(0, len(dataset.claims), batch_size):
            with connection.begin():
                now = utcnow()
                batch = dataset.claims[start : start + batch_size]
                for part in range(0, len(batch), SLICE):
                    _load_claims(connection, batch[part : part + SLICE], cited, now)
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
