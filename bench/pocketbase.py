"""PocketBase's side: a Go server with its own SQLite store, loaded with the same claims.

Claims become flat records of a `claims` collection (their own columns, a multi-relation to
an `actors` collection, the dates as JSON and the envelope of the `occurred` dates as two
indexed text fields for range filters). The collections are created through PocketBase's
admin API. Up to `API_LOAD_MAX` claims the records go through its batch API, as a user
would send them; beyond, straight into its tables with sqlite3 while it is stopped, because
its record creation slows down as the collection grows (about 1,400 records/s at 10k, near
120/s past 70k on our machine: a million would take days). The loaded data directory is
cached per size beside the SQLite caches.
"""

import json
import shutil
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.cpu import CpuPlan
from bench.servers import Server, free_port, running

EMAIL = "bench@example.invalid"
PASSWORD = "bench-password-not-secret"
BATCH = 500
API_LOAD_MAX = 10_000
FILTER_KIND = "occurred"
# Our ids are UUIDv7-like; PocketBase's default id field takes 15 [a-z0-9] characters.
ID_FIELD = {
    "name": "id",
    "type": "text",
    "primaryKey": True,
    "required": True,
    "system": True,
    "pattern": "^[A-Za-z0-9_-]+$",
    "min": 1,
    "max": 64,
    "autogeneratePattern": "[a-z0-9]{15}",
}


def binary(venv_bin: Path) -> Path | None:
    found = venv_bin / "pocketbase"
    if found.exists():
        return found
    which = shutil.which("pocketbase")
    return Path(which) if which else None


@dataclass(frozen=True)
class LoadStats:
    records: int
    seconds: float
    how: str
    cached: bool = False

    @property
    def rows_per_s(self) -> float:
        return self.records / self.seconds if self.seconds else 0.0


def _call(server: Server, method: str, path: str, token: str | None, body: Any = None) -> Any:
    request = urllib.request.Request(
        server.base_url + path,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json", **({"Authorization": token} if token else {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=300) as answer:
            return json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as error:
        detail = error.read().decode(errors="replace")[:500]
        raise RuntimeError(f"PocketBase {method} {path}: {error.code} {detail}") from None


def _token(server: Server) -> str:
    answer = _call(
        server,
        "POST",
        "/api/collections/_superusers/auth-with-password",
        None,
        {"identity": EMAIL, "password": PASSWORD},
    )
    return str(answer["token"])


def _collections(server: Server, token: str) -> None:
    _call(
        server,
        "PATCH",
        "/api/settings",
        token,
        {"batch": {"enabled": True, "maxRequests": BATCH, "timeout": 120, "maxBodySize": 0}},
    )
    actors = _call(
        server,
        "POST",
        "/api/collections",
        token,
        {
            "name": "actors",
            "type": "base",
            "listRule": "",
            "viewRule": "",
            "fields": [
                ID_FIELD,
                {"name": "name", "type": "text"},
                {"name": "kind", "type": "text"},
            ],
        },
    )
    _call(
        server,
        "POST",
        "/api/collections",
        token,
        {
            "name": "claims",
            "type": "base",
            "listRule": "",
            "viewRule": "",
            "fields": [
                ID_FIELD,
                {"name": "predicate", "type": "text"},
                {"name": "statement", "type": "text"},
                {"name": "modality", "type": "text"},
                {"name": "status", "type": "text"},
                {"name": "confidence", "type": "number"},
                {
                    "name": "actors",
                    "type": "relation",
                    "collectionId": actors["id"],
                    "maxSelect": 999,
                },
                {"name": "dates", "type": "json"},
                {"name": f"{FILTER_KIND}_earliest", "type": "text"},
                {"name": f"{FILTER_KIND}_latest", "type": "text"},
            ],
            "indexes": [
                "CREATE INDEX idx_claims_status ON claims (status)",
                f"CREATE INDEX idx_claims_{FILTER_KIND} ON claims "
                f"({FILTER_KIND}_earliest, {FILTER_KIND}_latest)",
            ],
        },
    )


def _actor_records(source: sqlite3.Connection) -> Iterator[dict[str, Any]]:
    for actor_id, name, kind in source.execute("SELECT id, name, kind FROM actor ORDER BY id"):
        yield {"id": actor_id, "name": name, "kind": kind}


def _claim_records(source: sqlite3.Connection) -> Iterator[dict[str, Any]]:
    """Flat claims, read back from the same SQLite database the API serves."""
    actors: dict[str, list[str]] = {}
    dates: dict[str, list[dict[str, str]]] = {}
    claims = source.execute(
        "SELECT id, predicate, statement, modality, status, confidence FROM claim ORDER BY id"
    )
    # Children come in claim order too: walk them alongside, one claim at a time.
    actor_rows = source.execute(
        "SELECT claim_id, actor_id FROM claim_actor ORDER BY claim_id, position"
    )
    date_rows = source.execute(
        "SELECT claim_id, kind, value, earliest, latest FROM claim_date ORDER BY claim_id, position"
    )
    pending_actor = next(actor_rows, None)
    pending_date = next(date_rows, None)
    for claim_id, predicate, statement, modality, status, confidence in claims:
        while pending_actor is not None and pending_actor[0] <= claim_id:
            actors.setdefault(pending_actor[0], []).append(pending_actor[1])
            pending_actor = next(actor_rows, None)
        while pending_date is not None and pending_date[0] <= claim_id:
            _, kind, value, earliest, latest = pending_date
            dates.setdefault(pending_date[0], []).append(
                {"kind": kind, "value": value, "earliest": earliest, "latest": latest}
            )
            pending_date = next(date_rows, None)
        own_dates = dates.pop(claim_id, [])
        of_kind = [d for d in own_dates if d["kind"] == FILTER_KIND]
        yield {
            "id": claim_id,
            "predicate": predicate,
            "statement": statement,
            "modality": modality,
            "status": status,
            "confidence": confidence,
            "actors": actors.pop(claim_id, []),
            "dates": own_dates,
            f"{FILTER_KIND}_earliest": min((d["earliest"] for d in of_kind), default=""),
            f"{FILTER_KIND}_latest": max((d["latest"] for d in of_kind), default=""),
        }


def _load(server: Server, token: str, collection: str, records: Iterator[dict[str, Any]]) -> int:
    count = 0
    batch: list[dict[str, Any]] = []

    def flush() -> None:
        nonlocal batch
        if batch:
            answers = _call(server, "POST", "/api/batch", token, {"requests": batch})
            failed = [a for a in answers if a.get("status") not in (200, 201, 204)]
            if failed:
                raise RuntimeError(f"PocketBase refused a record: {failed[0]}")
            batch = []

    for record in records:
        batch.append(
            {"method": "POST", "url": f"/api/collections/{collection}/records", "body": record}
        )
        count += 1
        if len(batch) >= BATCH:
            flush()
    flush()
    return count


def _insert_directly(data_dir: Path, source: sqlite3.Connection) -> int:
    """Rows into the tables PocketBase made for the collections, in its storage format
    (text never NULL, a number 0 when unset, JSON as text), in one transaction."""
    target = sqlite3.connect(data_dir / "data.db")
    try:
        with target:
            target.executemany(
                "INSERT INTO actors (id, name, kind) VALUES (:id, :name, :kind)",
                _actor_records(source),
            )
            count = 0

            def rows() -> Iterator[dict[str, Any]]:
                nonlocal count
                for record in _claim_records(source):
                    count += 1
                    yield {
                        **record,
                        "confidence": record["confidence"] or 0,
                        "actors": json.dumps(record["actors"], separators=(",", ":")),
                        "dates": json.dumps(record["dates"], separators=(",", ":")),
                    }

            target.executemany(
                "INSERT INTO claims (id, predicate, statement, modality, status, confidence, "
                f"actors, dates, {FILTER_KIND}_earliest, {FILTER_KIND}_latest) VALUES (:id, "
                ":predicate, :statement, :modality, :status, :confidence, :actors, :dates, "
                f":{FILTER_KIND}_earliest, :{FILTER_KIND}_latest)",
                rows(),
            )
    finally:
        target.close()
    return count


def _command(pocketbase: Path, data_dir: Path, port: int, cpu: CpuPlan) -> list[str]:
    return [
        *cpu.server_prefix(),
        str(pocketbase),
        "serve",
        "--http",
        f"127.0.0.1:{port}",
        "--dir",
        str(data_dir),
        # No migration files written beside the cache, nor replayed into another size's data.
        "--automigrate=false",
    ]


def prepare(
    pocketbase: Path, source_db: Path, data_dir: Path, log_dir: Path, cpu: CpuPlan
) -> LoadStats:
    """A PocketBase data directory holding the claims of `source_db`, made once and cached.

    The stats file beside it records the load rate measured when it was made."""
    stats_file = data_dir.parent / (data_dir.name + ".json")
    if stats_file.exists() and data_dir.exists():
        saved = json.loads(stats_file.read_text())
        if saved.get("source_mtime") == source_db.stat().st_mtime:
            return LoadStats(
                saved["records"], saved["seconds"], saved.get("how", "batch API"), cached=True
            )
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    subprocess.run(
        [str(pocketbase), "superuser", "upsert", EMAIL, PASSWORD, "--dir", str(data_dir)],
        check=True,
        capture_output=True,
    )
    source = sqlite3.connect(f"file:{source_db}?immutable=1", uri=True)
    try:
        through_api = _claim_count(source) <= API_LOAD_MAX
        with serve(pocketbase, data_dir, log_dir, cpu, name="pocketbase-load") as server:
            token = _token(server)
            _collections(server, token)
            started = time.perf_counter()
            if through_api:
                _load(server, token, "actors", _actor_records(source))
                records = _load(server, token, "claims", _claim_records(source))
                seconds = time.perf_counter() - started
        if not through_api:
            started = time.perf_counter()
            records = _insert_directly(data_dir, source)
            seconds = time.perf_counter() - started
    finally:
        source.close()
    how = (
        f"batch API, {BATCH} records a request"
        if through_api
        else "sqlite3 into its tables (its API is too slow past ~70k records)"
    )
    stats_file.write_text(
        json.dumps(
            {
                "records": records,
                "seconds": seconds,
                "how": how,
                "source_mtime": source_db.stat().st_mtime,
            }
        )
    )
    return LoadStats(records, seconds, how)


def _claim_count(source: sqlite3.Connection) -> int:
    return int(source.execute("SELECT count(*) FROM claim").fetchone()[0])


@contextmanager
def serve(
    pocketbase: Path, data_dir: Path, log_dir: Path, cpu: CpuPlan, *, name: str = "pocketbase"
) -> Iterator[Server]:
    port = free_port()
    with running(
        name,
        _command(pocketbase, data_dir, port, cpu),
        port=port,
        ready_path="/api/health",
        log_dir=log_dir,
    ) as server:
        yield server
