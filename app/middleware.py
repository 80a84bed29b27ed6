"""App-wide dependencies that guard every request."""

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from app.errors import FieldError, InvalidInput


def _query_names(dependant: Dependant) -> set[str]:
    names = {param.alias for param in dependant.query_params}
    for sub_dependant in dependant.dependencies:
        names |= _query_names(sub_dependant)
    return names


_declared: dict[int, frozenset[str]] = {}


def _declared_query_parameters(route: APIRoute) -> frozenset[str]:
    # Routes live as long as the app and are not hashable: key them by identity.
    if id(route) not in _declared:
        _declared[id(route)] = frozenset(_query_names(route.dependant))
    return _declared[id(route)]


async def reject_unknown_query_parameters(request: Request) -> None:
    """A typo such as `actr=` is a 422, never a silently unfiltered answer."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    unknown = sorted(set(request.query_params) - _declared_query_parameters(route))
    if unknown:
        raise InvalidInput(
            f"Unknown query parameter{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}.",
            errors=[
                FieldError(parameter=name, detail="Unknown query parameter for this operation")
                for name in unknown
            ],
        )
