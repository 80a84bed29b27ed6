"""What request ids, the JSON request log and metrics cost a claim lookup.

Two API servers on one database, as users serve them (`claims serve`), one with telemetry
on (the default: `X-Request-Id`, one JSON log line per request written to its log file,
Prometheus counters and histograms) and one with `TELEMETRY=false`; wrk replays the same
lookups of random claims against both, alternating round by round in the same run, so
both see the same machine. Reports each round's req/s, the median of the rounds and the
ratio on/off (target ≥ 0.9), and writes them to bench/results/telemetry.json.

    .venv/bin/python -m bench.telemetry [--claims 2000] [--duration 5] [--rounds 5]
"""

import argparse
import random
import statistics
import tempfile
from pathlib import Path

import orjson
from alembic import command
from rich.console import Console
from rich.table import Table
from sqlalchemy import text

from app.cli import alembic_config
from app.db import make_engine
from bench import scenarios
from bench.cpu import plan
from bench.poll_304 import load
from bench.servers import api_process
from bench.wrk import run_wrk

RESULTS = Path(__file__).resolve().parent / "results" / "telemetry.json"
TARGET = 0.9
CONNECTIONS = (16, 1)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.telemetry", description=__doc__)
    parser.add_argument("--claims", type=int, default=2000)
    parser.add_argument("--duration", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=20221)
    args = parser.parse_args()
    cpu = plan()
    console = Console(width=120)
    with tempfile.TemporaryDirectory(prefix="telemetry-") as folder:
        work = Path(folder)
        url = f"sqlite:///{work / 'claims.db'}"
        command.upgrade(alembic_config(url), "head")
        engine = make_engine(url)
        load(engine, args.claims)
        with engine.connect() as connection:
            ids = [row[0] for row in connection.execute(text("SELECT id FROM claim"))]
        engine.dispose()
        drawn = random.Random(args.seed).sample(ids, min(500, len(ids)))
        requests = scenarios.write_requests(
            work / "lookups.txt", [(scenarios.api_lookup(i), "") for i in drawn]
        )
        rps: dict[tuple[str, int], list[float]] = {}
        with (
            api_process(
                url, "bench", work, name="on", telemetry=True, prefix=cpu.server_prefix()
            ) as on,
            api_process(
                url, "bench", work, name="off", telemetry=False, prefix=cpu.server_prefix()
            ) as off,
        ):
            for round_number in range(args.rounds):
                for connections in CONNECTIONS:
                    for name, server in (("on", on), ("off", off)):
                        result = run_wrk(
                            server.base_url,
                            requests,
                            connections=connections,
                            duration_s=args.duration,
                            seed=args.seed + round_number,
                            expected_status=200,
                            cpu=cpu,
                            label=f"telemetry-{name}",
                        )
                        rps.setdefault((name, connections), []).append(result.rps)
            logged = sum(1 for _ in on.log_path.open()) if on.log_path.exists() else 0
    table = Table(title="Claim lookups, telemetry on against off (same run, rounds alternate)")
    for header in ("connections", "on req/s", "off req/s", "on/off", "rounds"):
        table.add_column(header)
    report: dict[str, object] = {"claims": args.claims, "cpu": cpu.describe(), "by_connections": {}}
    for connections in CONNECTIONS:
        median_on = statistics.median(rps[("on", connections)])
        median_off = statistics.median(rps[("off", connections)])
        ratio = median_on / median_off
        table.add_row(
            str(connections), f"{median_on:,.0f}", f"{median_off:,.0f}", f"{ratio:.3f}",
            str(args.rounds),
        )  # fmt: skip
        report["by_connections"][str(connections)] = {  # type: ignore[index]
            "on_rps": rps[("on", connections)],
            "off_rps": rps[("off", connections)],
            "median_on_rps": median_on,
            "median_off_rps": median_off,
            "on_over_off": ratio,
            "meets_target": ratio >= TARGET,
        }
    report["log_lines_written_by_on"] = logged
    console.print(table)
    RESULTS.write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2))
    console.print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
