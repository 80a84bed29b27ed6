"""API keys, roles, drafts kept private, and who wrote every revision.

Named after the OWASP API Security Top 10 (2023) items they cover where they apply:
API1 object-level authorisation (drafts), API2 authentication (keys), API3 property-level
authorisation (mass assignment of `recorded_by` and `status`), API4 resource consumption
(body limits), API5 function-level authorisation (every role check), API8 security
misconfiguration (production refuses default secrets).
"""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import Engine, event, text

from app.keys.secrets import secret_hash
from app.main import create_app
from app.settings import Settings
from app.vocabularies.service import term_id
from tests.factories import World, claim_body, create

DRAFT = {"status": "draft"}
MERGE_PATCH = {"Content-Type": "application/merge-patch+json"}


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    return body


def _draft(analyst: TestClient, world: World, **overrides: Any) -> dict[str, Any]:
    body = claim_body(world.source["id"], world.actor["id"], **DRAFT, **overrides)
    return create(analyst, "/v1/claims", body)


def _patch(client: TestClient, path: str, body: dict[str, Any], etag: str) -> Any:
    return client.patch(path, json=body, headers={**MERGE_PATCH, "If-Match": etag})


# API2: authentication.


def test_keys_are_issued_once_and_stored_only_as_a_keyed_hash(
    client: TestClient, engine: Engine, settings: Settings
) -> None:
    issued = client.post("/v1/keys", json={"name": "dashboard", "role": "reader"})
    assert issued.status_code == 201, issued.text
    key = issued.json()
    secret = key.pop("secret")
    assert secret.startswith("sck_")
    assert len(secret) > 40
    assert key["prefix"] == secret[:12]
    assert client.get(f"/v1/keys/{key['id']}").json() == key
    assert "secret" not in client.get("/v1/keys").text
    with engine.connect() as connection:
        dump = "\n".join(
            str(row)
            for table in ("api_key", "revision")
            for row in connection.execute(text(f"SELECT * FROM {table}"))
        )
    assert secret not in dump
    assert secret[4:] not in dump
    assert secret_hash(secret, settings.api_key_pepper) in dump
    # The key works.
    reader = TestClient(client.app, headers={"Authorization": f"Bearer {secret}"})
    assert reader.get("/v1/claims").status_code == 200


def test_missing_unknown_and_revoked_keys_are_401_with_a_challenge(
    client: TestClient, anonymous: TestClient
) -> None:
    world = World(client)
    body = claim_body(world.source["id"], world.actor["id"], **DRAFT)
    missing = _problem(anonymous.post("/v1/claims", json=body), 401)
    assert missing["detail"] == "This needs an API key with the role analyst or above."
    unknown = anonymous.post(
        "/v1/claims", json=body, headers={"Authorization": "Bearer sck_not-a-key"}
    )
    _problem(unknown, 401)
    assert unknown.headers["www-authenticate"] == 'Bearer realm="claims", error="invalid_token"'
    not_bearer = anonymous.post("/v1/claims", json=body, headers={"Authorization": "Basic eA=="})
    assert _problem(not_bearer, 401)["detail"].startswith("The Authorization header must be")

    key = create(client, "/v1/keys", {"name": "leaked", "role": "analyst"})
    leaked = TestClient(client.app, headers={"Authorization": f"Bearer {key['secret']}"})
    assert leaked.post("/v1/claims", json=body).status_code == 201
    revoked = client.delete(f"/v1/keys/{key['id']}")
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    answer = leaked.post("/v1/claims", json=body)
    assert _problem(answer, 401)["detail"] == "The API key 'leaked' was revoked."
    assert 'error="invalid_token"' in answer.headers["www-authenticate"]
    # Still listed, with its revocation.
    listed = {k["id"]: k for k in client.get("/v1/keys").json()["data"]}
    assert listed[key["id"]]["revoked_at"] == revoked.json()["revoked_at"]
    # Revoked keys are refused on reads too, on the hot path as well.
    assert leaked.get("/v1/claims").status_code == 401
    assert leaked.get(f"/v1/claims/{world.claim['id']}").status_code == 401


def test_reads_require_a_key_when_configured_on_the_hot_path_too(
    settings: Settings, engine: Engine, client: TestClient
) -> None:
    world = World(client)
    keyed = create_app(settings.model_copy(update={"reads_require_key": True}), engine)
    with TestClient(keyed, raise_server_exceptions=False) as anonymous:
        for path in (
            f"/v1/claims/{world.claim['id']}",  # answered before routing when allowed
            "/v1/claims",
            "/v1/actors",
            "/v1/changes",
        ):
            answer = anonymous.get(path, headers={"If-None-Match": "*"})
            assert _problem(answer, 401)["detail"].startswith("Reads need an API key"), path
        # The probes and the scrape stay open (their operations declare `security: []`).
        for probe in ("/healthz", "/readyz", "/metrics"):
            assert anonymous.get(probe).status_code == 200, probe
    key = create(client, "/v1/keys", {"name": "keyed-reader", "role": "reader"})
    with TestClient(keyed, headers={"Authorization": f"Bearer {key['secret']}"}) as reader:
        assert reader.get(f"/v1/claims/{world.claim['id']}").json() == world.claim


# API5: function-level authorisation.

ROLE_CASES = [
    # (method, path template, role that may, body)
    ("post", "/v1/sources", "analyst"),
    ("post", "/v1/actors", "analyst"),
    ("post", "/v1/instruments", "analyst"),
    ("post", "/v1/claims", "analyst"),
    ("post", "/v1/actors/{actor}/merge", "reviewer"),
    ("post", "/v1/claims/{claim}/retract", "reviewer"),
    ("delete", "/v1/sources/{source}", "reviewer"),
    ("post", "/v1/vocabularies", "admin"),
    ("post", "/v1/keys", "admin"),
    ("get", "/v1/keys", "admin"),
]
ROLES = ["reader", "analyst", "reviewer", "admin"]


@pytest.mark.parametrize(("method", "template", "needed"), ROLE_CASES)
def test_every_role_check(
    method: str,
    template: str,
    needed: str,
    client: TestClient,
    reader: TestClient,
    analyst: TestClient,
    reviewer: TestClient,
) -> None:
    world = World(client)
    path = template.format(
        actor=world.actor["id"], claim=world.claim["id"], source=world.source["id"]
    )
    callers = {"reader": reader, "analyst": analyst, "reviewer": reviewer}
    for role, caller in callers.items():
        answer = caller.request(method, path, json={})
        if ROLES.index(role) < ROLES.index(needed):
            problem = _problem(answer, 403)
            assert problem["detail"].endswith(f"this needs {needed} or above."), problem
        else:
            assert answer.status_code not in (401, 403), (role, answer.text)


# The four-eyes workflow and drafts.


def test_an_analysts_claim_is_a_draft_and_the_status_cannot_be_assigned(
    client: TestClient, analyst: TestClient
) -> None:
    world = World(client)
    body = claim_body(world.source["id"], world.actor["id"])  # asks for `published`
    refused = _problem(analyst.post("/v1/claims", json=body), 403)
    assert "is a draft until a reviewer publishes it" in refused["detail"]
    draft = _draft(analyst, world)
    assert draft["status"] == "draft"


def test_mass_assignment_of_recorded_by_is_refused(client: TestClient, analyst: TestClient) -> None:
    world = World(client)
    body = claim_body(world.source["id"], world.actor["id"], **DRAFT, recorded_by="someone")
    problem = _problem(analyst.post("/v1/claims", json=body), 422)
    assert [e["pointer"] for e in problem["errors"]] == ["/recorded_by"]
    draft = _draft(analyst, world)
    revisions = analyst.get(f"/v1/claims/{draft['id']}/revisions").json()["data"]
    assert [r["recorded_by"] for r in revisions] == ["test-analyst"]


def test_an_analyst_edits_drafts_only(
    client: TestClient, analyst: TestClient, reviewer: TestClient
) -> None:
    world = World(client)
    draft = _draft(analyst, world)
    path = f"/v1/claims/{draft['id']}"
    edited = _patch(analyst, path, {"confidence": 0.5}, analyst.get(path).headers["ETag"])
    assert edited.status_code == 200, edited.text
    published = f"/v1/claims/{world.claim['id']}"
    etag = client.get(published).headers["ETag"]
    refused = _problem(_patch(analyst, published, {"confidence": 0.5}, etag), 403)
    assert "editing it needs a reviewer's key" in refused["detail"]
    assert _patch(reviewer, published, {"confidence": 0.5}, etag).status_code == 200


def test_hidden_drafts(client: TestClient, analyst: TestClient, anonymous: TestClient,
                       reader: TestClient) -> None:  # fmt: skip
    """API1: a draft is not there for anyone below analyst: by id, in lists, in the feed,
    in revisions, in its evidence."""
    world = World(client)
    draft = _draft(analyst, world, statement="A draft nobody else may read.")
    path = f"/v1/claims/{draft['id']}"
    assert analyst.get(path).json() == draft
    for caller in (anonymous, reader):
        for read in (path, f"{path}/revisions", f"{path}/evidence"):
            assert caller.get(read).status_code == 404, read
        listed = caller.get("/v1/claims", params={"limit": 500}).json()["data"]
        assert draft["id"] not in {c["id"] for c in listed}
        for asked in (
            "/v1/claims",
            "/v1/claims/facets",
            f"/v1/actors/{world.actor['id']}/timeline",
        ):
            _problem(caller.get(asked, params={"status": "draft"}), 403)
        feed = caller.get("/v1/changes", params={"limit": 500}).json()["data"]
        assert draft["id"] not in {c["entity_id"] for c in feed}
        assert caller.get("/v1/changes", params={"entity_type": "key"}).status_code == 403
    # Analysts see it everywhere.
    assert draft["id"] in {
        c["id"] for c in analyst.get("/v1/claims", params={"status": "draft"}).json()["data"]
    }
    feed = analyst.get("/v1/changes", params={"limit": 500}).json()["data"]
    assert draft["id"] in {c["entity_id"] for c in feed}


def test_the_hot_path_serves_no_draft(analyst: TestClient, anonymous: TestClient,
                                      client: TestClient) -> None:  # fmt: skip
    world = World(client)
    draft = _draft(analyst, world)
    path = f"/v1/claims/{draft['id']}"
    etag = analyst.get(path).headers["ETag"]
    assert analyst.get(path, headers={"If-None-Match": etag}).status_code == 304
    assert anonymous.get(path, headers={"If-None-Match": etag}).status_code == 404
    assert anonymous.get(path).status_code == 404
    listed = analyst.get("/v1/claims", params={"status": "draft"})
    again = anonymous.get(
        "/v1/claims", params={"status": "draft"}, headers={"If-None-Match": listed.headers["ETag"]}
    )
    assert again.status_code == 403


def test_every_revision_written_through_the_api_names_its_key(
    client: TestClient, analyst: TestClient, reviewer: TestClient, engine: Engine
) -> None:
    world = World(client)
    draft = _draft(analyst, world)
    path = f"/v1/claims/{draft['id']}"
    retracted = reviewer.post(
        f"{path}/retract",
        json={"reason": "Duplicate of another claim."},
        headers={"If-Match": analyst.get(path).headers["ETag"]},
    )
    assert retracted.status_code == 200, retracted.text
    with engine.connect() as connection:
        unnamed = connection.execute(
            # (The fixtures' keys are issued straight through the service, not by a key.)
            text(
                "SELECT seq FROM revision WHERE entity_type != 'key' "
                "AND (recorded_by IS NULL OR recorded_by_key_id IS NULL)"
            )
        ).all()
        authors = (
            connection.execute(
                text("SELECT recorded_by FROM revision WHERE entity_id = :id ORDER BY seq"),
                {"id": draft["id"]},
            )
            .scalars()
            .all()
        )
    assert unnamed == []
    assert authors == ["test-analyst", "test-reviewer"]


# API4 and API8.


def test_request_and_body_limits(client: TestClient, settings: Settings) -> None:
    too_big = client.post(
        "/v1/sources",
        content=b'{"kind": "news_article", "title": "x", "text": "' + b"a" * 2_000_000 + b'"}',
        headers={"Content-Type": "application/json"},
    )
    assert _problem(too_big, 413)["status"] == 413
    assert (
        _problem(client.get("/v1/claims", params={"limit": 501}), 422)["errors"][0]["parameter"]
        == "limit"
    )
    name = client.post("/v1/keys", json={"name": "x" * 101, "role": "reader"})
    assert _problem(name, 422)["errors"][0]["pointer"] == "/name"


def test_production_mode_refuses_default_secrets() -> None:
    with pytest.raises(ValidationError, match="ENV=production needs its own CURSOR_SECRET and "
                       "API_KEY_PEPPER"):  # fmt: skip
        Settings(env="production")
    with pytest.raises(ValidationError, match="needs its own API_KEY_PEPPER"):
        Settings(env="production", cursor_secret="a-real-secret")
    Settings(env="production", cursor_secret="a-real-secret", api_key_pepper="a-real-pepper")


def test_every_record_has_its_history_naming_who_wrote_it(
    client: TestClient, analyst: TestClient
) -> None:
    world = World(client)
    actor_path = f"/v1/actors/{world.actor['id']}"
    renamed = _patch(
        analyst, actor_path, {"name": "DPRK (renamed)"}, analyst.get(actor_path).headers["ETag"]
    )
    assert renamed.status_code == 200, renamed.text
    for path, writers in (
        (actor_path, ["test-admin", "test-analyst"]),
        (f"/v1/sources/{world.source['id']}", ["test-admin"]),
    ):
        history = client.get(f"{path}/revisions")
        assert history.status_code == 200, history.text
        revisions = history.json()["data"]
        assert [r["recorded_by"] for r in revisions] == writers
        assert revisions[-1]["snapshot"] == client.get(path).json()
        again = client.get(f"{path}/revisions", headers={"If-None-Match": history.headers["ETag"]})
        assert again.status_code == 304
    instrument = create(analyst, "/v1/instruments", {"symbol": "S/RES/2397 (2017)"})
    history = client.get(f"/v1/instruments/{instrument['id']}/revisions").json()["data"]
    assert [(r["operation"], r["recorded_by"]) for r in history] == [("created", "test-analyst")]
    assert client.get("/v1/actors/no-such-actor/revisions").status_code == 404


def test_vocabulary_additions_are_in_the_feed(client: TestClient, anonymous: TestClient) -> None:
    added = create(client, "/v1/vocabularies", {"vocabulary": "predicate", "term": "cap"})
    feed = anonymous.get("/v1/changes", params={"entity_type": "term"}).json()["data"]
    assert [(c["entity_id"], c["operation"], c["snapshot"]) for c in feed] == [
        (term_id("predicate", "cap"), "created", added)
    ]


def test_last_use_is_recorded_at_most_once_a_minute(
    client: TestClient, engine: Engine, settings: Settings
) -> None:
    key = create(client, "/v1/keys", {"name": "poller", "role": "reader"})
    poller = TestClient(client.app, headers={"Authorization": f"Bearer {key['secret']}"})
    writes: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE API_KEY"):
            writes.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        for _ in range(20):
            assert poller.get("/v1/claims").status_code == 200
            assert poller.get(f"/v1/keys/{key['id']}").status_code == 403
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(writes) == 1
    used = client.get(f"/v1/keys/{key['id']}").json()["last_used_at"]
    assert used is not None


def test_four_eyes_an_author_cannot_publish_their_own_draft(
    client: TestClient,
    analyst: TestClient,
    reviewer: TestClient,
    second_reviewer: TestClient,
) -> None:
    world = World(client)
    draft = _draft(analyst, world)
    path = f"/v1/claims/{draft['id']}"

    def publish(caller: TestClient) -> Any:
        return caller.post(
            f"{path}/publish", headers={"If-Match": analyst.get(path).headers["ETag"]}
        )

    # The analyst lacks the role; a reviewer who edited the draft wrote it too.
    assert publish(analyst).status_code == 403
    edited = _patch(reviewer, path, {"confidence": 0.4}, analyst.get(path).headers["ETag"])
    assert edited.status_code == 200, edited.text
    refused = _problem(publish(reviewer), 403)
    assert refused["detail"] == (
        "The key 'test-reviewer' wrote this draft; another reviewer must publish it (four eyes)."
    )
    published = publish(second_reviewer)
    assert published.status_code == 200, published.text
    revisions = client.get(f"{path}/revisions").json()["data"]
    assert [(r["operation"], r["recorded_by"]) for r in revisions] == [
        ("created", "test-analyst"),
        ("updated", "test-reviewer"),
        ("published", "test-reviewer-2"),
    ]
