"""What a dashboard's conditional poll saves: a 200 against a 304 on the same list.

Starts the API (uvicorn, its own process) on a free loopback port over a fresh SQLite
database, writes
~2,000 claims through the services, then sends N sequential requests for a page of
`/v1/claims?limit=50` (and of the change feed) twice: without `If-None-Match` (200 with the
body) and with the ETag it got (304, no body). Prints latency (mean, p50, p99) and
throughput of both, and their ratio.

    .venv/bin/python -m bench.poll_304 [--claims 2000] [--requests 2000]

With `--writes`, the 304 rate under unrelated writes instead (`under_writes`, also the
`poll_writes` scenario of bench/run.py): on a copy of the benchmark's cached database,
N writer processes (4) create actors and sources with fresh names through the API, which no
polled list contains, while a dashboard polls a fixed set of lists with If-None-Match of
the ETag it got first: claim lists filtered by actor and window, and the first page, full
and with more after it, of `/v1/sources`, `/v1/actors` and `/v1/instruments` (in id order,
so new rows land beyond it). Reports the share of 304 answers per list (target 100%), checks
that the polled pages are indeed unchanged afterwards, and times with wrk, at 1 connection
and without writes, a 304 against a 200 of each list (target: a 304 costs ≤ 0.25×).

    .venv/bin/python -m bench.poll_304 --writes [--claims 10000] [--writers 4] [--duration 5]
"""

import argparse
import multiprocessing
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from alembic import command
from sqlalchemy import Engine

from app.actors import service as actors
from app.actors.schemas import ActorCreate
from app.claims import service as claims
from app.claims.schemas import ClaimCreate
from app.cli import alembic_config
from app.db import make_engine, write_session
from app.revisions.service import Author
from app.sources import service as sources
from app.sources.schemas import SourceCreate
from bench.cpu import CpuPlan
from bench.servers import api_process

TEXT = (
    "In July, North Korea recognised the Donetsk (DPR) and Luhansk People's Republics "
    "(LPR) in eastern Ukraine's Donbas region, as independent states. Ukraine immediately "
    "severed relations with Pyongyang over the move."
)
QUOTE = "North Korea recognised the Donetsk"
PREDICATES = ["recognition", "severing_of_relations", "talks", "statement"]

BENCH = Author("bench")


def load(engine: Engine, count: int) -> float:
    """Write `count` claims through the services, one transaction each; return seconds."""
    started = time.perf_counter()
    with write_session(engine) as session:
        source = sources.create_source(
            session,
            SourceCreate(kind="news_article", title="KCNA via Reuters", text=TEXT),
            who=BENCH,
        )
    with write_session(engine) as session:
        actor = actors.create_actor(
            session, ActorCreate(kind="state", name="North Korea"), who=BENCH
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
            claims.create_claim(session, body, who=BENCH)
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


# Under unrelated writes: which lists a dashboard polls, the writers, the poll and the cost.

LIST_KINDS = ("claims", "sources", "actors", "instruments")
PAGE_LIMITS = (20, 10, 5, 2, 1)  # the first that gives a full page with more after it
CLAIM_LISTS = 10
TARGET_304_SHARE = 1.0
TARGET_304_COST = 0.25
WRITE_TEXT = "Unrelated bench write {n}: a statement no polled list quotes."


@dataclass(frozen=True)
class Polled:
    kind: str
    path: str
    etag: str
    ids: list[str]
    next_cursor: bool


def _page(client: httpx.Client, path: str) -> tuple[str, list[str], bool]:
    answer = client.get(path)
    if answer.status_code != 200:
        raise RuntimeError(f"{path} answered {answer.status_code}: {answer.text[:200]}")
    body = answer.json()
    return answer.headers["ETag"], [item["id"] for item in body["data"]], bool(body["next_cursor"])


def polled_lists(client: httpx.Client, claim_paths: list[str]) -> tuple[list[Polled], list[str]]:
    """The lists to poll (their first ETag and ids) and notes on the ones left out."""
    found: list[Polled] = []
    notes: list[str] = []
    for path in claim_paths[:CLAIM_LISTS]:
        etag, ids, more = _page(client, path)
        found.append(Polled("claims", path, etag, ids, more))
    for kind in LIST_KINDS[1:]:
        for limit in PAGE_LIMITS:
            path = f"/v1/{kind}?limit={limit}"
            etag, ids, more = _page(client, path)
            if len(ids) == limit and more:
                found.append(Polled(kind, path, etag, ids, more))
                break
        else:
            notes.append(f"/v1/{kind}: no full first page with more after it; not polled")
    return found, notes


def _writer(base_url: str, actor_kind: str, source_kind: str, stop: Any, done: Any) -> None:
    """Create actors and sources with fresh names until `stop` is set (its own process)."""
    tag = uuid.uuid4().hex[:10]
    with httpx.Client(base_url=base_url, timeout=60) as client:
        n = 0
        while not stop.is_set():
            n += 1
            if n % 2:
                body: dict[str, Any] = {"kind": actor_kind, "name": f"Bench writer {tag} {n}"}
                answer = client.post("/v1/actors", json=body)
            else:
                body = {
                    "kind": source_kind,
                    "title": f"Bench writer {tag} {n}",
                    "text": WRITE_TEXT.format(n=n),
                }
                answer = client.post("/v1/sources", json=body)
            if answer.status_code == 503:  # the write lock was busy: the API says retry
                continue
            if answer.status_code != 201:
                raise RuntimeError(f"write answered {answer.status_code}: {answer.text[:300]}")
            with done.get_lock():
                done.value += 1


def _kinds(client: httpx.Client) -> tuple[str, str]:
    """An actor kind and a source kind the data's vocabularies accept (those of real rows)."""
    actor = client.get("/v1/actors?limit=1").json()["data"][0]["kind"]
    source = client.get("/v1/sources?limit=1").json()["data"][0]["kind"]
    return str(actor), str(source)


def _poll(client: httpx.Client, lists: list[Polled], seconds: float) -> dict[str, dict[str, int]]:
    counts = {kind: {"304": 0, "200": 0} for kind in LIST_KINDS}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for polled in lists:
            answer = client.get(polled.path, headers={"If-None-Match": polled.etag})
            if answer.status_code not in (200, 304):
                raise RuntimeError(f"poll {polled.path}: {answer.status_code} {answer.text[:200]}")
            counts[polled.kind][str(answer.status_code)] += 1
    return counts


def _cost(
    base_url: str, lists: list[Polled], work: Path, cpu: CpuPlan, seconds: float, seed: int
) -> dict[str, dict[str, float]]:
    """wrk at 1 connection, no writes: each kind's lists with their current ETag (304)
    against the same lists without it (200)."""
    from bench.wrk import run_wrk  # wrk is only needed here

    costs: dict[str, dict[str, float]] = {}
    with httpx.Client(base_url=base_url) as client:
        current = {p.path: _page(client, p.path)[0] for p in lists}
    for kind in LIST_KINDS:
        mine = [p for p in lists if p.kind == kind]
        if not mine:
            continue
        runs = {}
        for status, with_etag in ((200, False), (304, True)):
            requests = work / f"poll_writes.{kind}.{status}.txt"
            requests.write_text(
                "".join(
                    f"{p.path}\t{current[p.path]}\n" if with_etag else f"{p.path}\n" for p in mine
                )
            )
            runs[status] = run_wrk(
                base_url, requests, connections=1, duration_s=seconds, seed=seed,
                expected_status=status, cpu=cpu, label=f"poll_writes {kind} {status}",
            )  # fmt: skip
        full, cached = runs[200], runs[304]
        costs[kind] = {
            "rps_200": round(full.rps, 1),
            "rps_304": round(cached.rps, 1),
            "p50_ms_200": round(full.p50_ms, 3),
            "p50_ms_304": round(cached.p50_ms, 3),
            "cost_304_over_200_rps": round(full.rps / cached.rps, 3),
            "cost_304_over_200_p50": round(cached.p50_ms / full.p50_ms, 3),
        }
    return costs


def under_writes(
    database: Path,
    work: Path,
    cpu: CpuPlan,
    claim_paths: list[str],
    *,
    writers: int = 4,
    seconds: float = 5.0,
    wrk_seconds: float = 2.0,
    seed: int = 1,
) -> dict[str, Any]:
    """The 304 share of polls of unchanged lists while `writers` processes write unrelated
    records, then the cost of a 304 against a 200 (see the module's docstring). Works on a
    copy of `database`, so the benchmark's cached data is not written to."""
    from bench import peers  # the harness's way of starting the API

    work.mkdir(parents=True, exist_ok=True)
    copy = work / "poll-writes.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{copy}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(database, copy)
    url = f"sqlite:///{copy}"
    context = multiprocessing.get_context("spawn")
    with (
        peers.api("api-poll-writes", url, work / "logs", cpu, cursor_secret="bench") as server,
        httpx.Client(base_url=server.base_url, timeout=60) as client,
    ):
        lists, notes = polled_lists(client, claim_paths)
        actor_kind, source_kind = _kinds(client)
        stop = context.Event()
        done = context.Value("i", 0)
        processes = [
            context.Process(
                target=_writer, args=(server.base_url, actor_kind, source_kind, stop, done)
            )
            for _ in range(writers)
        ]
        for process in processes:
            process.start()
        try:
            # The writers are writing before the first poll (a spawned process takes seconds
            # to import what it needs).
            waited = time.monotonic()
            while done.value < writers and time.monotonic() - waited < 120:
                if any(p.exitcode not in (None, 0) for p in processes):
                    break
                time.sleep(0.1)
            before = done.value
            started = time.monotonic()
            counts = _poll(client, lists, seconds)
            written = done.value - before
            elapsed = time.monotonic() - started
        finally:
            stop.set()
            for process in processes:
                process.join(timeout=60)
        failed = [p.exitcode for p in processes if p.exitcode != 0]
        if failed:
            raise RuntimeError(f"writers failed (exit codes {failed}): see the output above")
        changed = []
        for polled in lists:
            _, ids, more = _page(client, polled.path)
            if (ids, more) != (polled.ids, polled.next_cursor):
                changed.append(polled.path)
        costs = _cost(server.base_url, lists, work, cpu, wrk_seconds, seed)
    copy.unlink(missing_ok=True)
    by_kind: dict[str, Any] = {}
    for kind in LIST_KINDS:
        polls = counts[kind]["304"] + counts[kind]["200"]
        if not polls:
            continue
        by_kind[kind] = {
            "lists": sum(1 for p in lists if p.kind == kind),
            "paths": [p.path for p in lists if p.kind == kind][:3],
            "polls": polls,
            "answers_304": counts[kind]["304"],
            "share_304": round(counts[kind]["304"] / polls, 4),
            **costs.get(kind, {}),
        }
    if changed:
        notes.append(
            f"{len(changed)} polled page(s) changed during the writes, so those writes were "
            f"not unrelated: {changed[:3]}"
        )
    return {
        "writers": writers,
        "writes": written,
        "writes_per_s": round(written / elapsed, 1),
        "poll_seconds": seconds,
        "pages_unchanged": not changed,
        "lists": by_kind,
        "notes": notes,
    }


def print_under_writes(found: dict[str, Any], out: Any = print) -> None:
    out(
        f"{found['writers']} writers: {found['writes']:,} unrelated writes during the poll "
        f"({found['writes_per_s']:,.0f}/s) while polling for {found['poll_seconds']:.0f} s; "
        f"polled pages unchanged: {'yes' if found['pages_unchanged'] else 'NO'}"
    )
    header = f"{'list':<12} {'lists':>5} {'polls':>6} {'304 share':>9} "
    header += f"{'200 req/s':>9} {'304 req/s':>9} {'304/200 cost':>12} {'p50 304/200':>11}"
    out(header)
    for kind, row in found["lists"].items():
        out(
            f"{kind:<12} {row['lists']:>5} {row['polls']:>6} {row['share_304']:>9.1%} "
            f"{row.get('rps_200', 0):>9,.0f} {row.get('rps_304', 0):>9,.0f} "
            f"{row.get('cost_304_over_200_rps', 0):>11.2f}x "
            f"{row.get('cost_304_over_200_p50', 0):>10.2f}x"
        )
    for note in found["notes"]:
        out(f"note: {note}")


def main_writes(args: argparse.Namespace) -> None:
    from bench import cases, dataset, scenarios
    from bench.cpu import plan
    from bench.wrk import wrk_binary

    wrk_binary()
    cache = Path(__file__).resolve().parent / ".cache"
    db = dataset.sqlite(args.claims, args.seed, cache)
    assert db.path is not None
    drawn = cases.draw(db.path, args.seed)
    paths = [scenarios.api_filtered(case) for case in drawn.lists]
    found = under_writes(
        db.path,
        cache / "run" / "poll_writes",
        plan(),
        paths,
        writers=args.writers,
        seconds=args.duration,
        wrk_seconds=args.wrk_duration,
        seed=args.seed,
    )
    print_under_writes(found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--claims", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--writes", action="store_true", help="the 304 rate under writes")
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--duration", type=float, default=5.0, help="--writes: poll seconds")
    parser.add_argument("--wrk-duration", type=float, default=2.0, help="--writes: wrk seconds")
    parser.add_argument("--seed", type=int, default=20221, help="--writes: the data's seed")
    args = parser.parse_args()
    if args.writes:
        # --claims is the size of the benchmark's cached data here (default 10,000).
        if args.claims == 2000:
            args.claims = 10_000
        main_writes(args)
        return

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
