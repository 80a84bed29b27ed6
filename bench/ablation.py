"""Where a lookup's time goes: the same request against the app with layers taken away.

`python -m bench.ablation [--claims 10000] [--duration 5] [--rounds 5]` measures each
variant below two ways, on the cached database:
- in-process: the ASGI app called directly in a loop (no HTTP server, no socket), CPU time
  per request from `time.process_time`, which other processes on the machine do not move;
- over HTTP: served by uvicorn (pinned as in the benchmark) and loaded with wrk, variants
  alternating round by round; the best round is reported, since a shared machine only
  ever slows a round down.
The differences between neighbours are the cost of each layer. Nothing in app/ changes:
the variants are built here from `create_app()`.

Variants, each one removing a little more:
- as_served: `claims serve` (uvicorn, access log on), what the benchmark times;
- no_access_log: the same app under uvicorn --no-access-log;
- no_middleware: and without the app's middleware (CORS, body size limit);
- raw_sqlite: a FastAPI `async def` reading the stored document with sqlite3 directly (the
  issue's "minimal FastAPI + sqlite3" reference; lookups only).
"""

import argparse
import asyncio
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from fastapi import FastAPI, Response
from rich.console import Console
from rich.table import Table

from app.main import create_app
from bench import cases as case_drawing
from bench import peers, scenarios
from bench.cpu import CpuPlan, plan
from bench.servers import Server, free_port, running
from bench.wrk import run_wrk

CACHE = Path(__file__).resolve().parent / ".cache"
VARIANTS = ["as_served", "no_access_log", "no_middleware", "raw_sqlite"]


def no_middleware() -> FastAPI:
    app = create_app()
    app.user_middleware.clear()
    return app


def raw_sqlite() -> FastAPI:
    path = os.environ["DATABASE_URL"].removeprefix("sqlite:///")
    connection = sqlite3.connect(path, check_same_thread=False)
    app = FastAPI()

    @app.get("/v1/claims/{claim_id}")
    async def lookup(claim_id: str) -> Response:
        row = connection.execute(
            "SELECT document, etag FROM claim WHERE id = ?", (claim_id,)
        ).fetchone()
        if row is None:
            return Response(status_code=404)
        return Response(row[0], media_type="application/json", headers={"ETag": f'"{row[1]}"'})

    @app.get("/readyz")
    async def ready() -> dict[str, str]:
        return {"status": "ok"}

    return app


@contextmanager
def serve(variant: str, database: Path, logs: Path, cpu: CpuPlan) -> Iterator[Server]:
    url = f"sqlite:///{database}"
    if variant == "as_served":
        with peers.api(variant, url, logs, cpu, cursor_secret="ablation") as server:
            yield server
        return
    factory = "app.main:create_app" if variant == "no_access_log" else f"bench.ablation:{variant}"
    port = free_port()
    command = [
        *cpu.server_prefix(),
        str(peers.VENV_BIN / "uvicorn"),
        factory,
        "--factory",
        "--no-access-log",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    env = {"DATABASE_URL": url, "CURSOR_SECRET": "ablation"}
    with running(
        variant, command, port=port, ready_path="/readyz", log_dir=logs, env=env, cwd=peers.ROOT
    ) as server:
        yield server


def _cpu_per_request(app: FastAPI, paths: list[str], repeats: int) -> float:
    """CPU microseconds per request, calling the ASGI app directly."""

    async def one(path: str) -> int:
        raw_path, _, query = path.partition("?")
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": raw_path,
            "raw_path": raw_path.encode(),
            "query_string": query.encode(),
            "root_path": "",
            "headers": [(b"host", b"127.0.0.1")],
            "client": ("127.0.0.1", 1),
            "server": ("127.0.0.1", 80),
            "state": {},
        }
        status = 0

        async def receive() -> dict[str, object]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, object]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])  # type: ignore[call-overload]

        await app(scope, receive, send)  # type: ignore[arg-type]
        return status

    async def run() -> float:
        for path in paths[:50]:  # warm caches, statement compilation, page cache
            await one(path)
        started = time.process_time()
        for _ in range(repeats):
            for path in paths:
                if await one(path) != 200:
                    raise RuntimeError(f"in-process {path} did not answer 200")
        return (time.process_time() - started) / (repeats * len(paths)) * 1e6

    return asyncio.run(run())


def in_process(database: Path, lookups: list[str], lists: list[str]) -> Table:
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ["CURSOR_SECRET"] = "ablation"
    variants = {
        "full app": create_app,
        "no_middleware": no_middleware,
        "raw_sqlite": raw_sqlite,
    }
    table = Table(title="CPU per request, in-process ASGI (no HTTP server, no access log)")
    for header in ("scenario", "variant", "CPU µs/request"):
        table.add_column(header)
    for scenario, paths, repeats in (("lookup", lookups, 10), ("filtered_list", lists, 1)):
        for name, factory in variants.items():
            if scenario != "lookup" and name == "raw_sqlite":
                continue
            micros = _cpu_per_request(factory(), paths, repeats)
            table.add_row(scenario, name, f"{micros:,.0f}")
    return table


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ablation", description=__doc__)
    parser.add_argument("--claims", type=int, default=10_000)
    parser.add_argument("--duration", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=20221)
    args = parser.parse_args()
    database = CACHE / f"claims-{args.claims}.db"
    if not database.exists():
        raise SystemExit(f"{database} is missing: run `make bench-smoke` (or bench) first")
    cpu = plan()
    work = CACHE / "ablation"
    drawn = case_drawing.draw(database, args.seed)
    lookups = scenarios.write_requests(
        work / "lookup.txt", [(scenarios.api_lookup(i), "") for i in drawn.claim_ids]
    )
    lists = scenarios.write_requests(
        work / "filtered.txt", [(scenarios.api_filtered(c), "") for c in drawn.lists]
    )
    console = Console(width=120)
    console.print(
        in_process(
            database,
            [scenarios.api_lookup(i) for i in drawn.claim_ids],
            [scenarios.api_filtered(c) for c in drawn.lists],
        )
    )
    rps: dict[tuple[str, str], list[float]] = {}
    with ExitStack() as stack:
        servers = {v: stack.enter_context(serve(v, database, work, cpu)) for v in VARIANTS}
        for round_number in range(args.rounds):
            for scenario, requests in (("lookup", lookups), ("filtered_list", lists)):
                for variant, server in servers.items():
                    if scenario != "lookup" and variant == "raw_sqlite":
                        continue
                    run = run_wrk(
                        server.base_url,
                        requests,
                        connections=16,
                        duration_s=args.duration,
                        seed=args.seed + round_number,
                        expected_status=200,
                        cpu=cpu,
                        label=f"{variant} {scenario}",
                    )
                    rps.setdefault((scenario, variant), []).append(run.rps)
    table = Table(title=f"ablation, {args.claims:,} claims, c16, {cpu.describe()['regime']}")
    for header in ("scenario", "variant", "req/s (best round)", "µs/request", "rounds"):
        table.add_column(header)
    for (scenario, variant), runs in rps.items():
        best = max(runs)
        table.add_row(
            scenario,
            variant,
            f"{best:,.0f}",
            f"{1e6 / best:,.0f}",
            " ".join(f"{r:,.0f}" for r in runs),
        )
    console.print(table)


if __name__ == "__main__":
    main()
