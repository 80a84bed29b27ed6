"""Datasette's side: canned queries that answer what our endpoints answer.

Each claim is nested with SQLite's JSON functions from the normalised tables (claim_actor,
claim_date, evidence_span, ...), the same shape as the API's stored `document`, so the
comparison is with what a datasette user would write, not with a copy of our cache.

SQLite JSON subtypes do not survive a subquery, so every nested value is wrapped in
`json(...)` to stay an object or array rather than becoming a string.
"""

import json
from pathlib import Path

STATUSES = "('published', 'disputed')"


def _timestamp(column: str) -> str:
    """SQLAlchemy's SQLite text `YYYY-MM-DD HH:MM:SS.ffffff` as orjson writes it (UTC, Z,
    microseconds only when not zero)."""
    return (
        f"replace(substr({column}, 1, 19), ' ', 'T') || "
        f"CASE WHEN substr({column}, 21, 6) IN ('', '000000') THEN '' "
        f"ELSE '.' || substr({column}, 21, 6) END || 'Z'"
    )


def _array(select_object: str, source: str, order: str) -> str:
    return (
        f"json((SELECT json_group_array(json(item)) FROM "
        f"(SELECT {select_object} AS item FROM {source} ORDER BY {order})))"
    )


def document_sql(claim: str = "c") -> str:
    """A claim's document as one JSON text, built with JSON functions."""
    programs = (
        f"json((SELECT json_group_array(program) FROM (SELECT program FROM claim_program "
        f"WHERE claim_id = {claim}.id ORDER BY program)))"
    )
    actors = _array(
        "json_object('actor_id', ca.actor_id, 'name', a.name, 'kind', a.kind, 'role', ca.role)",
        f"claim_actor ca JOIN actor a ON a.id = ca.actor_id WHERE ca.claim_id = {claim}.id",
        "ca.position",
    )
    dates = _array(
        "json_object('kind', d.kind, 'value', d.value, 'precision', d.precision, "
        "'earliest', d.earliest, 'latest', d.latest)",
        f"claim_date d WHERE d.claim_id = {claim}.id",
        "d.position",
    )
    evidence = _array(
        "json_object('source_id', e.source_id, 'start', e.start, 'end', e.\"end\", "
        "'quote', e.quote, 'prefix', e.prefix, 'suffix', e.suffix, 'stance', e.stance, "
        "'source', json_object('kind', s.kind, 'title', s.title, 'publisher', s.publisher, "
        "'author', s.author, 'url', s.url, 'published', s.published))",
        f"evidence_span e JOIN source s ON s.id = e.source_id WHERE e.claim_id = {claim}.id",
        "e.position",
    )
    instruments = _array(
        "json_object('instrument_id', ci.instrument_id, 'symbol', i.symbol, "
        "'title', i.title, 'provision', ci.provision)",
        f"claim_instrument ci JOIN instrument i ON i.id = ci.instrument_id "
        f"WHERE ci.claim_id = {claim}.id",
        "ci.position",
    )
    relations = _array(
        "json_object('relation', r.relation, 'target_id', r.target_id)",
        f"claim_relation r WHERE r.claim_id = {claim}.id",
        "r.position",
    )
    return (
        f"json_object('id', {claim}.id, 'predicate', {claim}.predicate, "
        f"'statement', {claim}.statement, 'modality', {claim}.modality, "
        f"'status', {claim}.status, 'retraction_reason', {claim}.retraction_reason, "
        f"'confidence', {claim}.confidence, 'programs', {programs}, 'actors', {actors}, "
        f"'dates', {dates}, 'evidence', {evidence}, 'instruments', {instruments}, "
        f"'relations', {relations}, 'version', {claim}.version, "
        f"'created_at', {_timestamp(claim + '.created_at')}, "
        f"'updated_at', {_timestamp(claim + '.updated_at')})"
    )


def _counts(value: str, source: str) -> str:
    return (
        f"json((SELECT json_group_array(json_object('value', v, 'count', n)) FROM "
        f"(SELECT {value} AS v, count(*) AS n FROM {source} GROUP BY v ORDER BY n DESC, v)))"
    )


FACETS = (
    "WITH matched AS (SELECT c.id, c.predicate, c.modality, c.status FROM claim c "
    f"WHERE c.status IN {STATUSES} AND c.id IN (SELECT claim_id FROM claim_date "
    "WHERE kind = :date_kind AND latest >= :date_from AND earliest <= :date_to)) "
    "SELECT json_object("
    "'total', (SELECT count(*) FROM matched), "
    f"'predicate', {_counts('predicate', 'matched')}, "
    f"'modality', {_counts('modality', 'matched')}, "
    f"'status', {_counts('status', 'matched')}, "
    f"'program', {_counts('program', 'claim_program WHERE claim_id IN (SELECT id FROM matched)')}, "
    "'actor', json((SELECT json_group_array(json_object('actor_id', actor_id, 'name', name, "
    "'count', n)) FROM (SELECT ca.actor_id, a.name, count(DISTINCT ca.claim_id) AS n "
    "FROM claim_actor ca JOIN actor a ON a.id = ca.actor_id "
    "WHERE ca.claim_id IN (SELECT id FROM matched) GROUP BY ca.actor_id, a.name "
    "ORDER BY n DESC, ca.actor_id LIMIT 20))), "
    "'year', json((SELECT json_group_array(json_object('year', CAST(y AS INTEGER), "
    "'count', n)) FROM (SELECT substr(value, 1, 4) AS y, count(DISTINCT claim_id) AS n "
    "FROM claim_date WHERE kind = :date_kind AND latest >= :date_from "
    "AND earliest <= :date_to AND claim_id IN (SELECT id FROM matched) "
    "GROUP BY y ORDER BY y)))"
    ") AS facets"
)


def queries() -> dict[str, str]:
    """The canned queries by name; parameters are `:named`."""
    document = document_sql("c")
    return {
        "claim": f"SELECT {document} AS document FROM claim c WHERE c.id = :id",
        "claims_filtered": (
            f"SELECT {document} AS document FROM claim c WHERE c.status IN {STATUSES} "
            "AND c.id IN (SELECT claim_id FROM claim_actor WHERE actor_id = :actor) "
            "AND c.id IN (SELECT claim_id FROM claim_date WHERE kind = :date_kind "
            "AND latest >= :date_from AND earliest <= :date_to) "
            "ORDER BY c.id LIMIT 50"
        ),
        "claims_after": (
            f"SELECT {document} AS document FROM claim c WHERE c.status IN {STATUSES} "
            "AND c.id > :after ORDER BY c.id LIMIT 50"
        ),
        "claims_search": (
            f"SELECT {document} AS document FROM claim_fts "
            "JOIN claim c ON c.rowid = claim_fts.rowid "
            f"WHERE claim_fts MATCH :q AND c.status IN {STATUSES} "
            "ORDER BY bm25(claim_fts), c.id LIMIT 50"
        ),
        "claim_facets": FACETS,
    }


def write_metadata(path: Path, database: str) -> Path:
    """datasette's metadata.json with our canned queries on `database`."""
    metadata = {
        "title": "Sanctions claims (benchmark peer)",
        "databases": {
            database: {"queries": {name: {"sql": sql} for name, sql in queries().items()}}
        },
    }
    path.write_text(json.dumps(metadata, indent=2))
    return path
