"""The issue's targets, measured against the results; each says by how much it is met or
missed (what would close a gap is for the report to say)."""

from typing import Any

from bench.report import SizeResult
from bench.scenarios import API, API_PG, DATASETTE, POCKETBASE

SMALL = 10_000


def _target(name: str, wanted: str, measured: str, met: bool | None) -> dict[str, Any]:
    return {"name": name, "wanted": wanted, "measured": measured, "met": met}


def _rps(result: SizeResult, scenario: str, peer: str) -> tuple[float | None, str]:
    """req/s at 16 connections, or at 1 when the peer was too slow to be run at 16."""
    at_16 = result.figure(scenario, 16, peer, "rps")
    if at_16 is not None:
        return at_16, ""
    return result.figure(scenario, 1, peer, "rps"), " (at 1 connection)"


def _ratio(result: SizeResult, scenario: str, peer: str, wanted: float) -> dict[str, Any]:
    ours, ours_note = _rps(result, scenario, API)
    theirs, theirs_note = _rps(result, scenario, peer)
    name = f"{result.claims:,}: {scenario} vs {peer}"
    if ours is None or not theirs:
        return _target(name, f"≥ {wanted}× req/s", "not run", None)
    ratio = ours / theirs
    measured = f"{ratio:.2f}× ({ours:,.1f}{ours_note} / {theirs:,.1f}{theirs_note})"
    return _target(name, f"≥ {wanted}× req/s", measured, ratio >= wanted)


def _p99(result: SizeResult, scenario: str, peer: str, limit_ms: float) -> dict[str, Any]:
    p99 = result.figure(scenario, 16, peer, "p99_ms")
    name = f"{result.claims:,}: {scenario} p99 ({peer}, c16)"
    if p99 is None:
        alone = result.figure(scenario, 1, peer, "p99_ms")
        if alone is None:
            return _target(name, f"≤ {limit_ms} ms", "not run", None)
        return _target(name, f"≤ {limit_ms} ms", f"too slow for c16; c1 p99 {alone:.0f} ms", False)
    return _target(name, f"≤ {limit_ms} ms", f"{p99:.2f} ms", p99 <= limit_ms)


def _growth(
    small: SizeResult, large: SizeResult, scenario: str, peer: str, within: float | None
) -> dict[str, Any]:
    before, _ = _rps(small, scenario, peer)
    after, after_note = _rps(large, scenario, peer)
    name = f"{scenario} ({peer}) {small.claims:,} → {large.claims:,}"
    wanted = f"within {within:.0%} of {small.claims:,}" if within else "report growth"
    if not before or not after:
        return _target(name, wanted, "not run", None)
    change = after / before - 1
    measured = f"{change:+.1%} req/s ({before:,.1f} → {after:,.1f}{after_note})"
    return _target(name, wanted, measured, change >= -within if within else None)


def _poll(result: SizeResult, peer: str) -> dict[str, Any]:
    full, _ = _rps(result, "filtered_list", peer)
    poll, _ = _rps(result, "poll_304", peer)
    name = f"{result.claims:,}: 304 poll cost / 200 cost ({peer})"
    if not full or not poll:
        return _target(name, "≤ 1/3", "not run", None)
    share = full / poll  # cost is 1/req/s on a saturated core
    return _target(
        name, "≤ 0.33", f"{share:.2f} ({poll:,.0f} vs {full:,.0f} req/s)", share <= 1 / 3
    )


def _load(result: SizeResult) -> list[dict[str, Any]]:
    found = []
    sqlite_load = result.loads.get("api-sqlite")
    if sqlite_load:
        rate = sqlite_load["rows_per_s"]
        found.append(
            _target(
                f"{result.claims:,}: bulk load into SQLite (indexes and FTS on)",
                "≥ 100,000 rows/s",
                f"{rate:,.0f} rows/s, {sqlite_load['seconds']:.1f} s",
                rate >= 100_000,
            )
        )
    pg_load, copy = result.loads.get("api-postgres"), result.loads.get("postgres-copy-baseline")
    if pg_load:
        rate = pg_load["rows_per_s"]
        measured = f"{rate:,.0f} rows/s, {pg_load['seconds']:.1f} s"
        met = None
        if copy:
            share = rate / copy["rows_per_s"]
            measured += f" = {share:.0%} of COPY ({copy['rows_per_s']:,.0f} rows/s)"
            met = share >= 0.5
        found.append(
            _target(
                f"{result.claims:,}: bulk load into PostgreSQL",
                "COPY speed (≥ 50% of COPY's rows/s)",
                measured,
                met,
            )
        )
    return found


def evaluate(results: list[SizeResult]) -> list[dict[str, Any]]:
    targets: list[dict[str, Any]] = []
    for result in results:
        targets += [
            _ratio(result, "lookup", DATASETTE, 4),
            _ratio(result, "lookup", POCKETBASE, 1.5),
            _p99(result, "lookup", API, 5),
            _ratio(result, "filtered_list", DATASETTE, 2),
            _p99(result, "filtered_list", API, 15),
            _poll(result, API),
            *_load(result),
        ]
        if any(API_PG in by_conn.get(16, {}) for by_conn in result.runs.values()):
            targets += [
                _p99(result, "lookup", API_PG, 5),
                _p99(result, "filtered_list", API_PG, 15),
            ]
            targets.append(_poll(result, API_PG))
    ordered = sorted(results, key=lambda r: r.claims)
    if len(ordered) > 1:
        small, large = ordered[0], ordered[-1]
        for peer in (API, API_PG):
            for scenario in ("lookup", "filtered_list", "deep_page"):
                targets.append(_growth(small, large, scenario, peer, 0.15))
            for scenario in ("facets", "full_text"):
                targets.append(_growth(small, large, scenario, peer, None))
    return [t for t in targets if t["measured"] != "not run" or t["met"] is not None]
