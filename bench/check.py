"""Before timing: every peer must answer the scenario's cases with the same claims, in the
same order, as the API (or, for facets, the same counts). A difference fails the run."""

from dataclasses import dataclass, field
from typing import Any

from bench.scenarios import API, DATASETTE, IDS, Scenario, facets_api, facets_datasette, fetch_json
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

    def as_dict(self) -> dict[str, Any]:
        return {
            "cases_compared": self.compared,
            "rows_compared": self.rows,
            "content_equal": self.content_equal,
        }


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
