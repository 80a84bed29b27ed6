"""The OpenAPI document: what FastAPI generates, refined to say exactly what the server does.

FastAPI writes the document from the routes and the pydantic models; a few things it cannot
know (every route's shared answers, that an `If-Match` is always needed, what a change
snapshot holds) or writes in a form SDK generators misread (`$ref` beside other keywords,
nullable query and header parameters, enums of `-date`) are set here, each by one rule over
the whole document, so a new route gets them without being told.
"""

import re
from copy import deepcopy
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from app.errors import PROBLEM_MEDIA_TYPE
from app.fields import NO_NUL_PATTERN
from app.idempotency.middleware import NOT_REPLAYED
from app.models import EntityType

SERVERS = [{"url": "http://127.0.0.1:8000", "description": "`make run` on this machine"}]
LICENSE = {"name": "Apache-2.0", "identifier": "Apache-2.0"}
PROBLEM = {"$ref": "#/components/schemas/Problem"}
METHODS = ("get", "put", "post", "patch", "delete")
BODY_MEDIA_TYPES = ("application/json", "application/merge-patch+json")

RESPONSE_HEADERS = {
    "ETag": {"description": "Strong validator; send back in If-None-Match or If-Match."},
    "Cache-Control": {"description": "`no-cache`: revalidate with If-None-Match."},
}
STRING = {"type": "string"}
CREATED_HEADERS = {"Location": {"description": "URL of the created resource."}}
ETAG_HEADER = {
    "description": "The current ETag, as in If-None-Match.",
    "schema": {"type": "string"},
}
RETRY_AFTER = {"description": "Seconds to wait before retrying.", "schema": {"type": "integer"}}
LOCATION = {"description": "Where the resource now is.", "schema": STRING}

# Answers the server can give to any request of their kind, whatever the route.
BUSY = {"description": "The database is busy; retry after `Retry-After` seconds"}
UNSUPPORTED = {"description": "The body's media type is not one the operation accepts"}
BAD_CURSOR = {"description": "Bad request, such as a cursor that does not belong to this query"}
TOO_LARGE = {"description": "Request body too large"}
UNPARSABLE = {"description": "The body cannot be parsed: malformed JSON, or not UTF-8"}

# What a change or revision snapshot holds, by entity type: the read model as it was written.
SNAPSHOTS = {
    EntityType.source: "SourceRead",
    EntityType.actor: "ActorRead",
    EntityType.instrument: "InstrumentRead",
    EntityType.claim: "ClaimRead",
    EntityType.term: "TermRead",
    EntityType.key: "KeyRead",
}


def build_document(app: FastAPI) -> dict[str, Any]:
    document = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
        servers=SERVERS,
        license_info=LICENSE,
    )
    schemas = document["components"]["schemas"]
    for item in document["paths"].values():
        for method, operation in item.items():
            if method in METHODS:
                _refine_parameters(operation)
                _refine_responses(operation)
    for schema in schemas.values():
        _name_enum_members(schema)
        for field in schema.get("properties", {}).values():
            _drop_null_default(field)
    _type_snapshots(schemas)
    _link_creates(document["paths"])
    _optional_keys_on_reads(document["paths"])
    document["components"]["headers"] = _shared_headers()
    _idempotent_posts(document["paths"])
    _rate_limited(document["paths"])
    _no_ref_siblings(document)
    _no_nul_in_requests(document)
    return document


# Keys under which a schema holds values, not schemas.
_VALUE_KEYS = frozenset({"example", "examples", "default", "const", "enum"})


def _no_nul_in_requests(document: dict[str, Any]) -> None:
    """Every string a request carries (a path or query parameter, a field of a body
    schema or of the schemas it refers to) says that it holds no NUL, unless its own
    pattern already does: the server refuses NUL everywhere in a request (PostgreSQL
    cannot store it), and a generator that reads the document must not send what the
    server turns away."""
    schemas = document["components"]["schemas"]
    bodies: list[Any] = []
    for item in document["paths"].values():
        for method, operation in item.items():
            if method in METHODS:
                for parameter in operation.get("parameters", []):
                    if parameter["in"] != "header":  # HTTP itself has no NUL in a header
                        _no_nul_in_strings(parameter["schema"])
                for media in operation.get("requestBody", {}).get("content", {}).values():
                    bodies.append(media["schema"])
    seen: set[str] = set()
    while bodies:
        node = bodies.pop()
        _no_nul_in_strings(node)
        for name in _referenced(node) - seen:
            seen.add(name)
            bodies.append(schemas[name])


def _referenced(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"].rsplit("/", 1)[1]} if "$ref" in node else set()
        return found.union(*(_referenced(v) for k, v in node.items() if k not in _VALUE_KEYS))
    if isinstance(node, list):
        return set().union(*(_referenced(item) for item in node))
    return set()


def _no_nul_in_strings(node: Any) -> None:
    if isinstance(node, dict):
        if node.get("type") == "string" and not {"pattern", "format", "enum", "const"} & set(node):
            node["pattern"] = NO_NUL_PATTERN
        for key, value in node.items():
            if key not in _VALUE_KEYS:
                _no_nul_in_strings(value)
    elif isinstance(node, list):
        for item in node:
            _no_nul_in_strings(item)


IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Makes a retry safe: the first answer that changed something (2xx) to "
    "this key from this API key is kept for 24 hours (IDEMPOTENCY_RETENTION_HOURS) and "
    "replayed byte for byte, with `Idempotent-Replayed: true`, to every retry. The same key "
    "with another method, path, query or body is a 422; while the first request still runs, "
    "a 409. Answers that changed nothing (4xx, 5xx) are not kept: a corrected retry runs. "
    "Ignored without an API key.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
}
REPLAYED = {
    "description": "`true` on an answer replayed for an Idempotency-Key (absent otherwise).",
    "schema": {"type": "string", "enum": ["true"]},
}
STILL_RUNNING = "the same Idempotency-Key while its first request still runs (Retry-After)"
RATE_LIMIT_HEADERS = {
    "RateLimit-Limit": "Requests this caller (API key, or address without one) may make "
    "per window (RATE_LIMIT_WINDOW_SECONDS); a 304 counts a quarter.",
    "RateLimit-Remaining": "Requests left in the current window.",
    "RateLimit-Reset": "Seconds until the current window ends.",
}
RATE_LIMITED = {"description": "Too many requests: retry after `Retry-After` seconds"}


def _shared_headers() -> dict[str, Any]:
    """The headers many answers carry, declared once (answers refer to them)."""
    limits = {
        name: {"description": text, "schema": {"type": "integer", "minimum": 0}}
        for name, text in RATE_LIMIT_HEADERS.items()
    }
    return {"Idempotent-Replayed": deepcopy(REPLAYED), **limits}


def _header_ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/headers/{name}"}


def _idempotent_posts(paths: dict[str, Any]) -> None:
    """Every POST takes an Idempotency-Key (app/idempotency): its 2xx answers may be
    replays, and it can answer 409 (still running) and 422 (another request's key). Not
    the creation of a key, whose secret is never stored."""
    for path, item in paths.items():
        post = item.get("post")
        if post is None or not path.startswith("/v1/") or path in NOT_REPLAYED:
            continue
        post.setdefault("parameters", []).append(deepcopy(IDEMPOTENCY_KEY))
        responses = post["responses"]
        if "409" in responses:
            responses["409"]["description"] += f"; or {STILL_RUNNING}"
        else:
            responses["409"] = {
                "description": f"Conflict: {STILL_RUNNING}",
                "content": {PROBLEM_MEDIA_TYPE: {"schema": PROBLEM}},
            }
        for status, response in responses.items():
            if status.startswith("2"):
                response.setdefault("headers", {})["Idempotent-Replayed"] = _header_ref(
                    "Idempotent-Replayed"
                )
        post["responses"] = dict(sorted(responses.items()))


def _rate_limited(paths: dict[str, Any]) -> None:
    """Every operation under /v1 is rate limited when the server limits rates (RATE_LIMITS,
    app/ratelimits): its successful answers, its 304 and its 429 carry the RateLimit
    headers, the 429 Retry-After too."""
    headers = {name: _header_ref(name) for name in RATE_LIMIT_HEADERS}
    for path, item in paths.items():
        if not path.startswith("/v1/"):
            continue
        for method, operation in item.items():
            if method not in METHODS:
                continue
            responses = operation["responses"]
            responses["429"] = {
                **deepcopy(RATE_LIMITED),
                "headers": {"Retry-After": deepcopy(RETRY_AFTER), **deepcopy(headers)},
                "content": {PROBLEM_MEDIA_TYPE: {"schema": PROBLEM}},
            }
            for status, response in responses.items():
                if status.startswith("2") or status == "304":
                    response.setdefault("headers", {}).update(deepcopy(headers))
            operation["responses"] = dict(sorted(responses.items()))


def _optional_keys_on_reads(paths: dict[str, Any]) -> None:
    """Reads declare the key as optional (`{}` is "no key"): they need one only when the
    server runs with READS_REQUIRE_KEY, and drafts show only to analysts and above.
    Keys' own reads, like every write, need their role's key."""
    for path, item in paths.items():
        read = item.get("get")
        if read and read.get("security") and not path.startswith("/v1/keys"):
            read["security"] = [*read["security"], {}]


def _refine_parameters(operation: dict[str, Any]) -> None:
    """Parameters are never null (HTTP has no null), and If-Match is required: the server
    answers 428 without it. A parameter's description sits on the parameter, where every
    generator reads it."""
    for parameter in operation.get("parameters", []):
        schema = parameter["schema"]
        members = schema.get("anyOf")
        if members and {"type": "null"} in members:
            rest = [member for member in members if member != {"type": "null"}]
            outer = {key: value for key, value in schema.items() if key != "anyOf"}
            schema = {**(rest[0] if len(rest) == 1 else {"anyOf": rest}), **outer}
        if schema.get("default", 0) is None:
            del schema["default"]
        if "description" in schema:
            parameter.setdefault("description", schema.pop("description"))
        schema.pop("title", None)
        if "$ref" in schema and len(schema) > 1:
            # Generators type a parameter whose `$ref` has siblings (or is wrapped in an
            # `allOf`) as Any; the default then lives in the description.
            if "default" in schema:
                default = schema["default"]
                parameter["description"] = f"{parameter.get('description', '')} Default: "
                parameter["description"] += f"`{default}`.".lstrip()
            schema = {"$ref": schema["$ref"]}
        parameter["schema"] = schema
        if parameter["in"] == "header" and parameter["name"] == "If-Match":
            parameter["required"] = True
            schema["minLength"] = 1  # an empty one is a missing one (428)


def _refine_responses(operation: dict[str, Any]) -> None:
    """Error answers are problem+json only (FastAPI also lists application/json); successful
    answers declare the caching headers they carry; the answers every operation of a kind
    can give are declared on each: 503 when the database is busy, 415 for a body of another
    media type, 413 for one over the size limit, 400 for a body that cannot be parsed or a
    cursor that is not this query's."""
    responses = operation["responses"]
    probe = operation.get("tags") == ["health"]  # probes answer without validators
    takes_body = "requestBody" in operation
    if takes_body:
        responses.setdefault("400", deepcopy(UNPARSABLE))
        responses.setdefault("413", deepcopy(TOO_LARGE))
        responses.setdefault("415", deepcopy(UNSUPPORTED))
    if any(p["name"] in ("cursor", "after") for p in operation.get("parameters", [])):
        responses.setdefault("400", deepcopy(BAD_CURSOR))
    if operation["operationId"] != "health_live":
        responses.setdefault("503", deepcopy(BUSY))
    for status, response in responses.items():
        code = int(status)
        if code >= 400:
            # A problem's own typed model (e.g. a refused transition's) is kept.
            schemas = [media.get("schema") for media in response.get("content", {}).values()]
            declared = next((schema for schema in schemas if schema), None)
            typed = declared if declared and declared != PROBLEM else PROBLEM
            response["content"] = {PROBLEM_MEDIA_TYPE: {"schema": typed}}
        if code == 503:
            response["headers"] = {"Retry-After": RETRY_AFTER}
        elif code == 304:
            response["headers"] = {"ETag": ETAG_HEADER}
        elif code in (301, 302, 307, 308):
            response["headers"] = {"Location": LOCATION}
        elif code in (200, 201) and response.get("content") and not probe:
            headers = {**RESPONSE_HEADERS, **(CREATED_HEADERS if code == 201 else {})}
            response["headers"] = {
                name: {**header, "schema": {"type": "string"}} for name, header in headers.items()
            }
    operation["responses"] = dict(sorted(responses.items()))


def enum_member_name(value: str) -> str:
    """A readable identifier for an enum value: `-date` is `date_desc`."""
    name = re.sub(r"\W+", "_", value.removeprefix("-")).strip("_") or "empty"
    return f"{name}_desc" if value.startswith("-") else name


def _name_enum_members(schema: dict[str, Any]) -> None:
    """Generators otherwise name `-date` as `VALUE_2`, and renumber when a value is added."""
    values = schema.get("enum")
    if values and all(isinstance(value, str) for value in values):
        schema["x-enum-varnames"] = [enum_member_name(value) for value in values]


def _drop_null_default(field: dict[str, Any]) -> None:
    """A merge-patch field that cannot be cleared defaults to "absent", not to null."""
    admits_null = {"type": "null"} in field.get("anyOf", []) or field.get("type") == "null"
    if "default" in field and field["default"] is None and not admits_null:
        del field["default"]


def _type_snapshots(schemas: dict[str, Any]) -> None:
    """A change (and a revision) is one of four shapes, told apart by `entity_type`, each
    with the read model of its type as the snapshot. Stored snapshots keep the shape they
    were written in, so a field added to a read model later must be optional there
    (tests/test_snapshots.py validates the snapshots of a database written by an older
    release against these schemas)."""
    for name in ("Change", "RevisionRead"):
        generic = schemas[name]
        mapping = {}
        for entity_type, read_model in SNAPSHOTS.items():
            variant_name = f"{entity_type.value.capitalize()}{name.removesuffix('Read')}"
            variant = deepcopy(generic)
            variant["title"] = variant_name
            snapshot = generic["properties"]["snapshot"].get("description", "")
            variant["description"] = f"{generic['description']} Of a {entity_type}. {snapshot}"
            variant["properties"]["entity_type"] = {
                "type": "string",
                "enum": [entity_type.value],
                "x-enum-varnames": [entity_type.value],
            }
            variant["properties"]["snapshot"] = {"$ref": f"#/components/schemas/{read_model}"}
            schemas[variant_name] = variant
            mapping[entity_type.value] = f"#/components/schemas/{variant_name}"
        schemas[name] = {
            "title": name,
            "description": generic["description"],
            "oneOf": [{"$ref": ref} for ref in mapping.values()],
            "discriminator": {"propertyName": "entity_type", "mapping": mapping},
        }


def _link_creates(paths: dict[str, Any]) -> None:
    """OpenAPI links from each create to the operations on what it created, so stateful
    tools and SDKs can chain a create into its get, update and the rest."""
    for path, item in paths.items():
        create = item.get("post")
        if not create or "201" not in create["responses"]:
            continue
        links: dict[str, Any] = {}
        for other_path, other in paths.items():
            match = re.fullmatch(re.escape(path) + r"/\{(\w+)\}(/\w+)?", other_path)
            if not match:
                continue
            for method, operation in other.items():
                if method not in METHODS:
                    continue
                # Qualified by location, as OpenAPI allows, so no name is ambiguous.
                parameters = {f"path.{match.group(1)}": "$response.body#/id"}
                names = {p["name"] for p in operation.get("parameters", [])}
                if "If-Match" in names:
                    parameters["header.If-Match"] = "$response.header.ETag"
                links[operation["operationId"]] = {
                    "operationId": operation["operationId"],
                    "parameters": parameters,
                    "description": f"`{operation['operationId']}` on the created resource.",
                }
        if links:
            create["responses"]["201"]["links"] = links


def _no_ref_siblings(node: Any) -> None:
    """`{"$ref": X, "default": ...}` becomes `{"allOf": [{"$ref": X}], "default": ...}`:
    several generators drop the type of a `$ref` that has sibling keywords."""
    if isinstance(node, dict):
        if "$ref" in node and len(node) > 1:
            node["allOf"] = [{"$ref": node.pop("$ref")}]
        for value in node.values():
            _no_ref_siblings(value)
    elif isinstance(node, list):
        for value in node:
            _no_ref_siblings(value)
