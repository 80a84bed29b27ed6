"""A claim's status changes only through its transitions: publish, dispute, retract,
reinstate. Each is conditional (If-Match), bumps the version, records its own revision
operation with the reason, and answers 409 from a status it does not apply to."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.db_state import row_counts
from tests.factories import World, claim_body, create

PROBLEM = "application/problem+json"
# The route to each status from a new claim: (create status, transitions with reasons).
ROUTES: dict[str, tuple[str, list[tuple[str, str | None]]]] = {
    "draft": ("draft", []),
    "published": ("published", []),
    "disputed": ("published", [("dispute", "A second source contradicts it.")]),
    "retracted": ("published", [("retract", "Misquoted.")]),
}
ALLOWED = {
    "draft": ["publish", "retract"],
    "published": ["dispute", "retract"],
    "disputed": ["publish", "retract"],
    "retracted": ["reinstate"],
}
ALLOWED_FROM = {
    "publish": ["draft", "disputed"],
    "dispute": ["published"],
    "retract": ["draft", "published", "disputed"],
    "reinstate": ["retracted"],
}
ONE_OF = {
    ("draft", "disputed"): "draft or disputed",
    ("published",): "published",
    ("retracted",): "retracted",
    ("draft", "published", "disputed"): "draft, published or disputed",
    ("publish", "retract"): "publish or retract",
    ("dispute", "retract"): "dispute or retract",
    ("reinstate",): "reinstate",
}
STATUS_AFTER = {
    "publish": "published",
    "dispute": "disputed",
    "retract": "retracted",
    "reinstate": "published",
}
OPERATION = {
    "publish": "published",
    "dispute": "disputed",
    "retract": "retracted",
    "reinstate": "reinstated",
}


def _post(
    client: TestClient, claim_id: str, transition: str, reason: str | None, etag: str | None
) -> Any:
    path = f"/v1/claims/{claim_id}/{transition}"
    headers = {"If-Match": etag} if etag else {}
    body = None if reason is None else {"reason": reason}
    return client.post(path, json=body, headers=headers)


def _etag(client: TestClient, claim_id: str) -> str:
    etag: str = client.get(f"/v1/claims/{claim_id}").headers["etag"]
    return etag


def _claim_in(client: TestClient, world: World, status: str) -> dict[str, Any]:
    created_as, steps = ROUTES[status]
    claim = create(
        client, "/v1/claims", claim_body(world.source["id"], world.actor["id"], status=created_as)
    )
    for transition, reason in steps:
        response = _post(client, claim["id"], transition, reason, _etag(client, claim["id"]))
        assert response.status_code == 200, response.text
        claim = response.json()
    assert claim["status"] == status
    return claim


ALLOWED_CASES = [(status, t) for status, names in ALLOWED.items() for t in names]


@pytest.mark.parametrize(("status", "transition"), ALLOWED_CASES)
def test_each_allowed_transition_moves_the_claim_and_records_who_and_why(
    client: TestClient, reviewer: TestClient, status: str, transition: str
) -> None:
    world = World(client)
    before = _claim_in(client, world, status)
    etag = _etag(client, before["id"])
    reason = f"Reviewed: {transition} from {status}."

    # A reviewer who wrote none of it (a draft's author may not publish it: four eyes).
    response = _post(reviewer, before["id"], transition, reason, etag)

    assert response.status_code == 200, response.text
    claim = response.json()
    assert response.headers["etag"] != etag
    assert client.get(f"/v1/claims/{claim['id']}").json() == claim
    retracted = STATUS_AFTER[transition] == "retracted"
    expected = before | {
        "status": STATUS_AFTER[transition],
        "retraction_reason": reason if retracted else None,
        "version": before["version"] + 1,
        "updated_at": claim["updated_at"],
    }
    assert claim == expected
    revisions = client.get(f"/v1/claims/{claim['id']}/revisions").json()["data"]
    last = revisions[-1]
    assert (last["version"], last["operation"], last["reason"], last["cause"]) == (
        claim["version"],
        OPERATION[transition],
        reason,
        None,
    )
    assert last["snapshot"] == claim
    assert last["recorded_by"] == "test-reviewer"


@pytest.mark.parametrize("transition", list(OPERATION))
def test_a_transition_needs_if_match_and_a_current_etag(
    client: TestClient, engine: Engine, transition: str
) -> None:
    world = World(client)
    claim = _claim_in(client, world, ALLOWED_FROM[transition][0])
    before = row_counts(engine)

    missing = _post(client, claim["id"], transition, "Why.", None)
    stale = _post(client, claim["id"], transition, "Why.", '"not-the-etag"')

    assert (missing.status_code, stale.status_code) == (428, 412)
    assert row_counts(engine) == before


REFUSED_CASES = [(status, t) for status in ALLOWED for t in OPERATION if t not in ALLOWED[status]]


@pytest.mark.parametrize(("status", "transition"), REFUSED_CASES)
def test_a_transition_from_a_status_it_does_not_apply_to_is_409(
    client: TestClient, engine: Engine, status: str, transition: str
) -> None:
    world = World(client)
    claim = _claim_in(client, world, status)
    etag = _etag(client, claim["id"])
    before = row_counts(engine)

    response = _post(client, claim["id"], transition, "Why.", etag)

    assert response.status_code == 409
    assert response.headers["content-type"] == PROBLEM
    allowed_from = ALLOWED_FROM[transition]
    assert response.json() == {
        "type": "https://sanctions-claims.dev/problems/conflict",
        "title": "Conflict",
        "status": 409,
        "detail": f"Claim {claim['id']!r} is {status}; {transition} applies to a claim that "
        f"is {ONE_OF[tuple(allowed_from)]}. From {status}: {ONE_OF[tuple(ALLOWED[status])]}.",
        "errors": [],
        "current_status": status,
        "allowed_from": allowed_from,
        "allowed_transitions": ALLOWED[status],
    }
    assert row_counts(engine) == before
    assert _etag(client, claim["id"]) == etag


def test_retracting_a_retracted_claim_is_409(client: TestClient) -> None:
    world = World(client)
    claim = _claim_in(client, world, "retracted")

    again = _post(client, claim["id"], "retract", "Still wrong.", _etag(client, claim["id"]))

    assert again.status_code == 409
    assert again.json()["current_status"] == "retracted"
    assert again.json()["allowed_transitions"] == ["reinstate"]


@pytest.mark.parametrize("transition", ["dispute", "retract", "reinstate"])
@pytest.mark.parametrize("reason", [None, "", "   \n\t"])
def test_dispute_retract_and_reinstate_need_a_reason_with_words(
    client: TestClient, engine: Engine, transition: str, reason: str | None
) -> None:
    world = World(client)
    claim = _claim_in(client, world, ALLOWED_FROM[transition][0])
    etag = _etag(client, claim["id"])
    before = row_counts(engine)

    response = _post(client, claim["id"], transition, reason, etag)

    assert response.status_code == 422, response.text
    pointers = [error.get("pointer") for error in response.json()["errors"]]
    assert pointers == (["/"] if reason is None else ["/reason"])
    assert row_counts(engine) == before


def test_publish_takes_no_body_or_an_optional_reason(
    client: TestClient, reviewer: TestClient
) -> None:
    world = World(client)
    draft = _claim_in(client, world, "draft")
    disputed = _claim_in(client, world, "disputed")

    bare = _post(reviewer, draft["id"], "publish", None, _etag(client, draft["id"]))
    empty = client.post(
        f"/v1/claims/{disputed['id']}/publish",
        json={},
        headers={"If-Match": _etag(client, disputed["id"])},
    )

    assert (bare.status_code, empty.status_code) == (200, 200)
    for claim in (draft, disputed):
        revisions = client.get(f"/v1/claims/{claim['id']}/revisions").json()["data"]
        assert (revisions[-1]["operation"], revisions[-1]["reason"]) == ("published", None)


def test_a_reinstated_claim_shows_its_retraction_and_reinstatement_with_their_reasons(
    client: TestClient,
) -> None:
    world = World(client)
    claim_id = world.claim["id"]
    retracted = _post(client, claim_id, "retract", "Misquoted.", _etag(client, claim_id))
    reinstated = _post(
        client, claim_id, "reinstate", "The quote was checked again.", _etag(client, claim_id)
    )

    assert reinstated.status_code == 200, reinstated.text
    assert reinstated.json()["status"] == "published"
    assert reinstated.json()["retraction_reason"] is None
    revisions = client.get(f"/v1/claims/{claim_id}/revisions").json()["data"]
    assert [(r["version"], r["operation"], r["reason"]) for r in revisions] == [
        (1, "created", None),
        (2, "retracted", "Misquoted."),
        (3, "reinstated", "The quote was checked again."),
    ]
    assert revisions[1]["snapshot"] == retracted.json()
    assert revisions[2]["snapshot"] == reinstated.json()
    feed = client.get("/v1/changes", params={"entity_type": "claim"}).json()["data"]
    assert [(c["operation"], c["reason"]) for c in feed] == [
        ("created", None),
        ("retracted", "Misquoted."),
        ("reinstated", "The quote was checked again."),
    ]


def test_a_patch_that_sets_the_status_is_refused_and_points_at_the_transitions(
    client: TestClient, engine: Engine
) -> None:
    world = World(client)
    path = f"/v1/claims/{world.claim['id']}"
    before = row_counts(engine)

    response = client.patch(
        path,
        json={"status": "draft", "confidence": 0.5},
        headers={
            "content-type": "application/merge-patch+json",
            "If-Match": _etag(client, world.claim["id"]),
        },
    )

    assert response.status_code == 422
    detail = (
        "Value error, a status changes only through its transition: POST "
        "/v1/claims/{id}/publish, /dispute, /retract or /reinstate (see GET "
        "/v1/claims/transitions)"
    )
    assert response.json() == {
        "type": "https://sanctions-claims.dev/problems/validation-error",
        "title": "Invalid request",
        "status": 422,
        "detail": "The request has 1 invalid field.",
        "errors": [{"pointer": "/status", "detail": detail}],
    }
    assert row_counts(engine) == before


@pytest.mark.parametrize("status", ["disputed", "retracted"])
def test_a_claim_is_created_draft_or_published(client: TestClient, status: str) -> None:
    world = World(client)

    response = client.post(
        "/v1/claims", json=claim_body(world.source["id"], world.actor["id"], status=status)
    )

    assert response.status_code == 422
    assert [e["pointer"] for e in response.json()["errors"]] == ["/status"]


def test_the_transitions_are_listed(client: TestClient) -> None:
    response = client.get("/v1/claims/transitions")

    assert response.status_code == 200
    assert response.json() == {
        "data": [
            {
                "transition": name,
                "operation": OPERATION[name],
                "allowed_from": ALLOWED_FROM[name],
                "status_after": STATUS_AFTER[name],
                "reason_required": name != "publish",
            }
            for name in ("publish", "dispute", "retract", "reinstate")
        ]
    }
    etag = response.headers["etag"]
    again = client.get("/v1/claims/transitions", headers={"If-None-Match": etag})
    assert again.status_code == 304
