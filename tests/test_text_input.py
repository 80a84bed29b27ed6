"""Text that must say something, and NUL characters nowhere: in no body field (top level,
nested, in a list, in a merge patch) and no path or query parameter, on either database
(PostgreSQL cannot store a NUL; SQLite would). And every problem of a body in one answer."""

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.db_state import row_counts
from tests.factories import PASSAGE, World, actor_body, claim_body, quote_of, source_body

INVALID = "https://sanctions-claims.dev/problems/validation-error"
MERGE_PATCH = {"content-type": "application/merge-patch+json"}
NUL_REFUSED = "NUL characters (U+0000) are not allowed."
BLANK_REFUSED = "Value error, must contain text, not only whitespace"
NUL_DETAIL = f"Value error, {NUL_REFUSED}"


def _claim(world: World, **overrides: Any) -> dict[str, Any]:
    return claim_body(world.source["id"], world.actor["id"], **overrides)


def _span(world: World, **changes: Any) -> list[dict[str, Any]]:
    return [
        {"source_id": world.source["id"], **quote_of(PASSAGE, "North Korea recognised")} | changes
    ]


# (method, path, body) builders: each puts one bad string in one kind of field.
Write = Callable[[World], tuple[str, str, dict[str, Any]]]
NUL_BODIES: dict[str, tuple[Write, str]] = {
    "actor name": (lambda w: ("POST", "/v1/actors", actor_body(name="North\x00Korea")), "/name"),
    "alias, nested": (
        lambda w: ("POST", "/v1/actors", actor_body(name="Else", aliases=[{"name": "X\x00"}])),
        "/aliases/0/name",
    ),
    "external id value": (
        lambda w: (
            "POST",
            "/v1/actors",
            actor_body(
                name="Else", aliases=[], external_ids=[{"scheme": "ofac", "value": "1\x00"}]
            ),
        ),
        "/external_ids/0/value",
    ),
    "source text": (lambda w: ("POST", "/v1/sources", source_body(text="a\x00b")), "/text"),
    "optional source field": (
        lambda w: ("POST", "/v1/sources", source_body(author="\x00", text="Other.")),
        "/author",
    ),
    "source url": (
        lambda w: ("POST", "/v1/sources", source_body(url="https://x.org/\x00", text="Other.")),
        "/url",
    ),
    "claim statement": (
        lambda w: ("POST", "/v1/claims", _claim(w, statement="A\x00")),
        "/statement",
    ),
    "evidence quote": (
        lambda w: (
            "POST",
            "/v1/claims",
            _claim(w, evidence=_span(w, quote="North Korea recognise\x00")),
        ),
        "/evidence/0/quote",
    ),
    "evidence prefix": (
        lambda w: ("POST", "/v1/claims", _claim(w, evidence=_span(w, prefix="\x00"))),
        "/evidence/0/prefix",
    ),
    "program, in a list": (
        lambda w: ("POST", "/v1/claims", _claim(w, programs=["DPRK3", "\x00"])),
        "/programs",
    ),
    "instrument provision": (
        lambda w: (
            "POST",
            "/v1/claims",
            _claim(w, instruments=[{"instrument_id": w.actor["id"], "provision": "\x00"}]),
        ),
        "/instruments/0/provision",
    ),
    "instrument symbol": (
        lambda w: ("POST", "/v1/instruments", {"symbol": "S/RES/\x00"}),
        "/symbol",
    ),
    "vocabulary description": (
        lambda w: (
            "POST",
            "/v1/vocabularies",
            {"vocabulary": "predicate", "term": "port_call", "description": "\x00"},
        ),
        "/description",
    ),
    "merge patch of an actor": (
        lambda w: ("PATCH", f"/v1/actors/{w.actor['id']}", {"name": "N\x00"}),
        "/name",
    ),
    "merge patch of a source": (
        lambda w: ("PATCH", f"/v1/sources/{w.source['id']}", {"publisher": "\x00"}),
        "/publisher",
    ),
    "merge patch of a claim": (
        lambda w: ("PATCH", f"/v1/claims/{w.claim['id']}", {"statement": "\x00"}),
        "/statement",
    ),
    "retraction reason": (
        lambda w: ("POST", f"/v1/claims/{w.claim['id']}/retract", {"reason": "\x00"}),
        "/reason",
    ),
}


def _send(client: TestClient, world: World, method: str, path: str, body: Any) -> Any:
    headers = {}
    if method == "PATCH":
        headers = {**MERGE_PATCH, "If-Match": client.get(path).headers["ETag"]}
    if path.endswith("/retract"):
        headers = {"If-Match": client.get(path.removesuffix("/retract")).headers["ETag"]}
    return client.request(method, path, json=body, headers=headers)


@pytest.mark.parametrize("case", list(NUL_BODIES))
def test_nul_in_any_body_field_is_422(client: TestClient, engine: Engine, case: str) -> None:
    world = World(client)
    build, pointer = NUL_BODIES[case]
    method, path, body = build(world)
    before = row_counts(engine)

    response = _send(client, world, method, path, body)

    assert response.status_code == 422, response.text
    assert {"pointer": pointer, "detail": NUL_DETAIL} in response.json()["errors"]
    assert row_counts(engine) == before


NUL_PARAMETERS = {
    "claim id (the fast read)": ("/v1/claims/a%00b", "claim_id"),
    "actor id": ("/v1/actors/a%00b", "actor_id"),
    "source id, nested route": ("/v1/sources/a%00b/text?start=0&end=1", "source_id"),
    "instrument id": ("/v1/instruments/%00", "instrument_id"),
    "claim filter by actor name": ("/v1/claims?actor=North%00Korea", "actor"),
    "claim search": ("/v1/claims?q=korea%00", "q"),
    "actor name query": ("/v1/actors?q=kor%00", "q"),
    "actor external id": ("/v1/actors?external_id=ofac:1%00", "external_id"),
    "instrument symbol": ("/v1/instruments?symbol=S/RES%00", "symbol"),
    "cursor": ("/v1/sources?cursor=%00", "cursor"),
    "feed cursor": ("/v1/changes?after=%00", "after"),
}


@pytest.mark.parametrize("case", list(NUL_PARAMETERS))
def test_nul_in_any_path_or_query_parameter_is_422(client: TestClient, case: str) -> None:
    World(client)
    url, parameter = NUL_PARAMETERS[case]

    response = client.get(url)

    assert response.status_code == 422, response.text
    assert response.json() == {
        "type": INVALID,
        "title": "Invalid request",
        "status": 422,
        "detail": NUL_REFUSED,
        "errors": [{"parameter": parameter, "detail": NUL_REFUSED}],
    }


def test_nul_in_the_path_of_a_write_is_422(client: TestClient, engine: Engine) -> None:
    before = row_counts(engine)

    response = client.patch(
        "/v1/actors/a%00", json={"name": "X"}, headers={**MERGE_PATCH, "If-Match": "*"}
    )

    assert response.status_code == 422
    assert response.json()["errors"] == [{"parameter": "actor_id", "detail": NUL_REFUSED}]
    assert row_counts(engine) == before


BLANK_BODIES: dict[str, tuple[Write, str]] = {
    "actor name": (lambda w: ("POST", "/v1/actors", actor_body(name="  ")), "/name"),
    "alias name": (
        lambda w: ("POST", "/v1/actors", actor_body(name="Else", aliases=[{"name": "\t"}])),
        "/aliases/0/name",
    ),
    "source title": (lambda w: ("POST", "/v1/sources", source_body(title=" \n ")), "/title"),
    "source text": (lambda w: ("POST", "/v1/sources", source_body(text="   ")), "/text"),
    "source publisher": (
        lambda w: ("POST", "/v1/sources", source_body(publisher=" ")),
        "/publisher",
    ),
    "claim statement": (lambda w: ("POST", "/v1/claims", _claim(w, statement=" ")), "/statement"),
    "evidence quote": (
        lambda w: ("POST", "/v1/claims", _claim(w, evidence=_span(w, start=3, end=4, quote=" "))),
        "/evidence/0/quote",
    ),
    "instrument symbol": (lambda w: ("POST", "/v1/instruments", {"symbol": "  "}), "/symbol"),
    "instrument title": (
        lambda w: ("POST", "/v1/instruments", {"symbol": "S/RES/1", "title": " "}),
        "/title",
    ),
    "patched actor name": (
        lambda w: ("PATCH", f"/v1/actors/{w.actor['id']}", {"name": "\u00a0"}),
        "/name",
    ),
    "retraction reason": (
        lambda w: ("POST", f"/v1/claims/{w.claim['id']}/retract", {"reason": "   "}),
        "/reason",
    ),
}


@pytest.mark.parametrize("case", list(BLANK_BODIES))
def test_text_that_must_say_something_refuses_whitespace_only(
    client: TestClient, engine: Engine, case: str
) -> None:
    world = World(client)
    build, pointer = BLANK_BODIES[case]
    method, path, body = build(world)
    before = row_counts(engine)

    response = _send(client, world, method, path, body)

    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [{"pointer": pointer, "detail": BLANK_REFUSED}]
    assert row_counts(engine) == before


def test_a_wrong_quote_length_is_reported_with_every_other_problem(
    client: TestClient, engine: Engine
) -> None:
    world = World(client)
    missing_actor = "0190a000-0000-7000-8000-0000000dead0"
    missing_instrument = "0190a000-0000-7000-8000-000000000bad"
    body = _claim(
        world,
        predicate="teleportation",
        modality="maybe",
        actors=[
            {"actor_id": world.actor["id"], "role": "villain"},
            {"actor_id": missing_actor, "role": "agent"},
        ],
        evidence=_span(world, end=30),
        instruments=[{"instrument_id": missing_instrument}],
    )
    before = row_counts(engine)

    response = client.post("/v1/claims", json=body)

    assert response.status_code == 422
    assert response.json() == {
        "type": INVALID,
        "title": "Invalid request",
        "status": 422,
        "detail": "6 invalid fields.",
        "errors": [
            {
                "pointer": "/predicate",
                "detail": "Unknown predicate 'teleportation'; see GET /v1/vocabularies for the "
                "terms in use, or add one with POST /v1/vocabularies.",
            },
            {
                "pointer": "/modality",
                "detail": "Unknown modality 'maybe'; see GET /v1/vocabularies for the terms in "
                "use, or add one with POST /v1/vocabularies.",
            },
            {
                "pointer": "/actors/0/role",
                "detail": "Unknown role 'villain'; see GET /v1/vocabularies for the terms in "
                "use, or add one with POST /v1/vocabularies.",
            },
            {"pointer": "/actors/1/actor_id", "detail": f"No actor with id {missing_actor!r}."},
            {
                "pointer": "/evidence/0/quote",
                "detail": "Evidence 0: the span 9–30 holds 21 characters but the quote has 22.",
            },
            {
                "pointer": "/instruments/0/instrument_id",
                "detail": f"No instrument with id {missing_instrument!r}.",
            },
        ],
    }
    assert row_counts(engine) == before
