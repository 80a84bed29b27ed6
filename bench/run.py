"""`make bench` / `make bench-smoke`: the API side by side with datasette and PocketBase.

For each size: load (or reuse) the generated data, start every server on its own free
loopback port, check that all answer the scenario cases alike, then time each scenario in
alternating rounds (API, peer, API, peer, ...) with wrk, servers pinned on one core and wrk
on the other, at 16 connections and at 1. Then the SQL floor of each endpoint, in-process.
"""

import argparse
import os
import platform
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from bench import baseline as baselines
from bench import cases as case_drawing
from bench import check, dataset, peers, pocketbase, poll_304, scenarios, sqltime, targets
from bench.baseline import Baseline, BaselineError
from bench.cpu import CpuPlan, plan
from bench.report import SizeResult, print_all, write_json
from bench.scenarios import (
    API,
    API_BASE,
    API_BASE_PG,
    API_PG,
    BASELINE_OF,
    DATASETTE,
    POCKETBASE,
    Scenario,
)
from bench.servers import Server, drain
from bench.wrk import BadResponses, WrkMissing, WrkResult, run_wrk, wrk_binary

BENCH_DIR = Path(__file__).resolve().parent
CACHE = BENCH_DIR / ".cache"
RESULTS = BENCH_DIR / "results"
CURSOR_SECRET = "bench-cursor-secret"
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
# What to ask a server to know it is idle again (see servers.drain).
PROBES = {
    API: "/healthz",
    API_PG: "/healthz",
    API_BASE: "/healthz",
    API_BASE_PG: "/healthz",
    DATASETTE: "/-/versions.json",
    POCKETBASE: "/api/health",
}
# One connection first: a peer that needs more than MIN_RPS_FOR_C16's inverse per request on
# its own is not loaded with 16 (each request would wait behind 15 others for minutes).
CONNECTIONS = (1, 16)
MIN_RPS_FOR_C16 = 2.0
# Copying a million claims out and in again to time COPY takes long; smaller sizes say it.
COPY_BASELINE_MAX = 100_000

# Wide enough for the results table whatever the terminal (or pipe) says.
console = Console(width=max(Console().width, 150))


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="10k claims, short runs, 1 round")
    parser.add_argument("--sizes", default="10000,100000,1000000", help="claims, comma-separated")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per timed run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--big-rounds", type=int, help="rounds for sizes over 100k claims (default: --rounds)"
    )
    parser.add_argument("--warmup", type=int, default=1, help="seconds per scenario and peer")
    parser.add_argument(
        "--keep-cache",
        action="store_true",
        help="reuse cached databases even when the generator, loader or migrations changed",
    )
    parser.add_argument("--peers", default="datasette,pocketbase")
    parser.add_argument(
        "--baseline",
        metavar="REV",
        help="also time the API of commit REV (a git worktree under bench/.cache), as peer "
        "api-base (and api-base-pg), e.g. --baseline a606fe8",
    )
    parser.add_argument(
        "--only",
        default="",
        help="scenarios to run, comma-separated (lookup, filtered_list, deep_page, full_text, "
        "facets, poll_304, poll_writes); default: all",
    )
    parser.add_argument(
        "--writers", type=int, default=4, help="writer processes of the poll_writes scenario"
    )
    parser.add_argument(
        "--postgres",
        choices=["auto", "yes", "no"],
        default="auto",
        help="also time the API on PostgreSQL (auto: when 127.0.0.1:5432 answers)",
    )
    parser.add_argument(
        "--pg-sizes", help="sizes to run on PostgreSQL too (default: every size)", default=""
    )
    parser.add_argument("--pg-admin-url", default=os.environ.get("BENCH_PG_URL", PG_ADMIN_URL))
    parser.add_argument("--seed", type=int, default=20221)
    parser.add_argument("--no-pin", action="store_true", help="do not pin with taskset")
    parser.add_argument("--name", help="results file name (default: smoke or bench)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    if args.smoke:
        args.sizes, args.duration, args.rounds = "10000", min(args.duration, 2.0), 1
        args.warmup = 0
        args.postgres = "no" if args.postgres == "auto" else args.postgres
    return args


def _postgres_up(admin_url: str) -> bool:
    import psycopg  # only needed when PostgreSQL is asked for

    url = admin_url.replace("postgresql+psycopg://", "postgresql://")
    try:
        psycopg.connect(url, connect_timeout=3).close()
    except psycopg.Error:
        return False
    return True


@contextmanager
def _pinned_to(cpu: CpuPlan) -> Iterator[None]:
    """Run in-process measurements on the server's core, as the servers do."""
    before = os.sched_getaffinity(0)
    if cpu.server_cpu is not None:
        os.sched_setaffinity(0, {cpu.server_cpu})
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def _timed(
    result: SizeResult,
    failed: set[tuple[str, str]],
    s: Scenario,
    peer: str,
    server: Server,
    requests: Path,
    connections: int,
    duration_s: float,
    seed: int,
    cpu: CpuPlan,
    label: str,
) -> WrkResult | None:
    """One wrk run. A wrong answer from the API fails the whole run; from a peer, it is
    reported (a peer failing under load is a result) and that peer's scenario is dropped."""
    failure: BadResponses | None = None
    try:
        return run_wrk(
            server.base_url,
            requests,
            connections=connections,
            duration_s=duration_s,
            seed=seed,
            expected_status=s.expected_status,
            cpu=cpu,
            label=label,
        )
    except BadResponses as error:
        failure = error
    finally:
        waited = drain(server, PROBES[peer])
        if waited > 1:
            console.log(f"{peer} was still busy {waited:.0f} s after {label}")
    if peer in (API, API_PG):
        raise failure
    failed.add((s.name, peer))
    result.notes.append(f"{s.name} {peer}: failed under load at {connections} ({failure})")
    console.log(f"[yellow]{failure}[/]: {peer} dropped from {s.name}")
    return None


def _time_all(
    result: SizeResult,
    plans: list[Scenario],
    servers: dict[str, Server],
    args: argparse.Namespace,
    cpu: CpuPlan,
    work: Path,
) -> None:
    files = {
        (s.name, peer): scenarios.write_requests(work / f"{s.name}.{peer}.txt", s.requests[peer])
        for s in plans
        for peer in s.requests
        if peer in servers
    }
    order = [p for p in (API, API_BASE, DATASETTE, POCKETBASE, API_PG, API_BASE_PG) if p in servers]
    failed: set[tuple[str, str]] = set()
    if args.warmup:
        console.log("warming up every server on every scenario")
    for s in plans if args.warmup else []:
        for peer in order:
            if (s.name, peer) in files:
                label = f"warm-up {s.name} {peer}"
                _timed(result, failed, s, peer, servers[peer], files[(s.name, peer)], 1,
                       args.warmup, args.seed, cpu, label)  # fmt: skip
    rounds = args.rounds if result.claims <= 100_000 else (args.big_rounds or args.rounds)
    for round_number in range(1, rounds + 1):
        for s in plans:
            for connections in CONNECTIONS:
                for peer in order:
                    if (s.name, peer) not in files or (s.name, peer) in failed:
                        continue
                    alone = result.figure(s.name, 1, peer, "rps")
                    if connections > 1 and alone is not None and alone < MIN_RPS_FOR_C16:
                        note = (
                            f"{s.name} {peer}: not run at 16 connections ({alone:.2f} req/s at 1)"
                        )
                        if note not in result.notes:
                            result.notes.append(note)
                        continue
                    label = f"{result.claims} {s.name} {peer} c{connections} r{round_number}"
                    run = _timed(result, failed, s, peer, servers[peer], files[(s.name, peer)],
                                 connections, args.duration, args.seed + round_number, cpu,
                                 label)  # fmt: skip
                    if run is None:
                        continue
                    result.add(s.name, connections, peer, run.as_dict())
                    console.log(
                        f"{label}: {run.rps:,.0f} req/s p50 {run.p50_ms:.2f} ms "
                        f"p99 {run.p99_ms:.2f} ms"
                    )


def _check_all(result: SizeResult, plans: list[Scenario], servers: dict[str, Server]) -> None:
    for s in plans:
        for peer in s.requests:
            if peer == API or peer not in servers:
                continue
            if peer == API_PG and s.name == "full_text":
                result.notes.append(
                    "full_text on PostgreSQL is not compared: relevance (ts_rank vs bm25) "
                    "orders differently by design"
                )
                continue
            if s.expected_status != 200:
                continue
            if peer in BASELINE_OF:
                report = check.compare_baseline(s, peer, servers)
                result.checks.setdefault(s.name, {})[peer] = report.as_dict()
                differ = (
                    f"{report.ids_differ} with other ids, {report.answers_differ} other answers"
                )
                console.log(
                    f"check {s.name} {peer} vs {BASELINE_OF[peer]}: {report.compared} cases, "
                    + (differ if report.answers_differ else "answers alike")
                )
                for note in report.notes:
                    console.log(f"  [yellow]{note}[/]")
                if report.answers_differ:
                    result.notes.append(
                        f"{s.name} {peer}: differs from {BASELINE_OF[peer]} ({differ}; reported, "
                        "not fatal: the change may be intended)"
                    )
                continue
            report = check.check(s, peer, servers)
            result.checks.setdefault(s.name, {})[peer] = report.as_dict()
            console.log(
                f"check {s.name} {peer}: {report.compared} cases, {report.rows} rows alike"
                + ("" if report.content_equal is not False else " (ids alike, content differs)")
            )


def _sql_floor(
    result: SizeResult, peer: str, url: str, plans: list[Scenario], cpu: CpuPlan
) -> None:
    with _pinned_to(cpu):
        floors = sqltime.measure(url, CURSOR_SECRET, {s.name: s.requests[API] for s in plans})
    result.sql[peer] = {}
    for name, floor in floors.items():
        entry = floor.as_dict()
        api_p50 = result.figure(name, 1, peer, "p50_ms")
        if api_p50 and floor.median_ms:
            entry["api_p50_c1_ms"] = round(api_p50, 3)
            entry["api_p50_c1_over_sql"] = round(api_p50 / floor.median_ms, 1)
            entry["api_p50_c1_minus_sql_ms"] = round(api_p50 - floor.median_ms, 3)
        result.sql[peer][name] = entry


def _load_pocketbase(
    result: SizeResult, source: Path, pb_dir: Path, logs: Path, cpu: CpuPlan
) -> Path | None:
    """The PocketBase binary once its data directory holds the claims, or None without it."""
    pb_binary = pocketbase.binary(peers.VENV_BIN)
    if pb_binary is None:
        result.notes.append("PocketBase skipped: no pocketbase binary (pip extra `bench`)")
        return None
    console.log("PocketBase: loading the same claims as flat records (or reusing)")
    stats = pocketbase.prepare(pb_binary, source, pb_dir, logs, cpu)
    result.loads["pocketbase"] = {
        "rows": stats.records,
        "seconds": round(stats.seconds, 2),
        "rows_per_s": round(stats.rows_per_s),
        "claims_per_s": round(stats.rows_per_s),
        "cached": stats.cached,
        "how": "batch API, 500 records a request, flat records",
    }
    return pb_binary


def _plans(
    result: SizeResult,
    drawn: case_drawing.Cases,
    servers: dict[str, Server],
    database: Path,
    baseline: Baseline | None = None,
) -> list[Scenario]:
    console.log("deep cursors: checking minted cursors against the server's, minting")
    deep = scenarios.deep_pages(servers[API].base_url, database, CURSOR_SECRET)
    plans = scenarios.build(drawn, deep, database.stem, set(servers))
    filtered = next(s for s in plans if s.name == "filtered_list")
    for extra in (API_PG, API_BASE, API_BASE_PG):
        if extra in servers:
            for s in plans:
                s.requests[extra] = s.requests[API]
    if baseline is not None and (API_BASE in servers or API_BASE_PG in servers):
        # The baseline binds cursors to its own form of the query: mint them with its code.
        afters = [after for _, after in deep.pages]
        minted = baselines.mint_cursors(baseline, CURSOR_SECRET, afters)
        deep_plan = next(s for s in plans if s.name == "deep_page")
        for extra in (API_BASE, API_BASE_PG):
            if extra in servers:
                deep_plan.requests[extra] = [(scenarios.api_page(cursor), "") for cursor in minted]
    plans.append(scenarios.poll_304(servers, filtered))
    for s in plans:
        result.notes += [f"{s.name}: {note}" for note in s.notes]
    return plans


def _data_revision(url: str) -> str:
    """The alembic revision the database is at."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return str(connection.execute(text("SELECT version_num FROM alembic_version")).scalar())
    finally:
        engine.dispose()


def _only(args: argparse.Namespace) -> set[str]:
    return {name.strip() for name in args.only.split(",") if name.strip()}


def run_size(
    claims: int,
    args: argparse.Namespace,
    cpu: CpuPlan,
    use_pg: bool,
    baseline: Baseline | None = None,
) -> SizeResult:
    result = SizeResult(claims)
    work = CACHE / "run" / str(claims)
    logs = work / "logs"
    only = _only(args)
    reads = not only or bool(only - {"poll_writes"})
    console.rule(f"{claims:,} claims")
    console.log("SQLite database: generating and bulk-loading (or reusing the cache)")
    db = dataset.sqlite(claims, args.seed, CACHE, keep=args.keep_cache)
    assert db.path is not None
    result.loads["api-sqlite"] = db.load.as_dict()
    console.log(f"loaded: {db.load.as_dict()}")
    drawn = case_drawing.draw(db.path, args.seed)
    wanted = {p.strip() for p in args.peers.split(",") if p.strip()} if reads else set()
    pb_dir = CACHE / f"pocketbase-{claims}"
    pb_binary = (
        _load_pocketbase(result, db.path, pb_dir, logs, cpu) if POCKETBASE in wanted else None
    )
    pg_db = None
    if use_pg and reads:
        console.log("PostgreSQL database: generating and bulk-loading (or reusing)")
        pg_db = dataset.postgres(claims, args.seed, args.pg_admin_url, keep=args.keep_cache)
        result.loads["api-postgres"] = pg_db.load.as_dict()
        console.log(f"loaded: {pg_db.load.as_dict()}")
        if claims <= COPY_BASELINE_MAX:
            result.loads["postgres-copy-baseline"] = dataset.copy_baseline(pg_db.url)
            console.log(f"COPY of the same rows: {result.loads['postgres-copy-baseline']}")
    if baseline is not None and reads:
        baselines.check_schema(baseline, _data_revision(db.url), f"claims-{claims}.db")
        if pg_db is not None:
            baselines.check_schema(baseline, _data_revision(pg_db.url), f"bench_claims_{claims}")

    plans: list[Scenario] = []
    if reads:
        with ExitStack() as stack:
            secret = CURSOR_SECRET
            servers = {
                API: stack.enter_context(peers.api(API, db.url, logs, cpu, cursor_secret=secret))
            }
            if baseline is not None:
                servers[API_BASE] = stack.enter_context(
                    peers.api(API_BASE, db.url, logs, cpu, cursor_secret=secret, baseline=baseline)
                )
            if DATASETTE in wanted:
                servers[DATASETTE] = stack.enter_context(peers.datasette(db.path, work, logs, cpu))
            if pb_binary is not None:
                servers[POCKETBASE] = stack.enter_context(
                    pocketbase.serve(pb_binary, pb_dir, logs, cpu)
                )
            if pg_db is not None:
                servers[API_PG] = stack.enter_context(
                    peers.api(API_PG, pg_db.url, logs, cpu, cursor_secret=secret)
                )
                if baseline is not None:
                    servers[API_BASE_PG] = stack.enter_context(
                        peers.api(
                            API_BASE_PG,
                            pg_db.url,
                            logs,
                            cpu,
                            cursor_secret=secret,
                            baseline=baseline,
                        )
                    )
            plans = _plans(result, drawn, servers, db.path, baseline)
            if only:
                plans = [s for s in plans if s.name in only]
            _check_all(result, plans, servers)
            _time_all(result, plans, servers, args, cpu, work)
    if plans:
        console.log("SQL floor of each endpoint, in-process")
        _sql_floor(result, API, db.url, plans, cpu)
        if pg_db is not None:
            _sql_floor(result, API_PG, pg_db.url, plans, cpu)
    if not only or "poll_writes" in only:
        console.log(f"poll_writes: polling unchanged lists while {args.writers} writers write")
        result.poll_writes = poll_304.under_writes(
            db.path,
            work / "poll_writes",
            cpu,
            [scenarios.api_filtered(case) for case in drawn.lists],
            writers=args.writers,
            seconds=max(args.duration, 2.0),
            wrk_seconds=args.duration,
            seed=args.seed,
        )
        poll_304.print_under_writes(result.poll_writes, console.log)
    return result


def _git_commit() -> str:
    found = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    )
    return found.stdout.strip() or "unknown"


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    try:
        wrk_binary()
    except WrkMissing as missing:
        console.print(f"[red]{missing}[/]")
        return 2
    cpu = plan(pin=not args.no_pin)
    use_pg = args.postgres == "yes" or (args.postgres == "auto" and _postgres_up(args.pg_admin_url))
    sizes = [int(size) for size in args.sizes.split(",") if size.strip()]
    pg_sizes = {int(size) for size in args.pg_sizes.split(",") if size.strip()} or set(sizes)
    started = time.monotonic()
    results: list[SizeResult] = []
    name = args.name or ("smoke" if args.smoke else "bench")
    meta = _meta(args, cpu, use_pg)
    baseline = None
    try:
        if args.baseline:
            baseline = baselines.verify(baselines.prepare(args.baseline))
            console.log(
                f"baseline {args.baseline} = {baseline.short} in {baseline.path}, "
                f"imports {baseline.app_file}, alembic head {', '.join(baseline.heads)}"
            )
            meta["baseline"] = baseline.as_dict()
    except BaselineError as failure:
        console.print(f"[red]baseline:[/] {failure}")
        return 2
    try:
        for claims in sizes:
            results.append(run_size(claims, args, cpu, use_pg and claims in pg_sizes, baseline))
            # Written after every size, so a long run that stops still leaves what it measured.
            meta["wall_seconds"] = round(time.monotonic() - started)
            write_json(RESULTS, name, meta, results, targets.evaluate(results))
    except (BadResponses, check.Mismatch, BaselineError) as failure:
        console.print(f"[red]benchmark failed:[/] {failure}")
        return 1
    found = targets.evaluate(results)
    print_all(console, results, found, str(cpu.describe()["regime"]))
    path = write_json(RESULTS, name, meta, results, found)
    console.print(f"results: {path.relative_to(BENCH_DIR.parent)}")
    missed = [t for t in found if t["met"] is False]
    if missed:
        console.print(f"[yellow]{len(missed)} target(s) missed[/] (see the table above)")
    return 1 if args.strict and missed else 0


def _meta(args: argparse.Namespace, cpu: CpuPlan, use_pg: bool) -> dict[str, Any]:
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": _git_commit(),
        "cpu": cpu.describe(),
        "postgres": "API process pinned; the PostgreSQL server is not (it shares both cores)"
        if use_pg
        else "not run",
        "duration_s": args.duration,
        "rounds": args.rounds,
        "rounds_over_100k": args.big_rounds or args.rounds,
        "connections": list(CONNECTIONS),
        "seed": args.seed,
        "platform": platform.platform(),
        "api_command": "claims serve (uvicorn, 1 process), ACCESS_LOG=false",
        "datasette": "datasette serve -i (its default logging), canned queries nesting with SQLite "
        "JSON functions",
        "pocketbase": "pocketbase serve, flat records, skipTotal=1",
    }


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so servers are stopped
    sys.exit(main())
