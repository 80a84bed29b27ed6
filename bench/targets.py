"""The issues' targets, measured against the results; each says by how much it is met or
missed (what would close a gap is for the report to say).

Two sets: issue 6's (`evaluate_issue6`, as before) and the query layer's (`evaluate_query`:
ratios to the baseline peer of `--baseline`, CPU outside SQL, the 304 rate under unrelated
writes, growth from 10k to 1M). Each target carries the name of its set."""

from typing import Any

from bench.report import SizeResult
from bench.scenarios import API, API_BASE, API_BASE_PG, API_PG, DATASETTE, POCKETBASE

SMALL = 10_000
LARGE = 1_000_000
ISSUE6 = "issue 6"
QUERY = "query layer"
# Scenarios whose cost grows with their matches (excluded from the 15% growth target).
GROWS_WITH_MATCHES = ("full_text", "facets")


def _target(name: str, wanted: str, measured: str, met: bool | None) -> dict[str, Any]:
    return {"name": name, "wanted": wanted, "measured": measured, "met": met}


def _rps(result: SizeResult, scenario: str, peer: str) -> tuple[float | None, str]:
    """req/s at 16 connections, or at 1 when the peer was too slow to be run at 16."""
    at_16 = result.figure(scenario, 16, peer, "rps")
    if at_16 is not None:
        return at_16, ""
    return result.figure(scenario, 1, peer, "rps"), " (at 1 connection)"


def _ratio(
    result: SizeResult, scenario: str, peer: str, wanted: float, ours_peer: str = API
) -> dict[str, Any]:
    ours, ours_note = _rps(result, scenario, ours_peer)
    theirs, theirs_note = _rps(result, scenario, peer)
    name = f"{result.claims:,}: {scenario} vs {peer}"
    if ours_peer != API:
        name = f"{result.claims:,}: {scenario} {ours_peer} vs {peer}"
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


def _at_least(result: SizeResult, scenario: str, peer: str, rps: float) -> dict[str, Any]:
    found = result.figure(scenario, 16, peer, "rps")
    name = f"{result.claims:,}: {scenario} req/s ({peer}, c16)"
    wanted = f"≥ {rps:,.0f} req/s"
    if found is None:
        return _target(name, wanted, "not run", None)
    return _target(name, wanted, f"{found:,.0f} req/s", found >= rps)


def _outside_sql(result: SizeResult, peer: str, limit_ms: float) -> list[dict[str, Any]]:
    """CPU per request outside SQL: the API's p50 at 1 connection minus its SQL time."""
    found = []
    for scenario, floor in result.sql.get(peer, {}).items():
        outside = floor.get("api_p50_c1_minus_sql_ms")
        if outside is None:
            continue
        found.append(
            _target(
                f"{result.claims:,}: {scenario} outside SQL ({peer}, p50 c1 − SQL)",
                f"≤ {limit_ms} ms",
                f"{outside:.3f} ms ({floor['api_p50_c1_ms']:.3f} − {floor['sql_p50_ms']:.3f})",
                outside <= limit_ms,
            )
        )
    return found


def _poll_writes(result: SizeResult) -> list[dict[str, Any]]:
    found_all = result.poll_writes
    found = []
    for kind, row in found_all.get("lists", {}).items():
        found.append(
            _target(
                f"{result.claims:,}: 304 share, {kind} lists, under {found_all['writers']} "
                "unrelated writers",
                "100%",
                f"{row['share_304']:.1%} of {row['polls']:,} polls "
                f"({found_all['writes']:,} writes)",
                row["share_304"] >= 1.0 and found_all["pages_unchanged"],
            )
        )
        if "cost_304_over_200_rps" in row:
            cost = row["cost_304_over_200_rps"]
            found.append(
                _target(
                    f"{result.claims:,}: 304 cost / 200 cost, {kind} lists (c1)",
                    "≤ 0.25×",
                    f"{cost:.2f}× req/s ({row['rps_304']:,.0f} vs {row['rps_200']:,.0f}); "
                    f"p50 {row['cost_304_over_200_p50']:.2f}×",
                    cost <= 0.25,
                )
            )
    return found


def _scenarios(result: SizeResult) -> list[str]:
    return list(result.runs)


def evaluate_query(results: list[SizeResult]) -> list[dict[str, Any]]:
    """The targets of the query-layer issue."""
    targets: list[dict[str, Any]] = []
    pg_pairs = ((API, API_BASE), (API_PG, API_BASE_PG))
    for result in results:
        if result.claims == SMALL:
            for peer, base in pg_pairs:
                targets += [
                    _p99(result, "filtered_list", peer, 15),
                    _ratio(result, "filtered_list", base, 2, peer),
                ]
            targets += [
                _ratio(result, "lookup", DATASETTE, 6),
                _ratio(result, "lookup", POCKETBASE, 2),
            ]
        for peer, base in pg_pairs:
            targets += [
                _ratio(result, "deep_page", base, 1.5, peer),
                _ratio(result, "facets", base, 1.0, peer),
            ]
        targets += [
            _at_least(result, "lookup", API_PG, 5000),
            *_outside_sql(result, API, 0.5),
            *_outside_sql(result, API_PG, 0.5),
            *_poll_writes(result),
        ]
    by_size = {r.claims: r for r in results}
    if SMALL in by_size and LARGE in by_size:
        small, large = by_size[SMALL], by_size[LARGE]
        for peer in (API, API_PG):
            for scenario in _scenarios(small):
                if scenario not in GROWS_WITH_MATCHES:
                    targets.append(_growth(small, large, scenario, peer, 0.15))
    return targets


def evaluate(results: list[SizeResult]) -> list[dict[str, Any]]:
    """Every target of both sets, those that could be measured."""
    found = [{"set": ISSUE6, **t} for t in evaluate_issue6(results)]
    found += [{"set": QUERY, **t} for t in evaluate_query(results)]
    return [t for t in found if t["measured"] != "not run" or t["met"] is not None]


def evaluate_issue6(results: list[SizeResult]) -> list[dict[str, Any]]:
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
    return targets
