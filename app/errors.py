"""One exception hierarchy, one error shape: RFC 9457 `application/problem+json`."""

import logging
from enum import StrEnum
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

logger = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "https://sanctions-claims.dev/problems/"


class FieldError(BaseModel):
    """One invalid input: a JSON pointer into the body, or the name of a parameter."""

    # Exactly one of the two is sent; neither is ever null.
    pointer: str | SkipJsonSchema[None] = Field(default=None, examples=["/evidence/0/quote"])
    parameter: str | SkipJsonSchema[None] = Field(default=None, examples=["limit"])
    detail: str = Field(examples=["Input should be less than or equal to 500"])


class Unresolved(StrEnum):
    ambiguous = "ambiguous"
    no_match = "no_match"


class CandidateActor(BaseModel):
    """An actor a name could mean (`ambiguous`), or one of the closest names (`no_match`)."""

    id: str
    name: str = Field(examples=["North Korea"])
    matched_name: str = Field(description="The name or alias that matched.", examples=["DPRK"])
    strength: str | SkipJsonSchema[None] = Field(
        default=None, description="Strength of the matched name (`ambiguous` only)."
    )
    score: float | SkipJsonSchema[None] = Field(
        default=None, description="Similarity of the name, 0 to 100 (`no_match` only)."
    )


class ActorCandidates(BaseModel):
    """The actors one unresolved `actor` value could mean."""

    value: str = Field(description="The value as the request gave it.", examples=["Korea"])
    reason: Unresolved
    actors: list[CandidateActor]


class Problem(BaseModel):
    """An RFC 9457 problem document; every error this API sends has this shape.

    The optional members are sent by the answers named in their descriptions; they are
    declared so that generated clients type them instead of hiding them in a bag of extras.
    """

    model_config = ConfigDict(extra="allow")

    type: str = Field(examples=[PROBLEM_BASE + "validation-error"])
    title: str = Field(examples=["Invalid request"])
    status: int = Field(examples=[422])
    detail: str = Field(examples=["The request has 1 invalid field."])
    errors: list[FieldError] = Field(default_factory=list)
    candidates: list[ActorCandidates] | SkipJsonSchema[None] = Field(
        default=None,
        description="422 for an `actor` name that is ambiguous or unknown: what it could mean.",
    )
    current_etag: str | SkipJsonSchema[None] = Field(
        default=None,
        description="412 and 428: the ETag of the resource's current version.",
        examples=['"3f2a9c0d1e2b3c4d5e6f7a8b"'],
    )
    current_version: int | SkipJsonSchema[None] = Field(
        default=None, description="412 and 428: the resource's current version.", examples=[3]
    )
    source_id: str | SkipJsonSchema[None] = Field(
        default=None, description="409 on a source: the source that evidence still cites."
    )


class ProblemError(Exception):
    """Base of every error the API reports on purpose."""

    status = 400
    slug = "bad-request"
    title = "Bad request"

    def __init__(
        self,
        detail: str,
        *,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []
        self.headers = headers or {}
        self.extra = extra

    def to_problem(self) -> Problem:
        return Problem(
            type=PROBLEM_BASE + self.slug,
            title=self.title,
            status=self.status,
            detail=self.detail,
            errors=self.errors,
            **self.extra,
        )


class InvalidInput(ProblemError):
    status = 422
    slug = "validation-error"
    title = "Invalid request"

    @classmethod
    def at(cls, pointer: str, detail: str, **extra: Any) -> "InvalidInput":
        """One invalid body field, reported with its JSON pointer."""
        return cls(detail, errors=[FieldError(pointer=pointer, detail=detail)], **extra)

    @classmethod
    def parameter(cls, name: str, detail: str, **extra: Any) -> "InvalidInput":
        return cls(detail, errors=[FieldError(parameter=name, detail=detail)], **extra)


class BadRequest(ProblemError):
    status = 400
    slug = "bad-request"
    title = "Bad request"


class Unauthorized(ProblemError):
    status = 401
    slug = "unauthorized"
    title = "Unauthorized"


class Forbidden(ProblemError):
    status = 403
    slug = "forbidden"
    title = "Forbidden"


class NotFound(ProblemError):
    status = 404
    slug = "not-found"
    title = "Not found"


class Conflict(ProblemError):
    status = 409
    slug = "conflict"
    title = "Conflict"


class PreconditionFailed(ProblemError):
    status = 412
    slug = "precondition-failed"
    title = "Precondition failed"


class PreconditionRequired(ProblemError):
    status = 428
    slug = "precondition-required"
    title = "Precondition required"


class PayloadTooLarge(ProblemError):
    status = 413
    slug = "payload-too-large"
    title = "Request body too large"


class TooManyRequests(ProblemError):
    status = 429
    slug = "rate-limited"
    title = "Too many requests"


class ServiceBusy(ProblemError):
    status = 503
    slug = "busy"
    title = "Service busy"


def problem_response(problem: Problem, headers: dict[str, str] | None = None) -> Response:
    body = orjson.dumps(problem.model_dump(exclude_none=True))
    return Response(body, problem.status, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


def _pointer(loc: tuple[int | str, ...]) -> FieldError | None:
    """Map a pydantic error location to a pointer (body) or a parameter name."""
    if not loc:
        return None
    where, *path = loc
    if where == "body":
        escaped = [str(p).replace("~", "~0").replace("/", "~1") for p in path]
        return FieldError(pointer="/" + "/".join(escaped), detail="")
    return FieldError(parameter=str(path[0]) if path else str(where), detail="")


def _validation_detail(error: dict[str, Any]) -> str:
    message = str(error.get("msg", "Invalid value"))
    if error.get("type") == "extra_forbidden":
        return "Unknown field: this API rejects fields it does not define"
    return message


async def _on_problem(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, ProblemError)
    return problem_response(exc.to_problem(), exc.headers)


async def _on_validation(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = []
    for error in exc.errors():
        field = _pointer(tuple(error.get("loc", ()))) or FieldError(detail="")
        field.detail = _validation_detail(error)
        errors.append(field)
    count = len(errors)
    detail = f"The request has {count} invalid field{'s' if count != 1 else ''}."
    return problem_response(InvalidInput(detail, errors=errors).to_problem())


# The framework's own errors (no route for the path, a method the path does not have).
_FRAMEWORK_PROBLEMS = {
    400: ("bad-request", "Bad request", "The request could not be read."),
    404: ("not-found", "Not found", "No resource has this path."),
    405: (
        "method-not-allowed",
        "Method not allowed",
        "The path has no operation of this method; Allow lists those it has.",
    ),
}


def allowed_methods(request: Request) -> list[str]:
    """Every method the route table has for the request's path (HEAD wherever GET is)."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        if getattr(route, "methods", None) and route.matches(request.scope)[0] != Match.NONE:
            methods |= route.methods
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


async def _on_http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(allowed_methods(request))
    slug, title, detail = _FRAMEWORK_PROBLEMS.get(
        exc.status_code, ("http-error", "Request failed", str(exc.detail))
    )
    problem = Problem(
        type=PROBLEM_BASE + slug,
        title=title,
        status=exc.status_code,
        detail=detail,
    )
    return problem_response(problem, headers)


async def _on_operational(request: Request, exc: Exception) -> Response:
    # SQLite's busy timeout ran out, or PostgreSQL could not get a lock: try again soon.
    if "locked" in str(exc).lower() or "lock" in str(getattr(exc, "orig", "")).lower():
        busy = ServiceBusy(
            "The database is busy with other writes; retry shortly.",
            headers={"Retry-After": "1"},
        )
        return await _on_problem(request, busy)
    return await _on_crash(request, exc)


def log_crash(method: str, path: str, exc: BaseException) -> None:
    logger.error("unhandled error on %s %s", method, path, exc_info=exc)


def server_error() -> Response:
    """The answer to a bug: a 500 problem that says nothing of the internals."""
    problem = Problem(
        type=PROBLEM_BASE + "server-error",
        title="Server error",
        status=500,
        detail="The server failed to handle this request; it has been logged.",
    )
    return problem_response(problem)


async def _on_crash(request: Request, exc: Exception) -> Response:
    log_crash(request.method, request.url.path, exc)
    return server_error()


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ProblemError, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(OperationalError, _on_operational)
    app.add_exception_handler(Exception, _on_crash)
