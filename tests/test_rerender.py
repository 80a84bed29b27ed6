"""A claim's version, updated_at, ETag and revisions change together, also when what its
document embeds changes: an actor renamed, a source's citation or an instrument's symbol
edited. Each such claim gets a `rerendered` revision with the cause, shows in
`updated_since` and in the change feed filtered to claims; the others are untouched."""

from datetime import datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from app.claims.service import refresh_claims_citing
from app.db import write_session
from app.models import EntityType
from app.revisions.schemas import Cause
from tests.db_state import row_counts
from tests.factories import PASSAGE, World, actor_body, claim_body, create, quote_of

MERGE_PATCH = {"content-type": "application/merge-patch+json"}


def _patch(client: TestClient, path: str, body: dict[str, Any]) -> Any:
    etag = client.get(path).headers["etag"]
    response = client.patch(path, json=body, headers={**MERGE_PATCH, "If-Match": etag})
    assert response.status_code == 200, response.text
    return response


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _feed_head(client: TestClient) -> str:
    cursor: str = client.get("/v1/changes", params={"entity_type": "claim"}).json()["next_cursor"]
    return cursor


class Scene:
    """Two claims that embed the world's actor, source (and an instrument), one that embeds
    none of them; the time, ETags and feed position before the change under test."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        world = World(client)
        self.world = world
        self.instrument = create(
            client, "/v1/instruments", {"symbol": "S/RES/2397 (2017)", "adopted": "2017-12-22"}
        )
        other_source = create(
            client,
            "/v1/sources",
            {
                "kind": "news_article",
                "title": "Other",
                "text": PASSAGE,
                "allow_duplicate_source": True,  # the same passage, held twice on purpose
            },
        )
        other_actor = create(
            client, "/v1/actors", actor_body(name="Ukraine", aliases=[], external_ids=[])
        )
        second = claim_body(
            world.source["id"],
            world.actor["id"],
            statement="Second.",
            instruments=[{"instrument_id": self.instrument["id"], "provision": "para 8"}],
        )
        first = client.get(f"/v1/claims/{world.claim['id']}").json()
        self.citing = [first, create(client, "/v1/claims", second)]
        span = quote_of(PASSAGE, "Ukraine immediately severed relations with Pyongyang")
        self.bystander = create(
            client,
            "/v1/claims",
            claim_body(
                other_source["id"],
                other_actor["id"],
                statement="Ukraine severed relations.",
                evidence=[{"source_id": other_source["id"], **span}],
            ),
        )
        self.etags = {
            claim["id"]: client.get(f"/v1/claims/{claim['id']}").headers["etag"]
            for claim in [*self.citing, self.bystander]
        }
        self.since = max(c["updated_at"] for c in [*self.citing, self.bystander])
        self.after = _feed_head(client)

    def check(self, citing: list[dict[str, Any]], cause: dict[str, str]) -> None:
        """`citing` changed, once, because of `cause`; the bystander did not."""
        client = self.client
        for before in citing:
            path = f"/v1/claims/{before['id']}"
            response = client.get(path)
            claim = response.json()
            assert claim["version"] == before["version"] + 1
            assert _time(claim["updated_at"]) > _time(before["updated_at"])
            assert response.headers["etag"] != self.etags[before["id"]]
            revisions = client.get(f"{path}/revisions").json()["data"]
            assert [(r["version"], r["operation"]) for r in revisions] == [
                (1, "created"),
                (2, "rerendered"),
            ]
            assert revisions[-1]["cause"] == cause
            assert revisions[-1]["reason"] is None
            assert revisions[-1]["snapshot"] == claim
        bystander = client.get(f"/v1/claims/{self.bystander['id']}")
        assert bystander.json() == self.bystander
        assert bystander.headers["etag"] == self.etags[self.bystander["id"]]

        # The change wrote them all at one time, after every claim was created.
        (written,) = {client.get(f"/v1/claims/{c['id']}").json()["updated_at"] for c in citing}
        assert _time(written) > _time(self.since)
        listed = client.get("/v1/claims", params={"updated_since": written}).json()["data"]
        assert [c["id"] for c in listed] == sorted(c["id"] for c in citing)

        feed = client.get("/v1/changes", params={"entity_type": "claim", "after": self.after})
        changes = feed.json()["data"]
        assert [(c["entity_id"], c["operation"], c["version"], c["cause"]) for c in changes] == [
            (c["id"], "rerendered", 2, cause) for c in sorted(citing, key=lambda c: c["id"])
        ]
        assert [c["snapshot"] for c in changes] == [
            client.get(f"/v1/claims/{c['id']}").json()
            for c in sorted(citing, key=lambda c: c["id"])
        ]


def test_renaming_an_actor_gives_each_claim_that_embeds_it_a_new_version(
    client: TestClient,
) -> None:
    scene = Scene(client)
    actor_id = scene.world.actor["id"]

    _patch(client, f"/v1/actors/{actor_id}", {"name": "Democratic People's Republic of Korea"})

    for claim in scene.citing:
        served = client.get(f"/v1/claims/{claim['id']}").json()
        assert served["actors"][0]["name"] == "Democratic People's Republic of Korea"
    scene.check(
        scene.citing, {"kind": "actor_renamed", "entity_type": "actor", "entity_id": actor_id}
    )


def test_changing_an_actors_kind_rerenders_with_its_own_cause(client: TestClient) -> None:
    scene = Scene(client)
    actor_id = scene.world.actor["id"]

    _patch(client, f"/v1/actors/{actor_id}", {"kind": "de_facto_authority"})

    scene.check(
        scene.citing,
        {"kind": "actor_kind_changed", "entity_type": "actor", "entity_id": actor_id},
    )


def test_changing_a_sources_citation_gives_each_citing_claim_a_new_version(
    client: TestClient,
) -> None:
    scene = Scene(client)
    source_id = scene.world.source["id"]

    _patch(client, f"/v1/sources/{source_id}", {"title": "North Korea and the DPR - KCNA"})

    for claim in scene.citing:
        served = client.get(f"/v1/claims/{claim['id']}").json()
        assert served["evidence"][0]["source"]["title"] == "North Korea and the DPR - KCNA"
    scene.check(
        scene.citing,
        {"kind": "source_citation_changed", "entity_type": "source", "entity_id": source_id},
    )


def test_changing_an_instruments_symbol_gives_each_citing_claim_a_new_version(
    client: TestClient,
) -> None:
    scene = Scene(client)
    instrument_id = scene.instrument["id"]

    _patch(client, f"/v1/instruments/{instrument_id}", {"title": "Resolution 2397"})

    served = client.get(f"/v1/claims/{scene.citing[1]['id']}").json()
    assert served["instruments"][0]["title"] == "Resolution 2397"
    scene.check(
        [scene.citing[1]],
        {
            "kind": "instrument_citation_changed",
            "entity_type": "instrument",
            "entity_id": instrument_id,
        },
    )


def test_a_change_that_leaves_the_documents_as_they_are_writes_nothing(
    client: TestClient, engine: Engine
) -> None:
    scene = Scene(client)
    before = row_counts(engine)
    # A source edit outside the citation fields re-renders nothing.
    _patch(client, f"/v1/sources/{scene.world.source['id']}", {"language": "ko"})
    assert row_counts(engine)["last_seq"] == before["last_seq"] + 1
    before = row_counts(engine)

    cause = Cause(
        kind="actor_renamed", entity_type=EntityType.actor, entity_id=scene.world.actor["id"]
    )
    with write_session(engine) as session:
        refresh_claims_citing(session, cause, None)
        session.commit()

    assert row_counts(engine) == before
    for claim in [*scene.citing, scene.bystander]:
        response = client.get(f"/v1/claims/{claim['id']}")
        assert response.json()["version"] == 1
        assert response.headers["etag"] == scene.etags[claim["id"]]


def test_merging_an_actor_updates_each_claim_that_named_it_with_the_merge_as_cause(
    client: TestClient,
) -> None:
    scene = Scene(client)
    merged_id = scene.world.actor["id"]
    survivor = create(
        client, "/v1/actors", actor_body(name="DPR Korea", aliases=[], external_ids=[])
    )
    path = f"/v1/actors/{merged_id}"

    response = client.post(
        f"{path}/merge",
        json={"into": survivor["id"]},
        headers={"If-Match": client.get(path).headers["etag"]},
    )

    assert response.status_code == 200, response.text
    for claim in scene.citing:
        revisions = client.get(f"/v1/claims/{claim['id']}/revisions").json()["data"]
        assert [(r["operation"], r["cause"]) for r in revisions] == [
            ("created", None),
            ("updated", {"kind": "actor_merged", "entity_type": "actor", "entity_id": merged_id}),
        ]
        assert revisions[-1]["snapshot"]["actors"][0]["actor_id"] == survivor["id"]
    assert client.get(f"/v1/claims/{scene.bystander['id']}").json() == scene.bystander
