"""The read scenarios: for each, the URL every peer answers it with, and what to compare.

A scenario holds, per peer, one request per case (same index, same case), so the check
before timing can ask every peer the same cases and compare the ids they return, in order.
"""

import json
import sqlite3
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from app.claims.criteria import ClaimCriteria
from app.pagination import encode_cursor
from bench.cases import DATE_KIND, Cases, FacetCase, ListCase
from bench.pocketbase import FILTER_KIND
from bench.servers import Server

API = "api"
API_PG = "api-pg"
# The API of an older commit (--baseline), on SQLite and on PostgreSQL.
API_BASE = "api-base"
API_BASE_PG = "api-base-pg"
# Each baseline is compared with (and its req/s divided into) the current API on its database.
BASELINE_OF = {API_BASE: API, API_BASE_PG: API_PG}
APIS = (API, API_BASE, API_PG, API_BASE_PG)
DATASETTE = "datasette"
POCKETBASE = "pocketbase"

# The API: filters as a dashboard sends them.


def api_lookup(claim_id: str) -> str:
    return f"/v1/claims/{quote(claim_id)}"


def api_filtered(case: ListCase) -> str:
    return "/v1/claims?" + urlencode(
        {
            "actor": case.actor,
            "date_kind": DATE_KIND,
            "date_from": case.date_from,
            "date_to": case.date_to,
            "limit": 50,
        }
    )


def api_page(cursor: str) -> str:
    return "/v1/claims?" + urlencode({"limit": 50, "cursor": cursor})


def api_search(word: str) -> str:
    return "/v1/claims?" + urlencode({"q": word, "sort": "relevance", "limit": 50})


def api_facets(case: FacetCase) -> str:
    return "/v1/claims/facets?" + urlencode(
        {"date_kind": DATE_KIND, "date_from": case.date_from, "date_to": case.date_to}
    )


# datasette: canned queries (bench/canned.py), rows as an array, the document as JSON.


def _canned(database: str, query: str, params: dict[str, str], column: str) -> str:
    shape = {"_shape": "array", "_json": column}
    return f"/{quote(database)}/{query}.json?" + urlencode({**params, **shape})


def datasette_lookup(database: str, claim_id: str) -> str:
    return _canned(database, "claim", {"id": claim_id}, "document")


def datasette_filtered(database: str, case: ListCase) -> str:
    params = {
        "actor": case.actor,
        "date_kind": DATE_KIND,
        "date_from": case.date_from,
        "date_to": case.date_to,
    }
    return _canned(database, "claims_filtered", params, "document")


def datasette_page(database: str, after: str) -> str:
    return _canned(database, "claims_after", {"after": after}, "document")


def datasette_search(database: str, word: str) -> str:
    return _canned(database, "claims_search", {"q": f'"{word}"'}, "document")


def datasette_facets(database: str, case: FacetCase) -> str:
    params = {"date_kind": DATE_KIND, "date_from": case.date_from, "date_to": case.date_to}
    return _canned(database, "claim_facets", params, "facets")


# PocketBase: its records API, flat records, no total count (we do not count either).

STATUSES = "('published', 'disputed')"
PB_RECORDS = "/api/collections/claims/records"
PB_STATUSES = "(status = 'published' || status = 'disputed')"


def _pb_list(filter_expression: str) -> str:
    return f"{PB_RECORDS}?" + urlencode(
        {"filter": filter_expression, "sort": "id", "perPage": 50, "skipTotal": 1}
    )


def pocketbase_lookup(claim_id: str) -> str:
    return f"{PB_RECORDS}/{quote(claim_id)}"


def pocketbase_filtered(case: ListCase) -> str:
    return _pb_list(
        f"{PB_STATUSES} && actors.id ?= '{case.actor}' && "
        f"{FILTER_KIND}_latest >= '{case.date_from}' && {FILTER_KIND}_earliest <= '{case.date_to}'"
    )


def pocketbase_page(after: str) -> str:
    return _pb_list(f"{PB_STATUSES} && id > '{after}'")


# Reading ids out of each answer.


def ids_api(body: Any) -> list[str]:
    if isinstance(body, dict) and "data" in body:
        return [item["id"] for item in body["data"]]
    return [body["id"]]


def ids_datasette(body: Any) -> list[str]:
    return [row["document"]["id"] for row in body]


def ids_pocketbase(body: Any) -> list[str]:
    if "items" in body:
        return [item["id"] for item in body["items"]]
    return [body["id"]]


def facets_api(body: Any) -> Any:
    return body


def facets_datasette(body: Any) -> Any:
    return body[0]["facets"]


IDS: dict[str, Callable[[Any], Any]] = {
    API: ids_api,
    API_PG: ids_api,
    API_BASE: ids_api,
    API_BASE_PG: ids_api,
    DATASETTE: ids_datasette,
    POCKETBASE: ids_pocketbase,
}


@dataclass
class Scenario:
    name: str
    title: str
    # peer -> one (path, If-None-Match) per case
    requests: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    expected_status: int = 200
    # What the check compares: "ids" in order, or the whole "facets" answer.
    compare: str = "ids"
    # What the report should say about it, such as a peer that cannot answer it.
    notes: list[str] = field(default_factory=list)


def fetch_json(base_url: str, path: str, etag: str = "") -> tuple[int, Any, dict[str, str]]:
    headers = {"If-None-Match": etag} if etag else {}
    request = urllib.request.Request(base_url + path, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=300) as answer:
            raw = answer.read()
            return answer.status, json.loads(raw) if raw else None, dict(answer.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")[:500], dict(error.headers)


@dataclass(frozen=True)
class DeepPages:
    """Cursors deep in the default list: (cursor, id of the last claim before it)."""

    pages: list[tuple[str, str]]


def _mint(secret: str, after_id: str) -> str:
    """The cursor the API gives after `after_id` in the default list (sort=id, no filter),
    made with the app's own cursor code and the secret the harness gave the server."""
    return encode_cursor(secret, ClaimCriteria().scope(sort="id"), [after_id])


def deep_pages(base_url: str, database: Path, secret: str, count: int = 200) -> DeepPages:
    """Cursors for pages of 50 in the deeper half of the list.

    Walking to the middle of a million claims takes a thousand requests of 500 claims (and
    took hours while each page sorted everything after its cursor), so the cursors are
    minted for ids drawn from the deeper half, after checking on the first pages, walked
    over HTTP, that minted cursors are exactly the ones the server hands out."""
    path = "/v1/claims?limit=50"
    for _ in range(3):
        status, body, _ = fetch_json(base_url, path)
        if status != 200 or not body["next_cursor"]:
            raise RuntimeError(f"walking the first pages: {path} answered {status}: {body}")
        after = body["data"][-1]["id"]
        if _mint(secret, after) != body["next_cursor"]:
            raise RuntimeError(
                "minted cursors differ from the server's: update bench/scenarios.py to the "
                "cursor format of app/pagination.py"
            )
        path = "/v1/claims?" + urlencode({"limit": 50, "cursor": body["next_cursor"]})
    db = sqlite3.connect(f"file:{database}?immutable=1", uri=True)
    try:
        ids = [
            row[0]
            for row in db.execute(f"SELECT id FROM claim WHERE status IN {STATUSES} ORDER BY id")
        ]
    finally:
        db.close()
    deep = ids[len(ids) // 2 : -51] or ids[:-51]
    step = max(1, len(deep) // count)
    return DeepPages([(_mint(secret, after), after) for after in deep[::step][:count]])


def build(
    cases: Cases,
    deep_list: DeepPages,
    database: str,
    peers: set[str],
) -> list[Scenario]:
    """Every read scenario, for the peers that can answer it."""
    lookup = Scenario("lookup", "lookup by id")
    lookup.requests[API] = [(api_lookup(i), "") for i in cases.claim_ids]
    filtered = Scenario("filtered_list", "actor + date range, 50 nested")
    filtered.requests[API] = [(api_filtered(c), "") for c in cases.lists]
    deep = Scenario("deep_page", "keyset page deep in the list")
    pages = deep_list.pages
    deep.requests[API] = [(api_page(cursor), "") for cursor, _ in pages]
    search = Scenario("full_text", "ranked full text, 50")
    search.requests[API] = [(api_search(w), "") for w in cases.words]
    facets = Scenario("facets", "facets over a date window", compare="facets")
    facets.requests[API] = [(api_facets(c), "") for c in cases.facets]
    if DATASETTE in peers:
        lookup.requests[DATASETTE] = [(datasette_lookup(database, i), "") for i in cases.claim_ids]
        filtered.requests[DATASETTE] = [(datasette_filtered(database, c), "") for c in cases.lists]
        deep.requests[DATASETTE] = [(datasette_page(database, after), "") for _, after in pages]
        search.requests[DATASETTE] = [(datasette_search(database, w), "") for w in cases.words]
        facets.requests[DATASETTE] = [(datasette_facets(database, c), "") for c in cases.facets]
    if POCKETBASE in peers:
        lookup.requests[POCKETBASE] = [(pocketbase_lookup(i), "") for i in cases.claim_ids]
        filtered.requests[POCKETBASE] = [(pocketbase_filtered(c), "") for c in cases.lists]
        deep.requests[POCKETBASE] = [(pocketbase_page(after), "") for _, after in pages]
        search.notes.append("PocketBase has no full-text search")
        facets.notes.append("PocketBase has no facet counts")
    return [lookup, filtered, deep, search, facets]


def poll_304(servers: dict[str, Server], filtered: Scenario) -> Scenario:
    """The filtered lists again, each sent with the ETag its server just gave: every answer
    is a 304. Its cost is compared with the filtered list's 200."""
    poll = Scenario("poll_304", "poll answered 304 (If-None-Match)", expected_status=304)
    for peer in APIS:
        if peer not in servers:
            continue
        requests = []
        for path, _ in filtered.requests[API]:
            status, _, headers = fetch_json(servers[peer].base_url, path)
            if status != 200:
                raise RuntimeError(f"{peer}: {path} answered {status}")
            etag = next(value for key, value in headers.items() if key.lower() == "etag")
            requests.append((path, etag))
        poll.requests[peer] = requests
    return poll


def write_requests(path: Path, requests: list[tuple[str, str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{p}\t{etag}\n" if etag else f"{p}\n" for p, etag in requests))
    return path
