"""Middleware and the route class that guard every request."""

from collections.abc import Callable, Coroutine
from types import UnionType
from typing import Any, Union, get_args, get_origin

from fastapi import Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.bodies import check_media_type, parse_json
from app.errors import FieldError, InvalidInput, PayloadTooLarge, problem_response
from app.fields import NUL, NUL_REFUSED

BODYLESS_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class BodySizeLimit:
    """413 problem for bodies over the limit, declared (Content-Length) or streamed.

    Starlette's own limit answers in text/plain; ours keeps the one error shape.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _too_large(self) -> PayloadTooLarge:
        return PayloadTooLarge(f"Request bodies are limited to {self.max_bytes} bytes.")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in BODYLESS_METHODS:
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None:
            # The server enforces Content-Length framing, so the declared size is the size.
            if declared.isdigit() and int(declared) > self.max_bytes:
                await problem_response(self._too_large().to_problem())(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        # A streamed body: read it (up to the limit) before the app sees any of it.
        chunks: list[bytes] = []
        size = 0
        more_body = True
        while more_body:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            more_body = message.get("more_body", False)
            if size > self.max_bytes:
                await problem_response(self._too_large().to_problem())(scope, receive, send)
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}

        await self.app(scope, replay, send)


def _query_parameters(dependant: Dependant) -> dict[str, bool]:
    """Every query parameter a route declares, by name: True for one that may repeat.
    A query-parameter model (`Annotated[Model, Query()]`) declares its fields."""
    declared: dict[str, bool] = {}
    for param in dependant.query_params:
        annotation = param.field_info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            for name, field in annotation.model_fields.items():
                declared[field.alias or name] = _repeats(field.annotation)
        else:
            declared[param.alias] = _repeats(annotation)
    for sub_dependant in dependant.dependencies:
        declared |= _query_parameters(sub_dependant)
    return declared


def _repeats(annotation: Any) -> bool:
    """Whether a parameter of this type takes several values (`list[X]`, `list[X] | None`)."""
    if get_origin(annotation) in (list, tuple, set, frozenset):
        return True
    return (
        any(_repeats(member) for member in get_args(annotation) if member is not type(None))
        if get_origin(annotation) in (Union, UnionType)
        else False
    )


def _concrete_paths(app: Any) -> frozenset[str]:
    """The app's route paths without parameters, read once from its route table."""
    paths: frozenset[str] | None = getattr(app.state, "concrete_paths", None)
    if paths is None:
        paths = frozenset(
            route.path
            for route in app.router.routes
            if not getattr(route, "param_convertors", {}) and hasattr(route, "path")
        )
        app.state.concrete_paths = paths
    return paths


class StrictQueryRoute(APIRoute):
    """A route that refuses query parameters it does not declare, single-valued ones given
    more than once, and NUL characters in any path or query parameter (422); and, when it
    takes a body, bodies of another media type (415) or that do not parse (400), before the
    body's schema is checked (app/bodies.py).

    A typo such as `actr=` must be an error, never a silently unfiltered answer; so must
    `limit=1&limit=2`, where one value would silently win. The check wraps the handler
    instead of being a dependency: solving one more dependency on every request costs more
    than the check itself.
    """

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        # A concrete path is matched before the templates it also fits, as OpenAPI says:
        # `/v1/claims/transitions` is not a `/v1/claims/{claim_id}`, so PATCH there is a 405
        # whose Allow lists that path's own methods.
        app = scope.get("app")  # absent from the scopes app.fastpath builds to find a route
        if self.param_convertors and app is not None and scope["path"] in _concrete_paths(app):
            return Match.NONE, {}
        return super().matches(scope)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        parameters = _query_parameters(self.dependant)
        declared = frozenset(parameters)
        single = frozenset(name for name, repeats in parameters.items() if not repeats)
        # FastAPI's Body() info carries the media type the operation documents.
        accepted: str | None = (
            getattr(self.body_field.field_info, "media_type", None) if self.body_field else None
        )

        async def strict_handler(request: Request) -> Response:
            _refuse_nul(request)
            if request.scope["query_string"]:
                given = request.query_params
                unknown = sorted(set(given) - declared)
                if unknown:
                    raise _unknown_parameters(unknown)
                repeated = sorted(
                    name for name in single & set(given) if len(given.getlist(name)) > 1
                )
                if repeated:
                    raise _repeated_parameters(repeated)
            if accepted is not None:
                check_media_type(request, accepted)
                await parse_json(request)
            return await handler(request)

        return strict_handler


def _refuse_nul(request: Request) -> None:
    """No text we hold has a NUL, and PostgreSQL cannot compare with one: refuse it in every
    parameter at once, before any is parsed (body fields: app.fields.RequestModel)."""
    given = [*request.path_params.items(), *request.query_params.multi_items()]
    holding = sorted({name for name, value in given if NUL in name or NUL in value})
    if holding:
        raise InvalidInput(
            NUL_REFUSED,
            errors=[
                FieldError(parameter=name.replace(NUL, "\\0"), detail=NUL_REFUSED)
                for name in holding
            ],
        )


def _repeated_parameters(repeated: list[str]) -> InvalidInput:
    return InvalidInput(
        f"Query parameter{'s' if len(repeated) > 1 else ''} given more than once: "
        f"{', '.join(repeated)}; {'they take' if len(repeated) > 1 else 'it takes'} one value.",
        errors=[
            FieldError(parameter=name, detail="This parameter takes one value, not several")
            for name in repeated
        ],
    )


# Parameters some operations take and others do not take yet: their refusal says so.
NOT_HERE_YET = {
    "as_of": "This operation does not support as_of yet: the claim list and a claim read "
    "the past (GET /v1/claims, GET /v1/claims/{claim_id}); facets, timelines and the other "
    "reads answer the present.",
}


def _unknown_parameters(unknown: list[str]) -> InvalidInput:
    details = [
        NOT_HERE_YET.get(name, "Unknown query parameter for this operation") for name in unknown
    ]
    title = f"Unknown query parameter{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}."
    return InvalidInput(
        details[0] if len(unknown) == 1 and unknown[0] in NOT_HERE_YET else title,
        errors=[
            FieldError(parameter=name, detail=detail)
            for name, detail in zip(unknown, details, strict=True)
        ],
    )


class HeadAsGet:
    """HEAD is the GET of the same resource without its body (RFC 9110 §9.3.2): the same
    status and headers, ETag and Content-Length included, by construction, since the GET
    answers it. A path without GET answers HEAD with the same 405 as GET."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        # A copy: the server reads the method of its own scope to frame the answer (no
        # body after a HEAD). The route that answered is handed back to the layers outside,
        # which label the request with its template.
        as_get = {**scope, "method": "GET"}
        try:
            await self.app(as_get, receive, without_body)
        finally:
            for recorded in ("route", "endpoint"):
                if recorded in as_get:
                    scope[recorded] = as_get[recorded]
