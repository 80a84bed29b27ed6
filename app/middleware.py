"""Middleware and the route class that guard every request."""

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import FieldError, InvalidInput, PayloadTooLarge, problem_response

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


def _query_names(dependant: Dependant) -> set[str]:
    names = {param.alias for param in dependant.query_params}
    for sub_dependant in dependant.dependencies:
        names |= _query_names(sub_dependant)
    return names


class StrictQueryRoute(APIRoute):
    """A route that refuses query parameters it does not declare (422).

    A typo such as `actr=` must be an error, never a silently unfiltered answer. The check
    wraps the handler instead of being a dependency: solving one more dependency on every
    request costs more than the check itself.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        declared = frozenset(_query_names(self.dependant))

        async def strict_handler(request: Request) -> Response:
            if request.scope["query_string"]:
                unknown = sorted(set(request.query_params) - declared)
                if unknown:
                    raise _unknown_parameters(unknown)
            return await handler(request)

        return strict_handler


def _unknown_parameters(unknown: list[str]) -> InvalidInput:
    return InvalidInput(
        f"Unknown query parameter{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}.",
        errors=[
            FieldError(parameter=name, detail="Unknown query parameter for this operation")
            for name in unknown
        ],
    )
