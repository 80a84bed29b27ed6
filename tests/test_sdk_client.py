"""A Python client generated from the committed OpenAPI document works against the server.

The client is generated with openapi-python-client from `openapi/openapi.json` (no network,
no post hooks), imported from a temporary folder, and used against a real uvicorn server (a
process of its own) on a free loopback port with a database of its own. If generation fails
or warns, the test fails: a document SDK generators choke on is our defect.
"""

import importlib
import inspect
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from app.models import Role
from app.settings import Settings
from tests.conftest import issue_key
from tests.factories import PASSAGE, quote_of
from tests.live import COMMITTED, running_server

GENERATOR = Path(sys.executable).parent / "openapi-python-client"
PACKAGE = "sanctions_claims_api_client"


@pytest.fixture(scope="module")
def sdk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Generate the client package; yield the folder that holds it (on sys.path)."""
    assert GENERATOR.exists(), f"{GENERATOR} is missing: install the dev requirements"
    folder = tmp_path_factory.mktemp("sdk")
    config = folder / "config.yaml"
    config.write_text("post_hooks: []\n")
    output = folder / "client"
    result = subprocess.run(
        [
            str(GENERATOR),
            "generate",
            "--path",
            str(COMMITTED),
            "--output-path",
            str(output),
            "--config",
            str(config),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    report = f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert result.returncode == 0, f"client generation failed\n{report}"
    # The generator still writes a client when parts of the document are not understood.
    assert "warning" not in (result.stdout + result.stderr).lower(), report
    assert (output / PACKAGE / "__init__.py").exists(), report
    sys.path.insert(0, str(output))
    try:
        yield output
    finally:
        sys.path.remove(str(output))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def _module(name: str) -> ModuleType:
    return importlib.import_module(f"{PACKAGE}.{name}")


def _created(response: Any, model: type) -> Any:
    assert response.status_code == 201, response.content
    assert isinstance(response.parsed, model)
    assert response.headers["ETag"].startswith('"')
    return response.parsed


def test_generated_client_against_a_live_server(
    sdk: Path, settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    models = _module("models")
    client_module = _module("client")
    claims_create = _module("api.claims.claims_create")
    claims_get = _module("api.claims.claims_get")
    claims_list = _module("api.claims.claims_list")
    claims_update = _module("api.claims.claims_update")
    claims_retract = _module("api.claims.claims_retract")
    sources_create = _module("api.sources.sources_create")
    actors_create = _module("api.actors.actors_create")
    actors_update = _module("api.actors.actors_update")
    changes_list = _module("api.changes.changes_list")
    health_live = _module("api.health.health_live")

    with running_server(settings, tmp_path) as base_url:
        # The client generated for the bearer scheme the document declares.
        client = client_module.AuthenticatedClient(
            base_url=base_url,
            token=issue_key(engine, settings, "sdk-admin", Role.admin),
            raise_on_unexpected_status=True,
            timeout=httpx.Timeout(60),
        )

        # Create a source, an actor and a claim with evidence.
        source = _created(
            sources_create.sync_detailed(
                client=client,
                body=models.SourceCreate(
                    kind="news_article",
                    title="Donbas separatist leader urges cooperation with North Korea - KCNA",
                    publisher="Reuters",
                    published="2022-08",
                    language="en",
                    text=PASSAGE,
                ),
            ),
            models.SourceRead,
        )
        assert source.text_length == len(PASSAGE)
        actor = _created(
            actors_create.sync_detailed(
                client=client,
                body=models.ActorCreate(
                    kind="state",
                    name="North Korea",
                    aliases=[models.AliasIn(name="DPRK")],
                    external_ids=[models.ExternalIdIn(scheme="iso3166", value="KP")],
                ),
            ),
            models.ActorRead,
        )

        def claim_body(predicate: str, quote: str, statement: str) -> Any:
            span = quote_of(PASSAGE, quote)
            return models.ClaimCreate(
                predicate=predicate,
                statement=statement,
                modality="occurred",
                status=models.ClaimStatus("published"),
                confidence=0.9,
                actors=[models.ClaimActorIn(actor_id=actor.id, role="agent")],
                dates=[models.ClaimDateIn(kind=models.DateKind("occurred"), value="2022-07")],
                evidence=[models.EvidenceIn(source_id=source.id, **span)],
            )

        created = claims_create.sync_detailed(
            client=client,
            body=claim_body(
                "recognition",
                "North Korea recognised the Donetsk",
                "North Korea recognised the DPR and LPR in July 2022.",
            ),
        )
        claim = _created(created, models.ClaimRead)
        assert claim.evidence[0].quote == "North Korea recognised the Donetsk"
        assert claim.actors[0].name == "North Korea"
        assert claim.dates[0].precision.value == "month"

        # A quote that is not the source's text is a 422 problem, parsed as such.
        bad = claim_body("recognition", "Ukraine immediately", "Ukraine severed relations.")
        bad.evidence[0].quote = "Ukraine immediatelx"
        refused = claims_create.sync_detailed(client=client, body=bad)
        assert refused.status_code == 422
        assert isinstance(refused.parsed, models.Problem)
        assert refused.headers["Content-Type"] == "application/problem+json"
        assert refused.parsed.errors[0].pointer == "/evidence/0/quote"

        # Enough claims for several pages, then follow the cursor with a filter.
        severing = [
            _created(
                claims_create.sync_detailed(
                    client=client,
                    body=claim_body(
                        "severing_of_relations",
                        "Ukraine immediately severed relations",
                        f"Ukraine severed relations with Pyongyang ({n}).",
                    ),
                ),
                models.ClaimRead,
            ).id
            for n in range(5)
        ]
        listed: list[str] = []
        pages = 0
        kwargs: dict[str, Any] = {"predicate": ["severing_of_relations"], "limit": 2}
        while True:
            page = claims_list.sync_detailed(client=client, **kwargs)
            assert page.status_code == 200, page.content
            assert isinstance(page.parsed, models.ClaimPage)
            listed += [item.id for item in page.parsed.data]
            pages += 1
            if page.parsed.next_cursor is None:
                break
            kwargs["cursor"] = page.parsed.next_cursor
        assert sorted(listed) == sorted(severing)
        assert len(listed) == len(set(listed))
        assert pages == 3

        # Conditional GET through the client: 304, nothing parsed.
        fetched = claims_get.sync_detailed(client=client, claim_id=claim.id)
        etag = fetched.headers["ETag"]
        again = claims_get.sync_detailed(client=client, claim_id=claim.id, if_none_match=etag)
        assert again.status_code == 304
        assert again.parsed is None

        # Poll the feed: every write so far, in order, then an empty page and a 304.
        changes: list[Any] = []
        feed_kwargs: dict[str, Any] = {"limit": 3}
        while True:
            answer = changes_list.sync_detailed(client=client, **feed_kwargs)
            assert answer.status_code == 200, answer.content
            assert isinstance(answer.parsed, models.ChangeFeed)
            after = answer.parsed.next_cursor
            feed_kwargs["after"] = after
            if not answer.parsed.data:
                break
            changes += answer.parsed.data
        assert [change.entity_type.value for change in changes] == (
            ["source", "actor"] + ["claim"] * 6
        )
        # Sequence 1 is the issuing of the client's key (keys' changes are asked for by name).
        assert [change.seq for change in changes] == list(range(2, 10))
        assert {change.recorded_by for change in changes} == {"sdk-admin"}
        assert isinstance(changes[2], models.ClaimChange)  # typed by its entity_type
        assert isinstance(changes[2].snapshot, models.ClaimRead)
        assert changes[2].snapshot.statement == claim.statement
        head = changes_list.sync_detailed(client=client, after=after)
        assert head.parsed.data == []
        assert head.parsed.next_cursor == after
        polled = changes_list.sync_detailed(
            client=client, after=after, if_none_match=head.headers["ETag"]
        )
        assert polled.status_code == 304
        ids_only = changes_list.sync_detailed(
            client=client,
            fields=models.ChangeFields("ids"),
            entity_type=[models.EntityType("actor")],
        )
        assert [c.entity_id for c in ids_only.parsed.data] == [actor.id]
        assert isinstance(ids_only.parsed.data[0].snapshot, _module("types").Unset)

        # Update with If-Match; a stale ETag is a 412.
        updated = claims_update.sync_detailed(
            client=client,
            claim_id=claim.id,
            body=models.ClaimPatch(confidence=0.5),
            if_match=etag,
        )
        assert updated.status_code == 200, updated.content
        assert isinstance(updated.parsed, models.ClaimRead)
        assert updated.parsed.confidence == 0.5
        assert updated.parsed.version == claim.version + 1
        new_etag = updated.headers["ETag"]
        assert new_etag != etag
        stale = claims_update.sync_detailed(
            client=client, claim_id=claim.id, body=models.ClaimPatch(confidence=0.1), if_match=etag
        )
        assert stale.status_code == 412
        assert isinstance(stale.parsed, models.Problem)
        assert stale.parsed.current_etag == new_etag  # a typed member of the problem
        assert stale.parsed.current_version == updated.parsed.version
        # If-Match is a required argument: the server answers 428 without it, so the
        # client does not let a caller leave it out.
        if_match = inspect.signature(claims_update.sync_detailed).parameters["if_match"]
        assert if_match.default is inspect.Parameter.empty
        # Merge patch through the generated model: null removes the confidence.
        cleared = claims_update.sync_detailed(
            client=client,
            claim_id=claim.id,
            body=models.ClaimPatch(confidence=None),
            if_match=new_etag,
        )
        assert cleared.status_code == 200, cleared.content
        assert cleared.parsed.confidence is None
        retracted = claims_retract.sync_detailed(
            client=client,
            claim_id=claim.id,
            body=models.TransitionReason(reason="Duplicate of a better-sourced claim."),
            if_match=cleared.headers["ETag"],
        )
        assert retracted.status_code == 200, retracted.content
        assert retracted.parsed.status.value == "retracted"

        # A long poll through the client answers when a write commits, and the server
        # keeps answering other requests meanwhile.
        results: list[Any] = []
        # Consume what the updates above appended, so the poll starts at the head.
        head_after = after
        while True:
            answer = changes_list.sync_detailed(client=client, after=head_after)
            if not answer.parsed.data:
                break
            head_after = answer.parsed.next_cursor
        poller = threading.Thread(
            target=lambda: results.append(
                changes_list.sync_detailed(client=client, after=head_after, wait=20)
            )
        )
        started = time.monotonic()
        poller.start()
        time.sleep(0.5)
        probe_started = time.monotonic()
        assert health_live.sync_detailed(client=client).status_code == 200
        assert time.monotonic() - probe_started < 1
        renamed = actors_update.sync_detailed(
            client=client,
            actor_id=actor.id,
            body=models.ActorPatch(name="Democratic People's Republic of Korea"),
            if_match=_module("api.actors.actors_get")
            .sync_detailed(client=client, actor_id=actor.id)
            .headers["ETag"],
        )
        assert renamed.status_code == 200, renamed.content
        poller.join(timeout=30)
        assert 0.4 < time.monotonic() - started < 10
        # The actor's revision, then one `rerendered` revision per claim embedding it.
        (head, *rerendered) = results[0].parsed.data
        assert (head.entity_id, head.operation.value) == (actor.id, "updated")
        assert rerendered
        assert {
            (c.entity_type.value, c.operation.value, c.cause.kind, c.cause.entity_id)
            for c in rerendered
        } == {("claim", "rerendered", "actor_renamed", actor.id)}
        # The claims embedding the actor now carry its new name (and a new ETag).
        reread = claims_get.sync_detailed(client=client, claim_id=severing[0])
        assert reread.parsed.actors[0].name == "Democratic People's Republic of Korea"
