"""What SDK generators rely on in our OpenAPI document.

Valid OpenAPI; one stable `{tag}_{verb}` operation id, a summary and one declared tag per
operation; one error shape (problem+json, the Problem schema) on every error response; the
conditional-request headers on the operations that honour them; merge-patch bodies.
"""

import re
from typing import Any

import pytest
from openapi_spec_validator import validate

from app.main import create_app
from app.openapi import RATE_LIMIT_HEADERS
from app.settings import Settings

OPERATION_ID = re.compile(r"^[a-z]+_[a-z_]+$")
PROBLEM = {"$ref": "#/components/schemas/Problem"}
PROBLEM_MEDIA_TYPE = "application/problem+json"
MERGE_PATCH = "application/merge-patch+json"
UNCONDITIONAL = {"health_live", "health_ready", "health_metrics"}
# Operations whose answer is another format than JSON, by the format's own rules.
NOT_JSON = {"health_metrics": "text/plain"}  # Prometheus' text exposition
METHODS = {"get", "put", "post", "patch", "delete", "head", "options", "trace"}


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    url = f"sqlite:///{tmp_path_factory.mktemp('openapi') / 'unused.db'}"
    served: dict[str, Any] = create_app(Settings(database_url=url)).openapi()
    return served


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def _header(operation: dict[str, Any], name: str) -> dict[str, Any] | None:
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "header" and parameter["name"].lower() == name.lower():
            found: dict[str, Any] = parameter
            return found
    return None


def _updates_an_existing_resource(method: str, path: str) -> bool:
    """PATCH/PUT/DELETE on an item, or a POST action on one (`/claims/{id}/retract`).
    Revoking a key is not conditional on purpose: it is idempotent, and a leaked key must
    be revocable without reading it first."""
    return "{" in path and method in {"patch", "put", "delete", "post"} and "/keys/" not in path


def test_the_document_is_valid_openapi(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_operation_ids_are_unique_tag_verb_names(document: dict[str, Any]) -> None:
    ids = [operation["operationId"] for _, _, operation in operations(document)]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    for method, path, operation in operations(document):
        operation_id = operation["operationId"]
        assert OPERATION_ID.match(operation_id), (method, path, operation_id)
        assert operation_id.startswith(operation["tags"][0] + "_"), (method, path, operation_id)


def test_every_operation_has_a_summary_and_one_declared_tag(document: dict[str, Any]) -> None:
    declared = {tag["name"]: tag for tag in document["tags"]}
    assert all(tag.get("description") for tag in declared.values())
    for method, path, operation in operations(document):
        assert operation.get("summary", "").strip(), (method, path)
        assert len(operation.get("tags", [])) == 1, (method, path, operation.get("tags"))
        assert operation["tags"][0] in declared, (method, path)
    used = {operation["tags"][0] for _, _, operation in operations(document)}
    assert used == set(declared), "a declared tag has no operation, or the reverse"


def test_every_error_response_is_a_problem(document: dict[str, Any]) -> None:
    assert "Problem" in document["components"]["schemas"]
    for method, path, operation in operations(document):
        for status, response in operation["responses"].items():
            if status.isdigit() and int(status) >= 400:
                assert response.get("description"), (method, path, status)
                content = response.get("content", {})
                assert set(content) == {PROBLEM_MEDIA_TYPE}, (method, path, status, set(content))
                schema = content[PROBLEM_MEDIA_TYPE]["schema"]
                assert _is_a_problem(document, schema), (method, path, status)


def _is_a_problem(document: dict[str, Any], schema: dict[str, Any]) -> bool:
    """The Problem schema, or one that extends it with typed members (a 409 that names
    the claim's status, say): every Problem property, the same required ones."""
    if schema == PROBLEM:
        return True
    schemas = document["components"]["schemas"]
    problem = schemas["Problem"]
    extended = schemas[schema["$ref"].removeprefix("#/components/schemas/")]
    return all(
        extended["properties"].get(name) == declared
        for name, declared in problem["properties"].items()
    ) and set(problem.get("required", [])) <= set(extended.get("required", []))


def test_every_operation_with_parameters_or_a_body_documents_422(
    document: dict[str, Any],
) -> None:
    for method, path, operation in operations(document):
        if operation.get("parameters") or operation.get("requestBody"):
            assert "422" in operation["responses"], (method, path)


def test_success_responses_are_json_with_a_schema(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        successes = {s: r for s, r in operation["responses"].items() if s.startswith("2")}
        assert successes, (method, path)
        for status, response in successes.items():
            if status == "204":
                assert "content" not in response, (method, path)
                continue
            if operation["operationId"] in NOT_JSON:
                media_type = NOT_JSON[operation["operationId"]]
                assert response["content"][media_type]["schema"] == {"type": "string"}
                continue
            schema = response["content"]["application/json"]["schema"]
            assert schema.get("$ref", "").startswith("#/components/schemas/"), (method, path)


def test_conditional_reads_declare_if_none_match_and_304(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        if method != "get" or operation["operationId"] in UNCONDITIONAL:
            continue
        header = _header(operation, "If-None-Match")
        assert header is not None, (method, path)
        assert header["required"] is False
        assert header["schema"] == {"type": "string", "maxLength": 2000}
        not_modified = operation["responses"]["304"]
        # The RateLimit headers: every /v1 answer carries them when limits are on.
        assert set(not_modified["headers"]) == {"ETag", *RATE_LIMIT_HEADERS}, (method, path)


def test_writes_to_existing_resources_declare_if_match_412_and_428(
    document: dict[str, Any],
) -> None:
    writes = [
        (method, path, operation)
        for method, path, operation in operations(document)
        if _updates_an_existing_resource(method, path)
    ]
    assert {operation["operationId"] for _, _, operation in writes} == {
        "sources_update",
        "sources_delete",
        "actors_update",
        "actors_merge",
        "instruments_update",
        "claims_update",
        "claims_publish",
        "claims_dispute",
        "claims_retract",
        "claims_reinstate",
    }
    for method, path, operation in writes:
        header = _header(operation, "If-Match")
        assert header is not None, (method, path)
        # Required: the server answers 428 without it (a generated client must ask for it).
        assert header["required"] is True
        assert header["schema"] == {"type": "string", "maxLength": 200, "minLength": 1}
        assert "428" in header["description"]
        assert "412" in header["description"]
        for status in ("404", "412", "428"):
            assert status in operation["responses"], (method, path, status)


def test_creates_take_no_if_match(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        if method == "post" and "{" not in path:
            assert _header(operation, "If-Match") is None, (method, path)


def test_updates_are_json_merge_patch(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        if method == "patch":
            content = operation["requestBody"]["content"]
            assert set(content) == {MERGE_PATCH}, (path, set(content))
            assert operation["requestBody"]["required"] is True


def test_the_change_feed_is_documented(document: dict[str, Any]) -> None:
    operation = document["paths"]["/v1/changes"]["get"]
    assert operation["operationId"] == "changes_list"
    assert operation["tags"] == ["changes"]
    parameters = {p["name"]: p for p in operation["parameters"] if p["in"] == "query"}
    assert set(parameters) == {"after", "limit", "entity_type", "fields", "wait"}
    limit = parameters["limit"]["schema"]
    assert (limit["minimum"], limit["maximum"], limit["default"]) == (1, 1000, 100)
    wait = parameters["wait"]["schema"]
    assert (wait["minimum"], wait["maximum"], wait["default"]) == (0, 30, 0)
    schemas = document["components"]["schemas"]
    entity_type = parameters["entity_type"]["schema"]
    assert entity_type == {"type": "array", "items": {"$ref": "#/components/schemas/EntityType"}}
    assert schemas["EntityType"]["enum"] == [
        "source",
        "actor",
        "instrument",
        "claim",
        "term",
        "key",
    ]
    assert schemas["Operation"]["enum"] == [
        "created",
        "updated",
        "published",
        "disputed",
        "retracted",
        "reinstated",
        "merged",
        "deleted",
        "rerendered",
    ]
    assert set(schemas["ChangeFields"]["enum"]) == {"full", "ids"}
    for status in ("200", "304", "400", "422"):
        assert status in operation["responses"]
    feed = schemas["ChangeFeed"]
    assert set(feed["required"]) == {"data", "next_cursor"}
    assert feed["properties"]["next_cursor"]["type"] == "string"  # never null
    change = schemas["ClaimChange"]
    assert "snapshot" not in change["required"]
    assert change["properties"]["snapshot"] == {"$ref": "#/components/schemas/ClaimRead"}
    assert set(change["required"]) == {
        "seq",
        "entity_type",
        "entity_id",
        "operation",
        "version",
        "recorded_at",
        "recorded_by",
        "reason",
        "cause",
        "recorded_by_key_id",
    }
    assert set(schemas["Cause"]["required"]) == {"kind", "entity_type", "entity_id"}


def _string_members(schema: dict[str, Any]) -> list[dict[str, Any]]:
    members = schema.get("anyOf", [schema])
    return [member for member in members if member.get("type") == "string"]


def test_every_timestamp_is_declared_date_time(document: dict[str, Any]) -> None:
    undeclared = [
        f"{name}.{field}"
        for name, schema in document["components"]["schemas"].items()
        for field, definition in schema.get("properties", {}).items()
        if field.endswith("_at")
        for member in _string_members(definition)
        if member.get("format") != "date-time"
    ]
    assert not undeclared, undeclared
