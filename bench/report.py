"""Results: the rich table on the terminal, the targets, and the JSON under bench/results/."""

import json
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench.scenarios import API, API_BASE, API_BASE_PG, API_PG, BASELINE_OF, DATASETTE, POCKETBASE

PEER_ORDER = [API, API_BASE, DATASETTE, POCKETBASE, API_PG, API_BASE_PG]


@dataclass
class Runs:
    """Every timed run of one (scenario, peer, connections), one per round."""

    rounds: list[dict[str, float]] = field(default_factory=list)

    def median(self, key: str) -> float:
        return statistics.median(run[key] for run in self.rounds)

    def summary(self) -> dict[str, Any]:
        return {
            "rps": round(self.median("rps"), 1),
            "p50_ms": round(self.median("p50_ms"), 3),
            "p99_ms": round(self.median("p99_ms"), 3),
            "rounds_rps": [round(run["rps"], 1) for run in self.rounds],
        }


@dataclass
class SizeResult:
    claims: int
    loads: dict[str, dict[str, Any]] = field(default_factory=dict)
    checks: dict[str, dict[str, Any]] = field(default_factory=dict)
    # scenario -> connections -> peer -> runs
    runs: dict[str, dict[int, dict[str, Runs]]] = field(default_factory=dict)
    sql: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    # The 304 rate under unrelated writes (bench/poll_304.py under_writes), when run.
    poll_writes: dict[str, Any] = field(default_factory=dict)

    def add(self, scenario: str, connections: int, peer: str, run: dict[str, float]) -> None:
        by_peer = self.runs.setdefault(scenario, {}).setdefault(connections, {})
        by_peer.setdefault(peer, Runs()).rounds.append(run)

    def figure(self, scenario: str, connections: int, peer: str, key: str) -> float | None:
        runs = self.runs.get(scenario, {}).get(connections, {}).get(peer)
        return runs.median(key) if runs and runs.rounds else None

    def as_dict(self) -> dict[str, Any]:
        scenarios: dict[str, Any] = {}
        for name, by_connections in self.runs.items():
            scenarios[name] = {
                f"c{connections}": {peer: runs.summary() for peer, runs in by_peer.items()}
                for connections, by_peer in by_connections.items()
            }
            ratios = {}
            for peer in (DATASETTE, POCKETBASE):
                ours, theirs = self.figure(name, 16, API, "rps"), self.figure(name, 16, peer, "rps")
                if ours and theirs:
                    ratios[peer] = round(ours / theirs, 2)
            scenarios[name]["api_over_peer_rps_c16"] = ratios
            baseline = {}
            for base, current in BASELINE_OF.items():
                ours, theirs = (
                    self.figure(name, 16, current, "rps"),
                    self.figure(name, 16, base, "rps"),
                )
                if ours and theirs:
                    baseline[current] = round(ours / theirs, 2)
            if baseline:
                scenarios[name]["api_over_baseline_rps_c16"] = baseline
        return {
            "claims": self.claims,
            "loads": self.loads,
            "checks": self.checks,
            "scenarios": scenarios,
            "sql": self.sql,
            "poll_writes": self.poll_writes,
            "notes": self.notes,
        }


def _fmt(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def table(result: SizeResult) -> Table:
    out = Table(title=f"{result.claims:,} claims", title_justify="left")
    for header in (
        "scenario",
        "peer",
        "req/s c16",
        "p50 ms",
        "p99 ms",
        "req/s c1",
        "p50 ms c1",
        "API/peer",
        "p50 c1 / SQL (− SQL)",
    ):
        out.add_column(header, justify="left" if header in ("scenario", "peer") else "right")
    for scenario, by_connections in result.runs.items():
        measured = {peer for by_peer in by_connections.values() for peer in by_peer}
        peers = [p for p in PEER_ORDER if p in measured]
        for index, peer in enumerate(peers):
            rps = result.figure(scenario, 16, peer, "rps")
            ours = result.figure(scenario, 16, API, "rps")
            ratio = f"{ours / rps:.2f}×" if peer in (DATASETTE, POCKETBASE) and ours and rps else ""
            if peer in BASELINE_OF:  # API / baseline, each on its database
                current = result.figure(scenario, 16, BASELINE_OF[peer], "rps")
                ratio = f"{current / rps:.2f}× base" if current and rps else ""
            sql = result.sql.get(peer, {}).get(scenario, {})
            over_sql = sql.get("api_p50_c1_over_sql")
            outside = sql.get("api_p50_c1_minus_sql_ms")
            out.add_row(
                scenario if index == 0 else "",
                peer,
                _fmt(rps, 0),
                _fmt(result.figure(scenario, 16, peer, "p50_ms"), 2),
                _fmt(result.figure(scenario, 16, peer, "p99_ms"), 2),
                _fmt(result.figure(scenario, 1, peer, "rps"), 0),
                _fmt(result.figure(scenario, 1, peer, "p50_ms"), 3),
                ratio,
                f"{over_sql:.1f}× of {sql['sql_p50_ms']:.3f} ms (+{outside:.3f})"
                if over_sql
                else "",
            )
        out.add_section()
    return out


def loads_table(results: list[SizeResult]) -> Table:
    out = Table(title="bulk load (the load itself)", title_justify="left")
    for header in ("claims", "into", "rows", "seconds", "rows/s", "claims/s", "cached"):
        out.add_column(header, justify="left" if header in ("into", "cached") else "right")
    for result in results:
        for target, load in result.loads.items():
            out.add_row(
                f"{result.claims:,}",
                target,
                _fmt(load.get("rows"), 0),
                _fmt(load.get("seconds"), 1),
                _fmt(load.get("rows_per_s"), 0),
                _fmt(load.get("claims_per_s"), 0),
                "yes (figures from when it was made)" if load.get("cached") else "no",
            )
    return out


def poll_writes_table(result: SizeResult) -> Table:
    found = result.poll_writes
    out = Table(
        title=f"{result.claims:,} claims: 304s while {found['writers']} writers made "
        f"{found['writes']:,} unrelated writes ({found['writes_per_s']:,.0f}/s); polled pages "
        f"unchanged: {'yes' if found['pages_unchanged'] else 'NO'}",
        title_justify="left",
    )
    for header in ("list", "lists", "polls", "304 share", "200 req/s c1", "304 req/s c1",
                   "304/200 cost (req/s)", "304/200 p50"):  # fmt: skip
        out.add_column(header, justify="left" if header == "list" else "right")
    for kind, row in found["lists"].items():
        out.add_row(
            kind,
            str(row["lists"]),
            f"{row['polls']:,}",
            f"{row['share_304']:.1%}",
            _fmt(row.get("rps_200"), 0),
            _fmt(row.get("rps_304"), 0),
            _fmt(row.get("cost_304_over_200_rps"), 2),
            _fmt(row.get("cost_304_over_200_p50"), 2),
        )
    return out


def targets_table(targets: list[dict[str, Any]]) -> Table:
    out = Table(title="targets", title_justify="left")
    for header in ("set", "target", "wanted", "measured", "met"):
        out.add_column(header)
    for target in targets:
        met = target["met"]
        out.add_row(
            target.get("set", ""),
            target["name"],
            target["wanted"],
            target["measured"],
            "[green]yes[/]" if met else ("[red]no[/]" if met is False else "n/a"),
        )
    return out


def print_all(
    console: Console, results: list[SizeResult], targets: list[dict[str, Any]], regime: str
) -> None:
    console.print(f"[bold]CPU regime:[/] {regime}")
    for result in results:
        console.print(table(result))
        if result.poll_writes:
            console.print(poll_writes_table(result))
            for note in result.poll_writes["notes"]:
                console.print(f"  note: poll_writes: {note}")
        for note in result.notes:
            console.print(f"  note: {note}")
    console.print(loads_table(results))
    console.print(targets_table(targets))


def write_json(
    directory: Path,
    name: str,
    meta: dict[str, Any],
    results: list[SizeResult],
    targets: list[dict[str, Any]],
) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.json"
    document = {
        "meta": meta,
        "targets": targets,
        "sizes": {str(r.claims): r.as_dict() for r in results},
    }
    path.write_text(json.dumps(document, indent=1, sort_keys=False) + "\n")
    return path
