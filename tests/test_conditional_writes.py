"""Every write to an existing resource needs If-Match: 428 without it, 412 when stale.

Each case reads a resource, changes it once (so the first ETag is stale), then proves that
the operation refuses a missing and a stale ETag without writing anything, and succeeds with
the current one.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from tests.factories import World, actor_body, create, source_body

MERGE_PATCH = {"Content-Type": "application/merge-patch+json"}
INSTRUMENT = {"symbol": "S/RES/2397 (2017)", "title": "Resolution 2397", "adopted": "2017-12-22"}

Send = Callable[[TestClient, dict[str, Any], dict[str, str]], Response]


@dataclass(frozen=True)
class Write:
    """One write operation on an existing resource."""

    name: str
    make: Callable[[TestClient, World], dict[str, Any]]  # the resource the write targets
    send: Send
    success: int = 200


def _patch(field: str, value: str) -> Send:
    def send(client: TestClient, resource: dict[str, Any], headers: dict[str, str]) -> Response:
        return client.patch(
            _item(resource), json={field: value}, headers={**MERGE_PATCH, **headers}
        )

    return send


def _item(resource: dict[str, Any]) -> str:
    return resource["_path"]


def _with_path(prefix: str, resource: dict[str, Any]) -> dict[str, Any]:
    return {**resource, "_path": f"{prefix}/{resource['id']}"}


def _source(client: TestClient, world: World) -> dict[str, Any]:
    return _with_path("/v1/sources", world.source)


def _uncited_source(client: TestClient, world: World) -> dict[str, Any]:
    return _with_path(
        "/v1/sources",
        create(client, "/v1/sources", source_body(title="Spare", allow_duplicate_source=True)),
    )


def _actor(client: TestClient, world: World) -> dict[str, Any]:
    return _with_path("/v1/actors", world.actor)


def _other_actor(client: TestClient, world: World) -> dict[str, Any]:
    body = actor_body(name="DPR", kind="de_facto_authority", aliases=[], external_ids=[])
    return _with_path("/v1/actors", create(client, "/v1/actors", body))


def _instrument(client: TestClient, world: World) -> dict[str, Any]:
    return _with_path("/v1/instruments", create(client, "/v1/instruments", INSTRUMENT))


def _claim(client: TestClient, world: World) -> dict[str, Any]:
    return _with_path("/v1/claims", world.claim)


def _retract(client: TestClient, claim: dict[str, Any], headers: dict[str, str]) -> Response:
    return client.post(f"{_item(claim)}/retract", json={"reason": "Misquoted."}, headers=headers)


def _delete(client: TestClient, source: dict[str, Any], headers: dict[str, str]) -> Response:
    return client.delete(_item(source), headers=headers)


WRITES = [
    Write("patch source", _source, _patch("title", "A new title")),
    Write("delete source", _uncited_source, _delete, success=204),
    Write("patch actor", _actor, _patch("name", "DPR Korea")),
    Write("patch instrument", _instrument, _patch("title", "UNSCR 2397")),
    Write("patch claim", _claim, _patch("statement", "North Korea recognised the DPR.")),
    Write("retract claim", _claim, _retract),
]


def _age(client: TestClient, resource: dict[str, Any]) -> tuple[str, str]:
    """Edit the resource once; return its first (now stale) and its current ETag."""
    path = _item(resource)
    first = client.get(path).headers["ETag"]
    edit = {"title": "Edited"} if "/sources/" in path or "/instruments/" in path else None
    if "/actors/" in path:
        edit = {"aliases": [{"name": "Edited alias"}]}
    if "/claims/" in path:
        edit = {"confidence": 0.5}
    response = client.patch(path, json=edit, headers={**MERGE_PATCH, "If-Match": first})
    assert response.status_code == 200, response.text
    current = response.headers["ETag"]
    assert current != first
    return first, current


@pytest.mark.parametrize("write", WRITES, ids=[w.name for w in WRITES])
def test_write_needs_a_current_if_match(client: TestClient, write: Write) -> None:
    world = World(client)
    resource = write.make(client, world)
    stale, current = _age(client, resource)
    before = client.get(_item(resource)).json()

    missing = write.send(client, resource, {})
    assert missing.status_code == 428, missing.text
    assert missing.headers["Content-Type"] == "application/problem+json"
    assert missing.json()["current_etag"] == current

    refused = write.send(client, resource, {"If-Match": stale})
    assert refused.status_code == 412, refused.text
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert refused.json()["current_etag"] == current
    assert refused.json()["current_version"] == before["version"]

    # A weak ETag never matches for a write (RFC 9110: If-Match compares strongly).
    weak = write.send(client, resource, {"If-Match": f"W/{current}"})
    assert weak.status_code == 412, weak.text

    # Nothing was written by the refused attempts.
    assert client.get(_item(resource)).json() == before

    done = write.send(client, resource, {"If-Match": current})
    assert done.status_code == write.success, done.text


def test_if_match_accepts_any_of_several_etags(client: TestClient) -> None:
    world = World(client)
    path = f"/v1/claims/{world.claim['id']}"
    current = client.get(path).headers["ETag"]
    response = client.patch(
        path,
        json={"confidence": 0.4},
        headers={**MERGE_PATCH, "If-Match": f'"older", {current}'},
    )
    assert response.status_code == 200, response.text


def test_merge_needs_the_merged_actors_current_etag(client: TestClient) -> None:
    world = World(client)
    merged = _other_actor(client, world)
    stale, current = _age(client, merged)
    path = f"{_item(merged)}/merge"
    body = {"into": world.actor["id"]}

    missing = client.post(path, json=body)
    assert missing.status_code == 428, missing.text
    refused = client.post(path, json=body, headers={"If-Match": stale})
    assert refused.status_code == 412, refused.text
    assert refused.json()["current_etag"] == current
    # The survivor's ETag is not the merged actor's: it does not authorise the merge.
    survivor_etag = client.get(f"/v1/actors/{world.actor['id']}").headers["ETag"]
    wrong = client.post(path, json=body, headers={"If-Match": survivor_etag})
    assert wrong.status_code == 412, wrong.text
    assert client.get(_item(merged), follow_redirects=False).status_code == 200

    done = client.post(path, json=body, headers={"If-Match": current})
    assert done.status_code == 200, done.text
    assert client.get(_item(merged), follow_redirects=False).status_code == 308


def test_writes_to_missing_resources_are_404_before_428(client: TestClient) -> None:
    """A missing resource is reported as missing, whatever the headers say."""
    missing = "0192f0c1-7a00-7000-8000-000000000099"
    response = client.patch(f"/v1/claims/{missing}", json={"confidence": 0.1}, headers=MERGE_PATCH)
    assert response.status_code == 404, response.text
