"""Every GET sends a strong ETag and `Cache-Control: no-cache`; If-None-Match gives a 304.

One case per GET operation of the OpenAPI document (a guard test fails when a new GET has
no case here). Each case reads, checks the 304, makes a write that changes what the GET
answers, and checks that the old ETag no longer gives a 304 and the new one does.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from tests.factories import World, claim_body, create

MERGE_PATCH = {"Content-Type": "application/merge-patch+json"}
STRONG_ETAG = re.compile(r'^"[^"\s]+"$')
UNCONDITIONAL = {"/healthz", "/readyz", "/metrics"}  # probes and the scrape, not resources
# Conditional, but fixed by the code rather than the data: the ETag never changes.
FIXED = {"/v1/claims/transitions"}


class Cited(World):
    """The usual world, plus a legal instrument."""

    def __init__(self, client: TestClient) -> None:
        super().__init__(client)
        self.instrument = create(
            client, "/v1/instruments", {"symbol": "S/RES/2397 (2017)", "adopted": "2017-12-22"}
        )
        self.key = create(client, "/v1/keys", {"name": "a-dashboard", "role": "reader"})


def _patch(client: TestClient, path: str, body: dict[str, Any]) -> Response:
    etag = client.get(path).headers["ETag"]
    response = client.patch(path, json=body, headers={**MERGE_PATCH, "If-Match": etag})
    assert response.status_code == 200, response.text
    return response


def _edit_claim(client: TestClient, world: Cited) -> None:
    _patch(client, f"/v1/claims/{world.claim['id']}", {"confidence": 0.42})


def _edit_source(client: TestClient, world: Cited) -> None:
    _patch(client, f"/v1/sources/{world.source['id']}", {"author": "Another author"})


def _edit_actor(client: TestClient, world: Cited) -> None:
    _patch(client, f"/v1/actors/{world.actor['id']}", {"aliases": [{"name": "DPRK"}]})


def _edit_instrument(client: TestClient, world: Cited) -> None:
    instrument_id = world.instrument["id"]
    _patch(client, f"/v1/instruments/{instrument_id}", {"title": "UNSCR 2397"})


def _add_key(client: TestClient, world: Cited) -> None:
    create(client, "/v1/keys", {"name": "another-key", "role": "reader"})


def _revoke_key(client: TestClient, world: Cited) -> None:
    response = client.delete(f"/v1/keys/{world.key['id']}")
    assert response.status_code == 200, response.text


def _add_claim(client: TestClient, world: Cited) -> None:
    body = claim_body(world.source["id"], world.actor["id"], statement="Another recognition.")
    create(client, "/v1/claims", body)


def _add_term(client: TestClient, world: Cited) -> None:
    create(client, "/v1/vocabularies", {"vocabulary": "predicate", "term": "port_call"})


@dataclass(frozen=True)
class Read:
    path: str  # the OpenAPI path it covers
    url: Callable[[Cited], str]
    change: Callable[[TestClient, Cited], None]
    # The text passage of a cited source cannot change; its ETag follows the source's
    # version, so it changes (conservatively) while the content stays.
    body_changes: bool = True


READS = [
    Read("/v1/claims", lambda w: "/v1/claims?predicate=recognition", _edit_claim),
    Read("/v1/claims/facets", lambda w: "/v1/claims/facets?predicate=recognition", _add_claim),
    Read("/v1/claims/{claim_id}", lambda w: f"/v1/claims/{w.claim['id']}", _edit_claim),
    Read(
        "/v1/claims/{claim_id}/evidence",
        lambda w: f"/v1/claims/{w.claim['id']}/evidence",
        _edit_source,
    ),
    Read(
        "/v1/claims/{claim_id}/revisions",
        lambda w: f"/v1/claims/{w.claim['id']}/revisions",
        _edit_claim,
    ),
    Read("/v1/sources", lambda w: "/v1/sources?kind=news_article", _edit_source),
    Read("/v1/sources/{source_id}", lambda w: f"/v1/sources/{w.source['id']}", _edit_source),
    Read(
        "/v1/sources/{source_id}/text",
        lambda w: f"/v1/sources/{w.source['id']}/text?start=3&end=30",
        _edit_source,
        body_changes=False,
    ),
    Read("/v1/actors", lambda w: "/v1/actors?q=korea", _edit_actor),
    Read("/v1/actors/{actor_id}", lambda w: f"/v1/actors/{w.actor['id']}", _edit_actor),
    Read(
        "/v1/actors/{actor_id}/timeline",
        lambda w: f"/v1/actors/{w.actor['id']}/timeline",
        _add_claim,
    ),
    Read("/v1/instruments", lambda w: "/v1/instruments", _edit_instrument),
    Read(
        "/v1/instruments/{instrument_id}",
        lambda w: f"/v1/instruments/{w.instrument['id']}",
        _edit_instrument,
    ),
    Read("/v1/vocabularies", lambda w: "/v1/vocabularies?vocabulary=predicate", _add_term),
    Read("/v1/changes", lambda w: "/v1/changes?entity_type=claim&fields=ids", _edit_claim),
    Read(
        "/v1/actors/{actor_id}/revisions",
        lambda w: f"/v1/actors/{w.actor['id']}/revisions",
        _edit_actor,
    ),
    Read(
        "/v1/sources/{source_id}/revisions",
        lambda w: f"/v1/sources/{w.source['id']}/revisions",
        _edit_source,
    ),
    Read(
        "/v1/instruments/{instrument_id}/revisions",
        lambda w: f"/v1/instruments/{w.instrument['id']}/revisions",
        _edit_instrument,
    ),
    Read("/v1/keys", lambda w: "/v1/keys", _add_key),
    Read("/v1/keys/{key_id}", lambda w: f"/v1/keys/{w.key['id']}", _revoke_key),
]


@pytest.fixture
def world(client: TestClient) -> Cited:
    return Cited(client)


def _assert_cacheable(response: Response) -> str:
    etag = response.headers.get("ETag", "")
    assert STRONG_ETAG.match(etag), f"not a strong ETag: {etag!r}"
    assert response.headers.get("Cache-Control") == "no-cache"
    return etag


def _assert_not_modified(response: Response, etag: str) -> None:
    assert response.status_code == 304, response.text
    assert response.content == b""
    assert response.headers["ETag"] == etag
    assert response.headers.get("Cache-Control") == "no-cache"


def test_every_get_has_a_case(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    gets = {path for path, operations in document["paths"].items() if "get" in operations}
    assert gets - UNCONDITIONAL - FIXED == {read.path for read in READS}


@pytest.mark.parametrize("path", sorted(FIXED))
def test_a_fixed_read_is_conditional_and_stays_so_across_writes(
    client: TestClient, world: Cited, path: str
) -> None:
    first = client.get(path)
    etag = _assert_cacheable(first)
    _assert_not_modified(client.get(path, headers={"If-None-Match": etag}), etag)
    _edit_claim(client, world)
    _assert_not_modified(client.get(path, headers={"If-None-Match": etag}), etag)


@pytest.mark.parametrize("read", READS, ids=[read.path for read in READS])
def test_get_is_conditional(client: TestClient, world: Cited, read: Read) -> None:
    url = read.url(world)
    first = client.get(url)
    assert first.status_code == 200, first.text
    etag = _assert_cacheable(first)

    again = client.get(url, headers={"If-None-Match": etag})
    _assert_not_modified(again, etag)
    # The same answer to every form a cache may send: a list, a weak tag, the wildcard.
    _assert_not_modified(client.get(url, headers={"If-None-Match": f'"other", {etag}'}), etag)
    _assert_not_modified(client.get(url, headers={"If-None-Match": f"W/{etag}"}), etag)
    _assert_not_modified(client.get(url, headers={"If-None-Match": "*"}), etag)
    unrelated = client.get(url, headers={"If-None-Match": '"something-else"'})
    assert unrelated.status_code == 200
    assert unrelated.content == first.content

    read.change(client, world)
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200, changed.text
    new_etag = _assert_cacheable(changed)
    assert new_etag != etag
    assert (changed.content != first.content) is read.body_changes
    _assert_not_modified(client.get(url, headers={"If-None-Match": new_etag}), new_etag)


def test_writes_answer_with_the_new_etag(client: TestClient, world: Cited) -> None:
    """The ETag a write answers with is the one a GET sends: no read needed before the next
    conditional write."""
    path = f"/v1/claims/{world.claim['id']}"
    response = _patch(client, path, {"statement": "North Korea recognised the DPR and LPR."})
    assert response.headers["ETag"] == client.get(path).headers["ETag"]
    assert world.claim["version"] + 1 == response.json()["version"]


def test_claim_etag_follows_what_it_embeds(client: TestClient, world: Cited) -> None:
    """A claim embeds its actors' names, its sources' citations and its instruments'
    symbols: changing one re-renders the claim, so its ETag changes too."""
    instrument = world.instrument
    claim = create(
        client,
        "/v1/claims",
        claim_body(
            world.source["id"],
            world.actor["id"],
            instruments=[{"instrument_id": instrument["id"], "provision": "para 8"}],
        ),
    )
    path = f"/v1/claims/{claim['id']}"
    listing = "/v1/claims?predicate=recognition"

    def etags() -> tuple[str, str]:
        return client.get(path).headers["ETag"], client.get(listing).headers["ETag"]

    versions = [claim["version"]]

    def renamed(before: tuple[str, str], check: Callable[[dict[str, Any]], bool]) -> None:
        after = etags()
        assert after[0] != before[0], "the claim's ETag did not change"
        assert after[1] != before[1], "the list's ETag did not change"
        response = client.get(path, headers={"If-None-Match": before[0]})
        assert response.status_code == 200
        assert check(response.json())
        # A new document is a new version (a `rerendered` revision): the two go together.
        assert response.json()["version"] == versions[-1] + 1
        versions.append(response.json()["version"])

    before = etags()
    _patch(client, f"/v1/actors/{world.actor['id']}", {"name": "DPR Korea"})
    renamed(before, lambda doc: doc["actors"][0]["name"] == "DPR Korea")

    before = etags()
    _patch(client, f"/v1/sources/{world.source['id']}", {"publisher": "Reuters (Seoul)"})
    renamed(before, lambda doc: doc["evidence"][0]["source"]["publisher"] == "Reuters (Seoul)")

    before = etags()
    _patch(client, f"/v1/instruments/{instrument['id']}", {"symbol": "S/RES/2397(2017)"})
    renamed(before, lambda doc: doc["instruments"][0]["symbol"] == "S/RES/2397(2017)")


def test_list_etag_depends_on_the_query(client: TestClient, world: Cited) -> None:
    recognition = client.get("/v1/claims?predicate=recognition").headers["ETag"]
    talks = client.get("/v1/claims?predicate=talks").headers["ETag"]
    page = client.get("/v1/claims?predicate=recognition&limit=1").headers["ETag"]
    assert len({recognition, talks, page}) == 3
    # Another query's ETag never yields a 304.
    response = client.get("/v1/claims?predicate=talks", headers={"If-None-Match": recognition})
    assert response.status_code == 200


def test_list_etag_ignores_filter_order(client: TestClient, world: Cited) -> None:
    one = client.get("/v1/claims?predicate=talks&predicate=recognition").headers["ETag"]
    other = client.get("/v1/claims?predicate=recognition&predicate=talks").headers["ETag"]
    assert one == other


def test_missing_resource_is_404_whatever_the_condition(client: TestClient) -> None:
    response = client.get(
        "/v1/claims/0192f0c1-7a00-7000-8000-000000000099", headers={"If-None-Match": "*"}
    )
    assert response.status_code == 404


SAME_REQUEST = {"X-Request-Id": "head-and-get"}


@pytest.mark.parametrize("read", READS, ids=[read.path for read in READS])
def test_head_is_the_get_without_its_body(client: TestClient, world: Cited, read: Read) -> None:
    url = read.url(world)
    get, head = client.get(url, headers=SAME_REQUEST), client.head(url, headers=SAME_REQUEST)

    assert (head.status_code, head.content) == (200, b"")
    assert head.headers == get.headers  # ETag, caching and Content-Length included
    assert int(head.headers["Content-Length"]) == len(get.content)
    etag = get.headers["ETag"]
    again = client.head(url, headers={"If-None-Match": etag})
    _assert_not_modified(again, etag)


@pytest.mark.parametrize("path", sorted(UNCONDITIONAL - {"/metrics"}))
def test_probes_answer_head(client: TestClient, path: str) -> None:
    get, head = client.get(path, headers=SAME_REQUEST), client.head(path, headers=SAME_REQUEST)
    assert (head.status_code, head.content) == (200, b"")
    assert head.headers == get.headers
