"""What every router shares: documented error responses, path ids, settings access."""

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.routing import APIRoute

from app.errors import PROBLEM_MEDIA_TYPE, Problem
from app.middleware import StrictQueryRoute
from app.models.base import ID_LENGTH
from app.settings import Settings

_DESCRIPTIONS = {
    400: "Bad request, such as a cursor that does not belong to this query",
    401: "No valid API key: send `Authorization: Bearer <key>` (see WWW-Authenticate)",
    403: "The key's role may not do this",
    404: "No such resource",
    409: "The change conflicts with the resource's state",
    412: "The resource changed since the ETag sent in If-Match",
    413: "Request body too large",
    422: "Invalid request: `errors` has a JSON pointer (body) or parameter name per problem",
    428: "If-Match is required for this write",
    503: "The database is busy; retry after `Retry-After` seconds",
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI responses for the problem statuses an operation can answer."""
    return {
        status: {
            "model": Problem,
            "description": _DESCRIPTIONS[status],
            "content": {PROBLEM_MEDIA_TYPE: {}},
        }
        for status in sorted({*statuses, 422})
    }


NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified: the ETag in If-None-Match is still current"}
}
READ_PROBLEMS = {**NOT_MODIFIED, **problems()}
WRITE_PROBLEMS = problems(404, 412, 413, 428, 503)


async def get_settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings_of)]
IdPath = Annotated[str, Path(min_length=1, max_length=ID_LENGTH, description="The resource's id.")]


def resource_router(prefix: str, tag: str, dependencies: Sequence[Any] = ()) -> APIRouter:
    """The router of one resource family: one tag, `{tag}_{verb}` operation ids, and
    routes that refuse unknown query parameters."""
    return APIRouter(
        prefix=prefix,
        tags=[tag],
        route_class=StrictQueryRoute,
        generate_unique_id_function=operation_id,
        dependencies=list(dependencies),
    )


def operation_id(route: APIRoute) -> str:
    """Stable `{tag}_{verb}` operation ids, e.g. `claims_list`."""
    return f"{route.tags[0]}_{route.name}"
