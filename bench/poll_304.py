"""What a dashboard's conditional poll saves: a 200 against a 304 on the same list.

Starts the API (uvicorn, its own process) on a free loopback port over a fresh SQLite
database, writes
~2,000 claims through the services, then sends N sequential requests for a page of
`/v1/claims?limit=50` (and of the change feed) twice: without `If-None-Match` (200 with the
body) and with the ETag it got (304, no body). Prints latency (mean, p50, p99) and
throughput of both, and their ratio.

    .venv/bin/python -m bench.poll_304 [--claims 2000] [--requests 2000]
"""

import argparse
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from alembic import command
from sqlalchemy import Engine

from app.actors import service as actors
from app.actors.schemas import ActorCreate
from app.claims import service as claims
from app.claims.schemas import ClaimCreate
from app.cli import alembic_config
from app.db import make_engine, write_session
from app.sources import service as sources
from app.sources.schemas import SourceCreate
from bench.servers import api_process

TEXT = (
    "In July, North Korea recognised the Donetsk (DPR) and Luhansk People's Republics "
    "(LPR) in eastern Ukraine's Donbas region, as independent states. Ukraine immediately "
    "severed relations with Pyongyang over the move."
)
QUOTE = "North Korea recognised the Donetsk"
PREDICATES = ["recognition", "severing_of_relations", "talks", "statement"]


def load(engine: Engine, count: int) -> float:
    """Write `count` claims through the services, one transaction each; return seconds."""
    started = time.perf_counter()
    with write_session(engine) as session:
        source = sources.create_source(
            session,
            SourceCreate(kind="news_article", title="KCNA via Reuters", text=TEXT),
            who="bench",
        )
    with write_session(engine) as session:
        actor = actors.create_actor(
            session, ActorCreate(kind="state", name="North Korea"), who="bench"
        )
    start = TEXT.index(QUOTE)
    for n in range(count):
        body = ClaimCreate.model_validate(
            {
                "predicate": PREDICATES[n % len(PREDICATES)],
                "statement": f"North Korea recognised the DPR and LPR (claim {n}).",
                "modality": "occurred",
                "status": "published",
                "confidence": 0.9,
                "programs": ["DPRK3"],
                "actors": [{"actor_id": actor.id, "role": "agent"}],
                "dates": [{"kind": "occurred", "value": "2022-07"}],
                "evidence": [
                    {
                        "source_id": source.id,
                        "start": start,
                        "end": start + len(QUOTE),
                        "quote": QUOTE,
                    }
                ],
            }
        )
        with write_session(engine) as session:
            claims.create_claim(session, body, who="bench")
    return time.perf_counter() - started


@contextmanager
def serve(database_url: str, log_dir: Path) -> Iterator[str]:
    """uvicorn in a process of its own (so client and server do not share a GIL) on a free
    loopback port; yields the base URL and stops the process at the end."""
    with api_process(database_url, "bench", log_dir, access_log=False) as server:
        yield server.base_url


@dataclass(frozen=True)
class Run:
    label: str
    status: int
    body_bytes: int
    timings: list[float]  # seconds, one per request

    @property
    def mean_ms(self) -> float:
        return statistics.fmean(self.timings) * 1000

    def percentile_ms(self, p: float) -> float:
        ordered = sorted(self.timings)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000

    @property
    def per_second(self) -> float:
        return len(self.timings) / sum(self.timings)


def measure(
    client: httpx.Client, label: str, url: str, requests: int, headers: dict[str, str]
) -> Run:
    for _ in range(min(100, requests)):  # warm up connection, caches, code paths
        client.get(url, headers=headers)
    timings = []
    statuses = set()
    size = 0
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(url, headers=headers)
        timings.append(time.perf_counter() - started)
        statuses.add(response.status_code)
        size = len(response.content)
    if len(statuses) != 1:
        raise SystemExit(f"{label}: mixed statuses {statuses}")
    return Run(label, statuses.pop(), size, timings)


def compare(client: httpx.Client, url: str, requests: int) -> tuple[Run, Run]:
    first = client.get(url)
    first.raise_for_status()
    etag = first.headers["ETag"]
    full = measure(client, f"GET {url}", url, requests, {})
    cached = measure(client, f"GET {url} + If-None-Match", url, requests, {"If-None-Match": etag})
    if (full.status, cached.status) != (200, 304):
        raise SystemExit(f"expected 200 and 304, got {full.status} and {cached.status}")
    return full, cached


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--claims", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="poll304-") as folder:
        url = f"sqlite:///{Path(folder) / 'claims.db'}"
        command.upgrade(alembic_config(url), "head")
        engine = make_engine(url)
        seconds = load(engine, args.claims)
        engine.dispose()
        print(
            f"loaded {args.claims} claims in {seconds:.1f} s "
            f"({args.claims / seconds:.0f} writes/s, SQLite, one transaction each)"
        )

        with serve(url, Path(folder)) as base_url, httpx.Client(base_url=base_url) as client:
            pairs = [
                compare(client, "/v1/claims?limit=50", args.requests),
                compare(client, "/v1/changes?limit=100", args.requests),
            ]

    header = f"{'request':<46} {'status':>6} {'bytes':>7} {'mean ms':>8} {'p50 ms':>7} "
    header += f"{'p99 ms':>7} {'req/s':>7}"
    print(f"\n{args.requests} sequential requests each, one keep-alive connection\n")
    print(header)
    print("-" * len(header))
    for full, cached in pairs:
        for run in (full, cached):
            print(
                f"{run.label:<46} {run.status:>6} {run.body_bytes:>7} {run.mean_ms:>8.3f} "
                f"{run.percentile_ms(50):>7.3f} {run.percentile_ms(99):>7.3f} "
                f"{run.per_second:>7.0f}"
            )
        print(
            f"{'  304/200: time':<46} {'':>6} {'':>7} {cached.mean_ms / full.mean_ms:>8.2f} "
            f"{cached.percentile_ms(50) / full.percentile_ms(50):>7.2f} "
            f"{cached.percentile_ms(99) / full.percentile_ms(99):>7.2f} "
            f"{cached.per_second / full.per_second:>6.1f}x"
        )


if __name__ == "__main__":
    main()
