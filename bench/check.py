"""Before timing: every peer must answer the scenario's cases with the same claims, in the
same order, as the API (or, for facets, the same counts). A difference fails the run.

The baseline (an older commit's API, `--baseline`) is compared with the current API on the
same database the same way, and its whole answers too, but a difference is reported, not
fatal: the current code may differ on purpose (a fix, a new field)."""

from dataclasses import dataclass, field
from typing import Any

from bench.scenarios import (
    API,
    BASELINE_OF,
    DATASETTE,
    IDS,
    Scenario,
    facets_api,
    facets_datasette,
    fetch_json,
)
from bench.servers import Server

SAMPLE = 25


class Mismatch(RuntimeError):
    pass


@dataclass
class CheckReport:
    compared: int = 0
    rows: int = 0
    content_equal: bool | None = None
    notes: list[str] = field(default_factory=list)
    # Baseline comparisons: cases whose ids (or counts) differ, and whose answers differ.
    ids_differ: int | None = None
    answers_differ: int | None = None

    def as_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "cases_compared": self.compared,
            "rows_compared": self.rows,
            "content_equal": self.content_equal,
        }
        if self.ids_differ is not None:
            found.update(
                ids_differ=self.ids_differ, answers_differ=self.answers_differ, notes=self.notes
            )
        return found


def _get(server: Server, path: str, etag: str = "") -> Any:
    status, body, _ = fetch_json(server.base_url, path, etag)
    if status != 200:
        raise Mismatch(f"{server.name}: {path} answered {status}: {body}")
    return body


def _documents(peer: str, body: Any) -> list[Any]:
    """The nested claims of an answer, to compare content where the shapes match."""
    if peer == DATASETTE:
        return [row["document"] for row in body]
    if isinstance(body, dict) and "data" in body:
        return list(body["data"])
    return [body]


def check(scenario: Scenario, peer: str, servers: dict[str, Server]) -> CheckReport:
    """Compare `peer` with the API on the first cases of `scenario`."""
    report = CheckReport()
    content_equal = True
    # Content is compared with datasette (same file, so same timestamps); the API on
    # PostgreSQL holds another load of the same data, whose created_at differ.
    nested = peer == DATASETTE
    api_requests = scenario.requests[API][:SAMPLE]
    peer_requests = scenario.requests[peer][:SAMPLE]
    for (api_path, _), (peer_path, _) in zip(api_requests, peer_requests, strict=True):
        ours = _get(servers[API], api_path)
        theirs = _get(servers[peer], peer_path)
        report.compared += 1
        if scenario.compare == "facets":
            expected = {k: v for k, v in facets_api(ours).items() if k != "date_kind"}
            got = facets_api(theirs) if peer.startswith(API) else facets_datasette(theirs)
            got = {k: v for k, v in got.items() if k != "date_kind"}
            if expected != got:
                raise Mismatch(f"{scenario.name}: {peer} counts differ for {peer_path}")
            report.rows += 1
            continue
        expected_ids, got_ids = IDS[API](ours), IDS[peer](theirs)
        if expected_ids != got_ids:
            raise Mismatch(
                f"{scenario.name}: {peer} answered other claims or another order for "
                f"{peer_path}\n  api:  {expected_ids[:5]}…\n  peer: {got_ids[:5]}…"
            )
        report.rows += len(expected_ids)
        if nested and _documents(API, ours) != _documents(peer, theirs):
            content_equal = False
    report.content_equal = content_equal if nested else None
    if report.rows == 0:
        raise Mismatch(f"{scenario.name}: no case returned anything; the check proves nothing")
    return report


def _answer_or_status(server: Server, path: str) -> tuple[int, Any]:
    status, body, _ = fetch_json(server.base_url, path)
    return status, body


def compare_baseline(scenario: Scenario, peer: str, servers: dict[str, Server]) -> CheckReport:
    """Compare the baseline `peer` with the current API on the same database, case by case
    (same requests, same order): the same ids (or counts), and the same whole answer.
    Differences are counted and described, never raised."""
    current = BASELINE_OF[peer]
    report = CheckReport(ids_differ=0, answers_differ=0)
    for path, _ in scenario.requests[current][:SAMPLE]:
        ours_status, ours = _answer_or_status(servers[current], path)
        base_status, theirs = _answer_or_status(servers[peer], path)
        report.compared += 1
        if ours_status != 200:
            raise Mismatch(f"{current}: {path} answered {ours_status}: {ours}")
        if base_status != 200:
            report.ids_differ += 1
            report.answers_differ += 1
            report.notes.append(f"{path}: baseline answered {base_status}: {str(theirs)[:120]}")
            continue
        if scenario.compare == "facets":
            same_ids = ours == theirs
        else:
            same_ids = IDS[current](ours) == IDS[peer](theirs)
            report.rows += len(IDS[current](ours))
        if not same_ids:
            report.ids_differ += 1
            if len(report.notes) < 3:
                report.notes.append(f"{path}: other ids/order or counts than {current}")
        if ours != theirs:
            report.answers_differ += 1
            if same_ids and len(report.notes) < 3:
                keys = _differing_keys(ours, theirs)
                report.notes.append(f"{path}: same ids, answers differ in {keys}")
    report.content_equal = report.answers_differ == 0
    return report


def _differing_keys(ours: Any, theirs: Any) -> list[str]:
    """Where two answers differ, to one level in their items, for the report."""
    if isinstance(ours, dict) and isinstance(theirs, dict):
        keys = sorted(set(ours) | set(theirs))
        differing = [k for k in keys if ours.get(k) != theirs.get(k)]
        if differing == ["data"] and isinstance(ours["data"], list):
            inner = {
                k
                for a, b in zip(ours["data"], theirs.get("data") or [], strict=False)
                if isinstance(a, dict) and isinstance(b, dict)
                for k in set(a) | set(b)
                if a.get(k) != b.get(k)
            }
            return [f"data[].{k}" for k in sorted(inner)] or differing
        return differing
    return ["the whole answer"]
