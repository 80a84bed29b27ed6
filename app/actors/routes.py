"""HTTP for actors: parse, call the service, answer."""

from typing import Annotated

from fastapi import Body, Query, Request, Response
from fastapi.responses import RedirectResponse

from app.actors import service
from app.actors.schemas import ActorCreate, ActorMerge, ActorPage, ActorPatch, ActorRead
from app.claims.params import TimelineParams
from app.claims.schemas import TimelinePage
from app.claims.timeline import timeline_listing
from app.db import EngineDep, SessionDep, run_read
from app.errors import InvalidInput, NotFound
from app.http import (
    MERGE_PATCH_MEDIA_TYPE,
    IfMatchHeader,
    IfNoneMatchHeader,
    conditional,
    dumps,
    json_response,
)
from app.keys.auth import CALLER, Analyst, ReadCaller, Reviewer, drafts_asked
from app.listings import answer_listing
from app.models import EntityType
from app.pagination import CursorQuery, LimitQuery
from app.revisions.history import add_history_route
from app.routing import READ_PROBLEMS, IdPath, SettingsDep, problems, resource_router

router = resource_router("/v1/actors", "actors", [CALLER])
# scheme (a vocabulary term) and value, e.g. `ofac:20157`.
# `scheme:value`, as long as `_external_id` allows: a scheme of up to 32 characters, a value
# of up to 100.
EXTERNAL_ID_PATTERN = r"^[a-z][a-z0-9_]{0,31}:\S.{0,99}$"


def _answer(read: ActorRead, status: int = 200) -> Response:
    headers = {"Location": f"/v1/actors/{read.id}"} if status == 201 else None
    etag = service.actor_etag(read.id, read.version)
    return json_response(dumps(read.model_dump(mode="json")), etag, status=status, headers=headers)


def _external_id(text: str | None) -> tuple[str, str] | None:
    if text is None:
        return None
    scheme, _, value = text.partition(":")
    if len(scheme) > 32 or len(value) > 100:
        raise InvalidInput.parameter(
            "external_id", "The scheme has at most 32 characters, the value at most 100."
        )
    return scheme, value


@router.post(
    "",
    status_code=201,
    response_model=ActorRead,
    summary="Create an actor",
    description="Its kind must be a term of the `actor_kind` vocabulary; a name or strong "
    "alias that another actor holds is a 409 listing them (send `allow_duplicate_name`), "
    "after every 422 problem of the body. Needs an analyst key.",
    responses=problems(401, 403, 409, 413, 503),
)
def create(body: ActorCreate, session: SessionDep, analyst: Analyst) -> Response:
    return _answer(service.create_actor(session, body, who=analyst.author), 201)


@router.get(
    "",
    name="list",
    response_model=ActorPage,
    summary="List actors, optionally by name, alias or external id",
    description="Actors in id order, keyset-paginated. With `q`, those whose name or alias matches "
    "(case, accents and punctuation do not matter), each with the name it `matched` by; "
    "with `external_id`, the actor holding that id.",
    responses={**READ_PROBLEMS, **problems(400)},
)
async def list_actors(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    if_none_match: IfNoneMatchHeader = None,
    q: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=300,
            description="Words that one name or alias of the actor contains (`kor` finds "
            "Korea); case, accents, apostrophes, punctuation and word order do not matter. "
            "Each item's `matched` says which name matched.",
        ),
    ] = None,
    external_id: Annotated[
        str | None,
        Query(
            min_length=3,
            max_length=140,
            pattern=EXTERNAL_ID_PATTERN,
            description="An external id as `scheme:value`, e.g. `ofac:20157` or `un_sc:KPi.076`.",
            examples=["ofac:20157"],
        ),
    ] = None,
    limit: int = LimitQuery,
    cursor: str | None = CursorQuery,
) -> Response:
    wanted = service.ActorQuery(q=q, external_id=_external_id(external_id))

    listing = service.actor_listing(settings.cursor_secret, limit, cursor, wanted)
    return await answer_listing(request, engine, if_none_match, listing)


@router.get(
    "/{actor_id}",
    response_model=ActorRead,
    summary="Get an actor",
    description="A merged actor answers 308 with the survivor's URL in `Location`.",
    responses={
        **READ_PROBLEMS,
        308: {"description": "Merged into the actor at `Location`"},
        **problems(404),
    },
)
async def get(
    actor_id: IdPath, engine: EngineDep, if_none_match: IfNoneMatchHeader = None
) -> Response:
    read = await run_read(engine, lambda connection: service.fetch_actor(connection, actor_id))
    if read is None:
        raise NotFound(f"No actor with id {actor_id!r}.")
    if read.merged_into_id:
        return RedirectResponse(f"/v1/actors/{read.merged_into_id}", status_code=308)
    etag = service.actor_etag(read.id, read.version)
    return conditional(if_none_match, etag) or _answer(read)


@router.patch(
    "/{actor_id}",
    response_model=ActorRead,
    summary="Update an actor (JSON Merge Patch)",
    description="Absent fields stay; `aliases` and `external_ids` are replaced whole, `null` "
    "empties "
    "them; `kind` and `name` cannot be cleared. A merged actor cannot be edited (409). "
    "Claims embedding the actor are refreshed with its new name.",
    responses=problems(401, 403, 404, 409, 412, 413, 428, 503),
)
def update(
    actor_id: IdPath,
    patch: Annotated[ActorPatch, Body(media_type=MERGE_PATCH_MEDIA_TYPE)],
    session: SessionDep,
    analyst: Analyst,
    if_match: IfMatchHeader = None,
) -> Response:
    return _answer(service.update_actor(session, actor_id, patch, if_match, who=analyst.author))


@router.post(
    "/{actor_id}/merge",
    response_model=ActorRead,
    summary="Merge an actor into another",
    description="The survivor gains the merged actor's name, aliases and external ids; claims "
    "and instruments naming the merged actor now name the survivor. The merged id then "
    "answers 308. `If-Match` carries the merged actor's ETag.",
    responses=problems(401, 403, 404, 409, 412, 428, 503),
)
def merge(
    actor_id: IdPath,
    body: ActorMerge,
    session: SessionDep,
    reviewer: Reviewer,
    if_match: IfMatchHeader = None,
) -> Response:
    return _answer(service.merge_actor(session, actor_id, body, if_match, who=reviewer.author))


@router.get(
    "/{actor_id}/timeline",
    response_model=TimelinePage,
    summary="An actor's claims in date order",
    description="The claims naming the actor (a merged actor's id gives its survivor's "
    "timeline), each placed by its earliest date of the asked kinds (all kinds by default) "
    "and carrying that date; claims without such a date are left out. Ties are in id order.",
    responses={**READ_PROBLEMS, **problems(400, 404)},
)
async def timeline(
    request: Request,
    actor_id: IdPath,
    engine: EngineDep,
    settings: SettingsDep,
    params: Annotated[TimelineParams, Query()],
    caller: ReadCaller,
    if_none_match: IfNoneMatchHeader = None,
) -> Response:
    drafts = drafts_asked(caller, params.status)
    listing = timeline_listing(settings.cursor_secret, actor_id, params)
    return await answer_listing(request, engine, if_none_match, listing, public=not drafts)


add_history_route(router, EntityType.actor, "actor")
