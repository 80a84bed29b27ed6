"""Served = declared: validate answers against a strict form of our own OpenAPI document.

Claim documents are built as dicts (app/claims/projection.py) and pages and timelines are
joined as bytes, so the pydantic response models (`ClaimRead` and the rest) never see what
is served: they only describe it in the OpenAPI document. As declared, those schemas let an
undeclared key through (JSON Schema allows extra properties unless told otherwise) and a
key with a default may be missing, so a served key that SDKs do not know about, or a
declared key that is not served, would pass every test.

`strict` rewrites a response schema so that neither can: `$ref`s are resolved inline, and
every object schema with declared `properties` gets `additionalProperties: false` and all
of them `required`. Nullability (`anyOf [..., null]`), enums and formats stay as declared;
free-form maps (a schema that declares `additionalProperties` itself and no properties)
stay free-form. A key that is absent by design (a change's
`snapshot` with `fields=ids`) is named in `optional`, so the exception is explicit.
`Served` picks the schema of an answer's operation and status from the document the app
serves, validates the body (formats checked too), and remembers which operations it saw.
"""

import re
from collections.abc import Collection, Iterable
from typing import Any

import httpx
from jsonschema import Draft202012Validator

JSON_SCHEMA_KEYS_OF_SCHEMAS = ("items", "not", "if", "then", "else", "contains")
JSON_SCHEMA_LISTS_OF_SCHEMAS = ("anyOf", "oneOf", "allOf", "prefixItems")
METHODS = {"get", "put", "post", "patch", "delete"}


def _resolve(document: dict[str, Any], ref: str) -> dict[str, Any]:
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part]
    resolved: dict[str, Any] = node
    return resolved


def strict(
    schema: dict[str, Any],
    document: dict[str, Any],
    optional: Collection[tuple[str, str]] = (),
    _seen: tuple[str, ...] = (),
) -> dict[str, Any]:
    """`schema` with `$ref`s (into `document`) inlined and every declared object closed:
    no undeclared key, no missing key but the `(schema title, property)` pairs in
    `optional`."""
    if "$ref" in schema:
        ref = schema["$ref"]
        assert ref not in _seen, f"recursive schema {ref}: inline it another way"
        target = _resolve(document, ref)
        siblings = {k: v for k, v in schema.items() if k != "$ref"}
        return strict(target | siblings, document, optional, (*_seen, ref))
    made = dict(schema)
    for key in JSON_SCHEMA_KEYS_OF_SCHEMAS:
        if isinstance(made.get(key), dict):
            made[key] = strict(made[key], document, optional, _seen)
    for key in JSON_SCHEMA_LISTS_OF_SCHEMAS:
        if key in made:
            made[key] = [strict(s, document, optional, _seen) for s in made[key]]
    if isinstance(made.get("additionalProperties"), dict):
        made["additionalProperties"] = strict(
            made["additionalProperties"], document, optional, _seen
        )
    if "properties" in made:
        title = made.get("title", "")
        made["properties"] = {
            name: strict(s, document, optional, _seen) for name, s in made["properties"].items()
        }
        made["required"] = [name for name in made["properties"] if (title, name) not in optional]
        made["additionalProperties"] = False
    return made


def _checker(schema: dict[str, Any]) -> Draft202012Validator:
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def validator(
    document: dict[str, Any],
    method: str,
    path: str,
    status: int,
    optional: Collection[tuple[str, str]] = (),
) -> Draft202012Validator:
    """The strict validator of the JSON answer of `method path` with `status`."""
    response = document["paths"][path][method.lower()]["responses"][str(status)]
    return _checker(strict(response["content"]["application/json"]["schema"], document, optional))


def component_validator(document: dict[str, Any], name: str) -> Draft202012Validator:
    """The strict validator of the component schema `name` (e.g. a snapshot's entity)."""
    return _checker(strict({"$ref": f"#/components/schemas/{name}"}, document))


def problems(checker: Draft202012Validator, body: Any) -> list[str]:
    """What is wrong with `body`, one line per error (empty when it validates)."""
    return sorted(
        f"{'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}"
        for error in checker.iter_errors(body)
    )


def json_operations(document: dict[str, Any]) -> set[tuple[str, str, int]]:
    """Every (method, path template, status) that answers a JSON body on success."""
    return {
        (method.upper(), path, int(status))
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
        for status, response in operation["responses"].items()
        if status.startswith("2") and "application/json" in response.get("content", {})
    }


def _pattern(template: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$")


class Served:
    """Validates answers against the strict schema of their operation in `document`."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        # Literal paths before templated ones: /v1/claims/facets is not /v1/claims/{id}.
        self.templates = sorted(document["paths"], key=lambda path: (path.count("{"), path))
        self.checked: set[tuple[str, str, int]] = set()
        self.validators: dict[tuple[str, str, int, frozenset[tuple[str, str]]], Any] = {}

    def operation(self, method: str, path: str) -> str:
        for template in self.templates:
            if method.lower() in self.document["paths"][template] and _pattern(template).match(
                path
            ):
                return template
        raise AssertionError(f"no operation serves {method} {path}")

    def __call__(self, response: httpx.Response, optional: Iterable[tuple[str, str]] = ()) -> Any:
        """Assert `response` is a success whose body is exactly what its operation declares;
        its body."""
        assert 200 <= response.status_code < 300, (response.status_code, response.text)
        method, path = response.request.method, response.request.url.path
        template = self.operation(method, path)
        body = response.json()
        key = (method, template, response.status_code, frozenset(optional))
        if key not in self.validators:
            self.validators[key] = validator(self.document, *key)
        found = problems(self.validators[key], body)
        assert not found, f"{method} {response.request.url} is not what it declares:\n" + (
            "\n".join(found)
        )
        self.checked.add((method, template, response.status_code))
        return body
