"""What reading the past and keeping it cost: as-of lists beside current lists, and a claim
create with its system-versioned rows beside one without them.

Reads: the 100k-claim data set of the harness (bench/dataset.py, cached in bench/.cache),
each list shape answered in-process the way the route answers it (resolve the query, read
the page: ids, ETags and stored documents), once as it is now and once `as_of` the last
revision (every version table row is a candidate: the widest past), rounds alternating.
Writes: claims created through the service on a new database each time, with the version
rows and with `keep_versions` switched off, alternating in the same run.

Reports the medians and the ratios (targets: an as-of list ≤ 3× the current list; a create
with history ≤ 1.3× one without), and writes them to bench/results/as_of.json.

    .venv/bin/python -m bench.as_of [--claims 100000] [--rounds 5] [--writes 200]
"""

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest.mock import patch

import orjson
from alembic import command
from rich.console import Console
from rich.table import Table
from sqlalchemy import Connection, Engine, text

from app.claims.params import ClaimListParams
from app.claims.queries import claim_listing
from app.cli import alembic_config
from app.db import make_engine
from bench import dataset
from bench.poll_304 import load

RESULTS = Path(__file__).resolve().parent / "results" / "as_of.json"
CACHE = Path(__file__).resolve().parent / ".cache"
READ_TARGET = 3.0
WRITE_TARGET = 1.3
SECRET = "bench"


def _shapes(connection: Connection) -> dict[str, dict[str, Any]]:
    """List queries a dashboard sends, drawn from the data."""
    actor = connection.execute(
        text("SELECT actor_id FROM claim_actor GROUP BY actor_id ORDER BY count(*) DESC LIMIT 1")
    ).scalar_one()
    predicate = connection.execute(
        text("SELECT predicate FROM claim GROUP BY predicate ORDER BY count(*) DESC LIMIT 1")
    ).scalar_one()
    return {
        "first page": {},
        "predicate": {"predicate": [predicate]},
        "actor": {"actor": [actor]},
        "actor in 2019": {"actor": [actor], "date_from": "2019", "date_to": "2019"},
        "by date": {"sort": "date"},
        "by update, desc": {"sort": "-updated_at"},
        "valid_at": {"valid_at": "2019-06-01"},
    }


def _page_seconds(engine: Engine, params: ClaimListParams, repeat: int) -> float:
    listing = claim_listing(SECRET, params)
    with engine.connect() as connection:
        started = time.perf_counter()
        for _ in range(repeat):
            with connection.begin():
                listing.page(connection, listing.resolve(connection))
        return (time.perf_counter() - started) / repeat


def _reads(claims: int, seed: int, rounds: int, repeat: int) -> dict[str, Any]:
    db = dataset.sqlite(claims, seed, CACHE)
    engine = make_engine(db.url)
    try:
        with engine.connect() as connection:
            shapes = _shapes(connection)
        as_of = datetime.now(UTC).isoformat()
        found: dict[str, Any] = {}
        for name, query in shapes.items():
            now_s: list[float] = []
            past_s: list[float] = []
            current = ClaimListParams.model_validate(query)
            past = ClaimListParams.model_validate({**query, "as_of": as_of})
            _page_seconds(engine, current, 2)  # warm the statement caches
            _page_seconds(engine, past, 2)
            for _ in range(rounds):
                now_s.append(_page_seconds(engine, current, repeat))
                past_s.append(_page_seconds(engine, past, repeat))
            ratio = statistics.median(past_s) / statistics.median(now_s)
            found[name] = {
                "query": query,
                "current_ms": statistics.median(now_s) * 1000,
                "as_of_ms": statistics.median(past_s) * 1000,
                "as_of_over_current": ratio,
                "meets_target": ratio <= READ_TARGET,
            }
    finally:
        engine.dispose()
    return found


def _create_seconds(count: int) -> float:
    """Seconds a claim create takes, over `count` creates on a new database."""
    with tempfile.TemporaryDirectory(prefix="as-of-") as folder:
        url = f"sqlite:///{Path(folder) / 'claims.db'}"
        command.upgrade(alembic_config(url), "head")
        engine = make_engine(url)
        try:
            return load(engine, count) / count
        finally:
            engine.dispose()


def _writes(count: int, rounds: int) -> dict[str, Any]:
    with_s: list[float] = []
    without_s: list[float] = []
    for _ in range(rounds):
        with_s.append(_create_seconds(count))
        # The service's one call of the version rows, switched off: the create without history.
        with patch("app.claims.service.keep_versions", lambda *args, **kwargs: None):
            without_s.append(_create_seconds(count))
    ratio = statistics.median(with_s) / statistics.median(without_s)
    return {
        "with_history_ms": statistics.median(with_s) * 1000,
        "without_history_ms": statistics.median(without_s) * 1000,
        "with_over_without": ratio,
        "meets_target": ratio <= WRITE_TARGET,
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.as_of", description=__doc__)
    parser.add_argument("--claims", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=20221)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=20, help="pages timed per round")
    parser.add_argument("--writes", type=int, default=200, help="creates timed per round")
    args = parser.parse_args()
    console = Console(width=120)
    reads = _reads(args.claims, args.seed, args.rounds, args.repeat)
    table = Table(title=f"As-of lists beside current lists, {args.claims:,} claims (SQLite)")
    for header in ("list", "current ms", "as_of ms", "as_of/current"):
        table.add_column(header)
    for name, figures in reads.items():
        table.add_row(
            name,
            f"{figures['current_ms']:.2f}",
            f"{figures['as_of_ms']:.2f}",
            f"{figures['as_of_over_current']:.2f}",
        )
    console.print(table)
    writes = _writes(args.writes, args.rounds)
    console.print(
        f"create with history {writes['with_history_ms']:.2f} ms, without "
        f"{writes['without_history_ms']:.2f} ms: {writes['with_over_without']:.3f}× "
        f"(target ≤ {WRITE_TARGET}×)"
    )
    report = {"claims": args.claims, "rounds": args.rounds, "reads": reads, "writes": writes}
    RESULTS.write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2))
    console.print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
