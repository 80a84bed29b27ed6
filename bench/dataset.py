"""The benchmark data: the project's generator, loaded through the project's bulk path.

This module is the only place the harness touches `devtools.generator` and `devtools.bulk`. A loaded
SQLite database is cached as bench/.cache/claims-<n>.db with a JSON file beside it that
records how it was made (a fingerprint of the generator, loader and migrations, and the
load figures); a PostgreSQL database `bench_claims_<n>` is cached the same way, its
fingerprint kept as the database's comment. Either is rebuilt when its fingerprint changes.
"""

import hashlib
import json
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from alembic import command
from sqlalchemy import Engine, create_engine, inspect, text

from app.cli import alembic_config
from app.db import make_engine
from devtools import bulk, generator

ROOT = Path(__file__).resolve().parent.parent
FINGERPRINTED = [
    "devtools/generator.py",
    "devtools/bulk.py",
    "app/claims/projection.py",
    "app/claims/search.py",
    *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "migrations" / "versions").glob("*.py")),
]
# Claims generated and loaded at a time; a multiple of the generator's claims per source, so
# chunks give the same data as one call.
CHUNK = 60_000
FORMAT = 1  # bump when what the harness caches changes shape


@dataclass(frozen=True)
class Load:
    claims: int
    rows: int
    seconds: float
    generate_seconds: float
    cached: bool = False

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "rows_per_s": round(self.rows_per_s),
            "claims_per_s": round(self.claims / self.seconds) if self.seconds else 0,
        }


@dataclass(frozen=True)
class Database:
    url: str
    path: Path | None
    load: Load


def _digest(names: list[str], salt: str) -> str:
    digest = hashlib.sha256(salt.encode())
    for name in names:
        path = ROOT / name
        digest.update(name.encode())
        digest.update(path.read_bytes() if path.exists() else b"-")
    return digest.hexdigest()[:16]


def fingerprint(claims: int, seed: int) -> str:
    """What the cached data depends on: generator, loader, rendering and schema."""
    return _digest(FINGERPRINTED, f"{FORMAT}:{claims}:{seed}")


def schema_fingerprint() -> str:
    """The migrations alone: a cache made with other code but this schema still serves."""
    return _digest([name for name in FINGERPRINTED if name.startswith("migrations/")], "")


def _row_count(engine: Engine) -> int:
    """Rows in every table the load writes (FTS shadow tables and alembic's excluded)."""
    with engine.connect() as connection:
        names = [
            name
            for name in inspect(connection).get_table_names()
            if not name.startswith(("claim_fts", "alembic", "sqlite_"))
        ]
        return sum(
            int(connection.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one())
            for name in names
        )


def _generate_and_load(url: str, claims: int, seed: int) -> Load:
    """Migrate an empty database at `url`, then generate `claims` claims and bulk-load them
    in chunks (the generator continues where it stopped, so the data is the same as one
    `generate(seed, claims)`, without holding a million claims in memory). Only the time
    spent in `bulk.load` counts as load time."""
    command.upgrade(alembic_config(url), "head")
    engine = make_engine(url)
    try:
        before = _row_count(engine)
        made = generator.Generator(seed)
        started = time.perf_counter()
        reference = made.reference()
        generated = time.perf_counter() - started
        loading = bulk.load(engine, reference).seconds
        remaining = claims
        while remaining > 0:
            started = time.perf_counter()
            chunk = made.claims(min(CHUNK, remaining))
            generated += time.perf_counter() - started
            remaining -= len(chunk.claims)
            # The loader analyzes (on PostgreSQL) after a load: once, after the last chunk.
            loading += bulk.load(engine, chunk, analyze=remaining <= 0).seconds
        rows = _row_count(engine) - before
    finally:
        engine.dispose()
    return Load(claims=claims, rows=rows, seconds=loading, generate_seconds=generated)


def _reusable(saved: dict[str, Any], wanted: str, seed: int, keep: bool) -> bool:
    """The cache was made from this code, or `keep` says a cache of this seed will do (made
    by an older generator, loader or rendering; migrated to the current schema)."""
    if saved.get("fingerprint") == wanted:
        return True
    return keep and saved.get("seed") == seed


def _migrate_kept(url: str, saved: dict[str, Any]) -> dict[str, Any]:
    """Bring a kept cache to the latest migration, as a user upgrading would."""
    if saved.get("schema") != schema_fingerprint():
        command.upgrade(alembic_config(url), "head")
        saved = {**saved, "schema": schema_fingerprint(), "migrated": True}
    return saved


def sqlite(claims: int, seed: int, cache_dir: Path, *, keep: bool = False) -> Database:
    """The cached SQLite database of `claims` claims, built if missing or stale."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    path = cache_dir / f"claims-{claims}.db"
    info = cache_dir / f"claims-{claims}.json"
    wanted = fingerprint(claims, seed)
    if path.exists() and info.exists():
        saved = json.loads(info.read_text())
        if _reusable(saved, wanted, seed, keep):
            migrated = _migrate_kept(f"sqlite:///{path}", saved)
            if migrated is not saved:
                _checkpoint(path)
                info.write_text(json.dumps(migrated, indent=1))
            load = Load(**{**saved["load"], "cached": True})
            return Database(f"sqlite:///{path}", path, load)
    building = cache_dir / f"claims-{claims}.building.db"
    for stale in (path, building):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{stale}{suffix}").unlink(missing_ok=True)
    load = _generate_and_load(f"sqlite:///{building}", claims, seed)
    _checkpoint(building)
    building.rename(path)
    fields = {k: v for k, v in asdict(load).items() if k != "cached"}
    saved = {"fingerprint": wanted, "schema": schema_fingerprint(), "seed": seed, "load": fields}
    info.write_text(json.dumps(saved, indent=1))
    return Database(f"sqlite:///{path}", path, load)


def _checkpoint(path: Path) -> None:
    """Fold the WAL into the file, so datasette can open it immutable."""
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.exec_driver_sql("PRAGMA journal_mode=DELETE")
    engine.dispose()


def postgres(claims: int, seed: int, admin_url: str, *, keep: bool = False) -> Database:
    """The cached PostgreSQL database `bench_claims_<n>` on the server of `admin_url`."""
    name = f"bench_claims_{claims}"
    wanted = fingerprint(claims, seed)
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    try:
        with admin.connect() as connection:
            comment = connection.execute(
                text(
                    "SELECT shobj_description(oid, 'pg_database') FROM pg_database "
                    "WHERE datname = :name"
                ),
                {"name": name},
            ).first()
            if comment and comment[0]:
                saved = json.loads(comment[0])
                if _reusable(saved, wanted, seed, keep):
                    migrated = _migrate_kept(url, saved)
                    if migrated is not saved:
                        saved_text = json.dumps(migrated)
                        connection.execute(
                            text(f"COMMENT ON DATABASE \"{name}\" IS '{saved_text}'")
                        )
                    load = Load(**{**saved["load"], "cached": True})
                    return Database(url, None, load)
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        load = _generate_and_load(url, claims, seed)
        fields = {k: v for k, v in asdict(load).items() if k != "cached"}
        with admin.connect() as connection:
            saved_text = json.dumps(
                {
                    "fingerprint": wanted,
                    "schema": schema_fingerprint(),
                    "seed": seed,
                    "load": fields,
                }
            )
            connection.execute(
                text(f"COMMENT ON DATABASE \"{name}\" IS '{saved_text}'")  # our own JSON
            )
        return Database(url, None, load)
    finally:
        admin.dispose()


def copy_baseline(url: str) -> dict[str, Any]:
    """What COPY does with the same rows: each loaded table copied out (binary, to a temp
    file) and timed copying back into an empty clone with the same indexes (full-text
    included). The bulk path's rows/s over this is how close it is to COPY speed."""
    import psycopg  # PostgreSQL only

    plain = url.replace("postgresql+psycopg://", "postgresql://")
    rows = 0
    seconds = 0.0
    with psycopg.connect(plain, autocommit=True) as connection:
        tables = [
            name
            for (name,) in connection.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename NOT IN ('alembic_version') AND tablename NOT LIKE 'bench_copy_%'"
            )
        ]
        for table in tables:
            clone = f"bench_copy_{table}"
            connection.execute(f'DROP TABLE IF EXISTS "{clone}"')
            connection.execute(
                f'CREATE TABLE "{clone}" (LIKE "{table}" INCLUDING DEFAULTS INCLUDING INDEXES)'
            )
            with tempfile.TemporaryFile() as spool:
                with connection.cursor().copy(f'COPY "{table}" TO STDOUT (FORMAT binary)') as out:
                    for chunk in out:
                        spool.write(chunk)
                spool.seek(0)
                started = time.perf_counter()
                with connection.cursor().copy(f'COPY "{clone}" FROM STDIN (FORMAT binary)') as into:
                    while chunk := spool.read(1 << 20):
                        into.write(chunk)
                seconds += time.perf_counter() - started
            rows += int(connection.execute(f'SELECT count(*) FROM "{clone}"').fetchone()[0])
            connection.execute(f'DROP TABLE "{clone}"')
    return {"rows": rows, "seconds": round(seconds, 2), "rows_per_s": round(rows / seconds)}
