"""The document says what the server does (issue 12), in the forms generators read.

Static checks over the served document, and, where the document makes a promise about
behaviour (which patch fields take null, which dates a pattern admits), the server asked
the same question.
"""

import re
from enum import Enum
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app import errors, isodates
from app.actors import schemas as actor_schemas
from app.changes import schemas as change_schemas
from app.claims import params as claim_params
from app.claims import workflow as claim_workflow
from app.isodates import parse_prefix
from app.openapi import enum_member_name
from tests.factories import World

METHODS = {"get", "put", "post", "patch", "delete"}
NULL = {"type": "null"}
CONSTRAINTS = ("minLength", "maxLength", "pattern", "minItems", "maxItems", "minimum", "maximum")


@pytest.fixture
def document(client: TestClient) -> dict[str, Any]:
    served: dict[str, Any] = client.get("/openapi.json").json()
    return served


def _operations(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        operation
        for item in document["paths"].values()
        for method, operation in item.items()
        if method in METHODS
    ]


def _walk(node: Any, where: str = "#") -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    if isinstance(node, dict):
        found.append((where, node))
        for key, value in node.items():
            found += _walk(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _walk(value, f"{where}/{index}")
    return found


def test_no_ref_has_sibling_keywords(document: dict[str, Any]) -> None:
    beside = [where for where, node in _walk(document) if "$ref" in node and len(node) > 1]
    assert not beside, beside


def test_parameters_are_never_null_and_everything_is_described(
    document: dict[str, Any],
) -> None:
    for operation in _operations(document):
        assert operation.get("description", "").strip(), operation["operationId"]
        for parameter in operation.get("parameters", []):
            where = (operation["operationId"], parameter["name"])
            assert parameter.get("description", "").strip(), where
            nulls = [node for _, node in _walk(parameter["schema"]) if node.get("type") == "null"]
            assert not nulls, where
            assert (
                "default" not in parameter["schema"] or parameter["schema"]["default"] is not None
            )


def test_if_match_is_required_and_never_empty(document: dict[str, Any]) -> None:
    conditional = [
        (operation["operationId"], parameter)
        for operation in _operations(document)
        for parameter in operation.get("parameters", [])
        if parameter["name"] == "If-Match"
    ]
    # The seven writes to existing records and the claim transitions (publish, dispute,
    # reinstate; retract is one of the seven).
    assert len(conditional) == 10
    for operation_id, parameter in conditional:
        assert parameter["required"] is True, operation_id
        assert parameter["schema"]["minLength"] == 1, operation_id


ENUMS: dict[str, type[Enum]] = {
    cls.__name__: cls
    for module in (claim_params, claim_workflow, change_schemas, actor_schemas, errors, isodates)
    for cls in vars(module).values()
    if isinstance(cls, type) and issubclass(cls, Enum) and cls is not Enum
} | {
    cls.__name__: cls
    for cls in vars(__import__("app.models", fromlist=["*"])).values()
    if isinstance(cls, type) and issubclass(cls, Enum)
}


def test_enum_members_are_named_as_the_server_names_them(document: dict[str, Any]) -> None:
    enums = {
        name: schema
        for name, schema in document["components"]["schemas"].items()
        if "enum" in schema
    }
    assert "ClaimSort" in enums
    for name, schema in enums.items():
        python = ENUMS[name]
        assert schema["enum"] == [member.value for member in python], name
        assert schema["x-enum-varnames"] == [member.name for member in python], name
    assert enums["ClaimSort"]["x-enum-varnames"][2] == "date_desc"
    assert enum_member_name("-updated_at") == "updated_at_desc"


def _admits_null(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "null" or NULL in schema.get("anyOf", [])


def _non_null(schema: dict[str, Any]) -> dict[str, Any]:
    members = [m for m in schema.get("anyOf", [schema]) if m != NULL]
    return members[0] if len(members) == 1 else schema


@pytest.mark.parametrize(
    ("patch", "create"),
    [
        ("ClaimPatch", "ClaimCreate"),
        ("SourcePatch", "SourceCreate"),
        ("ActorPatch", "ActorCreate"),
        ("InstrumentPatch", "InstrumentCreate"),
    ],
)
def test_a_patch_field_is_constrained_as_its_create_field(
    document: dict[str, Any], patch: str, create: str
) -> None:
    schemas = document["components"]["schemas"]
    patched, created = schemas[patch]["properties"], schemas[create]["properties"]
    # A claim's status is set on create only; after that it changes through the transitions.
    create_only = {"status"} if patch == "ClaimPatch" else set()
    assert set(patched) == (set(created) - {"text"} - create_only) | (
        {"text"} if "text" in patched else set()
    )
    assert not schemas[patch].get("required")
    for name, schema in patched.items():
        mine, theirs = _non_null(schema), _non_null(created[name])
        for key in CONSTRAINTS:
            assert mine.get(key) == theirs.get(key), (patch, name, key)
        assert mine.get("items") == theirs.get("items"), (patch, name)
        if not _admits_null(schema):
            assert "default" not in schema, (patch, name)  # absent means "keep", not null


def _patch(client: TestClient, path: str, body: dict[str, Any]) -> Any:
    etag = client.get(path).headers["ETag"]
    return client.patch(
        path,
        content=__import__("orjson").dumps(body),
        headers={"If-Match": etag, "Content-Type": "application/merge-patch+json"},
    )


def test_patch_fields_take_null_exactly_where_the_document_says(
    client: TestClient, document: dict[str, Any]
) -> None:
    world = World(client)
    instrument = client.post("/v1/instruments", json={"symbol": "S/RES/2397 (2017)"}).json()
    resources = {
        "ClaimPatch": f"/v1/claims/{world.claim['id']}",
        "SourcePatch": f"/v1/sources/{world.source['id']}",
        "ActorPatch": f"/v1/actors/{world.actor['id']}",
        "InstrumentPatch": f"/v1/instruments/{instrument['id']}",
    }
    schemas = document["components"]["schemas"]
    for patch, path in resources.items():
        for name, schema in schemas[patch]["properties"].items():
            before = client.get(path).json()
            answer = _patch(client, path, {name: None})
            if _admits_null(schema):
                assert answer.status_code == 200, (patch, name, answer.text)
            else:
                assert answer.status_code == 422, (patch, name, answer.text)
                assert answer.json()["errors"][0]["pointer"] == f"/{name}", (patch, name)
                assert client.get(path).json() == before, (patch, name)


def test_a_patch_keeps_the_evidence_a_claim_needs(client: TestClient) -> None:
    world = World(client)
    path = f"/v1/claims/{world.claim['id']}"
    answer = _patch(client, path, {"evidence": []})
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["pointer"] == "/evidence"


SAMPLE_DATES = [
    "0000", "0001", "0999", "1999", "2024", "9999", "2024-00", "2024-01", "2024-12",
    "2024-13", "2024-02-00", "2024-02-01", "2024-02-29", "2024-12-31", "2024-12-32",
    "0000-01-01", "0001-01-01", "24", "2024-1", "2024-01-1", "20240101",
]  # fmt: skip
CALENDAR_ONLY = {"2023-02-29", "2024-04-31"}  # the pattern cannot know month lengths


def _parses(value: str) -> bool:
    try:
        parse_prefix(value)
    except ValueError:
        return False
    return True


def test_date_patterns_admit_what_the_server_admits(
    client: TestClient, document: dict[str, Any]
) -> None:
    schemas = document["components"]["schemas"]
    prefix_pattern = schemas["InstrumentCreate"]["properties"]["adopted"]["anyOf"][0]["pattern"]
    value_pattern = schemas["ClaimDateIn"]["properties"]["value"]["pattern"]
    query = {p["name"]: p["schema"] for p in document["paths"]["/v1/claims"]["get"]["parameters"]}
    assert query["date_from"]["pattern"] == query["date_to"]["pattern"] == prefix_pattern
    for value in [*SAMPLE_DATES, *CALENDAR_ONLY]:
        admitted = _parses(value) or value in CALENDAR_ONLY
        assert (re.fullmatch(prefix_pattern, value) is not None) == admitted, value
        # A claim's date value is such a date, or (for `occurred`) an interval of two.
        assert (re.fullmatch(value_pattern, value) is not None) == admitted, value
        both = f"{value}/{value}"
        assert (re.fullmatch(value_pattern, both) is not None) == admitted, both
    for value in ("0000", "2024-13"):
        answer = client.get("/v1/claims", params={"date_from": value})
        assert answer.status_code == 422, value


def _statuses(operation: dict[str, Any]) -> dict[str, Any]:
    responses: dict[str, Any] = operation["responses"]
    return responses


def test_every_answer_the_server_can_give_is_documented(document: dict[str, Any]) -> None:
    for operation in _operations(document):
        responses = _statuses(operation)
        names = {p["name"] for p in operation.get("parameters", [])}
        operation_id = operation["operationId"]
        if operation_id != "health_live":
            assert set(responses["503"]["headers"]) == {"Retry-After"}, operation_id
        if "requestBody" in operation:
            assert {"400", "413", "415", "422"} <= set(responses), operation_id
        if names & {"cursor", "after"}:
            assert "400" in responses, operation_id
    cursored = {
        operation["operationId"]
        for operation in _operations(document)
        if "400" in operation["responses"] and "requestBody" not in operation
    }
    assert {"sources_list", "instruments_list", "claims_list_revisions"} <= cursored
    merged = document["paths"]["/v1/actors/{actor_id}"]["get"]["responses"]["308"]
    assert set(merged["headers"]) == {"Location"}


def test_the_problem_declares_the_members_we_send(document: dict[str, Any]) -> None:
    problem = document["components"]["schemas"]["Problem"]
    members = problem["properties"]
    assert set(problem["required"]) == {"type", "title", "status", "detail"}
    assert members["current_etag"]["type"] == "string"
    assert members["current_version"]["type"] == "integer"
    assert members["candidates"]["items"] == {"$ref": "#/components/schemas/ActorCandidates"}
    candidates = document["components"]["schemas"]["ActorCandidates"]
    assert set(candidates["required"]) == {"value", "reason", "actors"}
    for name in ("candidates", "current_etag", "current_version", "source_id"):
        assert not _admits_null(members[name]), name  # left out when not sent, never null


def test_servers_license_and_links_from_every_create(document: dict[str, Any]) -> None:
    assert document["servers"][0]["url"].startswith("http://127.0.0.1")
    assert document["info"]["license"]["identifier"] == "Apache-2.0"
    creates = {
        path: item["post"]
        for path, item in document["paths"].items()
        if "post" in item and "201" in item["post"]["responses"]
    }
    assert set(creates) == {
        "/v1/claims",
        "/v1/sources",
        "/v1/actors",
        "/v1/instruments",
        "/v1/vocabularies",
        "/v1/keys",
    }
    for path, create in creates.items():
        if path == "/v1/vocabularies":  # a term has no item path
            continue
        links = create["responses"]["201"]["links"]
        tag = create["tags"][0]
        if path == "/v1/keys":  # a key is issued and revoked, never updated
            assert {"keys_get", "keys_revoke"} <= set(links)
            continue
        assert {f"{tag}_get", f"{tag}_update"} <= set(links), path
        update = links[f"{tag}_update"]["parameters"]
        assert update["header.If-Match"] == "$response.header.ETag"
        assert next(iter(update.values())) == "$response.body#/id"
