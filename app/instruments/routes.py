"""HTTP for legal instruments: parse, call the service, answer."""

from typing import Annotated

from fastapi import Body, Query, Request, Response

from app.db import EngineDep, SessionDep, run_read
from app.errors import NotFound
from app.http import (
    MERGE_PATCH_MEDIA_TYPE,
    IfMatchHeader,
    IfNoneMatchHeader,
    conditional,
    dumps,
    json_response,
)
from app.instruments import service
from app.instruments.schemas import (
    InstrumentCreate,
    InstrumentPage,
    InstrumentPatch,
    InstrumentRead,
)
from app.keys.auth import CALLER, Analyst
from app.listings import answer_listing
from app.models import EntityType
from app.pagination import CursorQuery, LimitQuery
from app.revisions.history import add_history_route
from app.routing import READ_PROBLEMS, IdPath, SettingsDep, problems, resource_router

router = resource_router("/v1/instruments", "instruments", [CALLER])


def _answer(read: InstrumentRead, status: int = 200) -> Response:
    headers = {"Location": f"/v1/instruments/{read.id}"} if status == 201 else None
    etag = service.instrument_etag(read.id, read.version)
    return json_response(dumps(read.model_dump(mode="json")), etag, status=status, headers=headers)


@router.post(
    "",
    status_code=201,
    response_model=InstrumentRead,
    summary="Create a legal instrument",
    description="The symbol is unique once spaces and case are ignored (409 when taken); "
    "`issuer_id`, when given, must name an actor. Needs an analyst key.",
    responses=problems(401, 403, 409, 413, 503),
)
def create(body: InstrumentCreate, session: SessionDep, analyst: Analyst) -> Response:
    instrument = service.create_instrument(session, body, who=analyst.author)
    return _answer(service.to_read(instrument), 201)


@router.get(
    "",
    name="list",
    response_model=InstrumentPage,
    summary="List legal instruments",
    description="Instruments in id order, keyset-paginated; `symbol` finds one by its exact "
    "symbol.",
    responses=READ_PROBLEMS,
)
async def list_instruments(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    if_none_match: IfNoneMatchHeader = None,
    symbol: Annotated[
        str | None,
        Query(
            max_length=100,
            description="The symbol, spaces and case aside: `S/RES/2397(2017)` finds "
            "`S/RES/2397 (2017)`.",
        ),
    ] = None,
    limit: int = LimitQuery,
    cursor: str | None = CursorQuery,
) -> Response:
    listing = service.instrument_listing(settings.cursor_secret, limit, cursor, symbol)
    return await answer_listing(request, engine, if_none_match, listing)


@router.get(
    "/{instrument_id}",
    response_model=InstrumentRead,
    summary="Get a legal instrument",
    description="The instrument with its adoption date and that date's precision.",
    responses={**READ_PROBLEMS, **problems(404)},
)
async def get(
    instrument_id: IdPath, engine: EngineDep, if_none_match: IfNoneMatchHeader = None
) -> Response:
    read = await run_read(engine, lambda c: service.fetch_instrument(c, instrument_id))
    if read is None:
        raise NotFound(f"No instrument with id {instrument_id!r}.")
    etag = service.instrument_etag(read.id, read.version)
    return conditional(if_none_match, etag) or _answer(read)


@router.patch(
    "/{instrument_id}",
    response_model=InstrumentRead,
    summary="Update a legal instrument (JSON Merge Patch)",
    description="Absent fields stay, `null` clears an optional field; `symbol` cannot be "
    "cleared. Claims citing the instrument are refreshed when its symbol or title changes.",
    responses=problems(401, 403, 404, 409, 412, 413, 428, 503),
)
def update(
    instrument_id: IdPath,
    patch: Annotated[InstrumentPatch, Body(media_type=MERGE_PATCH_MEDIA_TYPE)],
    session: SessionDep,
    analyst: Analyst,
    if_match: IfMatchHeader = None,
) -> Response:
    instrument = service.update_instrument(
        session, instrument_id, patch, if_match, who=analyst.author
    )
    return _answer(service.to_read(instrument))


add_history_route(router, EntityType.instrument, "instrument")
