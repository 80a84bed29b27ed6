"""HTTP for actors: parse, call the service, answer."""

from typing import Annotated

from fastapi import APIRouter, Body, Query, Response
from fastapi.responses import RedirectResponse
from sqlalchemy import Connection

from app.actors import service
from app.actors.schemas import ActorCreate, ActorMerge, ActorPage, ActorPatch, ActorRead
from app.db import EngineDep, SessionDep, run_read
from app.errors import NotFound
from app.http import (
    MERGE_PATCH_MEDIA_TYPE,
    IfMatchHeader,
    IfNoneMatchHeader,
    conditional,
    digest_etag,
    dumps,
    json_response,
)
from app.pagination import CursorQuery, LimitQuery
from app.revisions.service import current_sequence
from app.routing import READ_PROBLEMS, IdPath, SettingsDep, problems

router = APIRouter(prefix="/v1/actors", tags=["actors"])


def _answer(read: ActorRead, status: int = 200) -> Response:
    headers = {"Location": f"/v1/actors/{read.id}"} if status == 201 else None
    etag = service.actor_etag(read.id, read.version)
    return json_response(dumps(read.model_dump(mode="json")), etag, status=status, headers=headers)


@router.post(
    "",
    status_code=201,
    response_model=ActorRead,
    summary="Create an actor",
    responses=problems(413, 503),
)
def create(body: ActorCreate, session: SessionDep) -> Response:
    return _answer(service.create_actor(session, body, who=None), 201)


@router.get(
    "",
    name="list",
    response_model=ActorPage,
    summary="List actors, optionally by name or alias",
    responses=READ_PROBLEMS,
)
async def list_actors(
    engine: EngineDep,
    settings: SettingsDep,
    if_none_match: IfNoneMatchHeader = None,
    q: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=300,
            description="Words of a name or alias; case, accents, punctuation and word "
            "order do not matter.",
        ),
    ] = None,
    limit: int = LimitQuery,
    cursor: str | None = CursorQuery,
) -> Response:
    def query(connection: Connection) -> Response:
        etag = digest_etag("actors", current_sequence(connection), q, limit, cursor)
        if not_modified := conditional(if_none_match, etag):
            return not_modified
        page = service.list_actors(connection, settings.cursor_secret, limit, cursor, q)
        return json_response(page.model_dump_json().encode(), etag)

    return await run_read(engine, query)


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
    responses=problems(404, 409, 412, 413, 428, 503),
)
def update(
    actor_id: IdPath,
    patch: Annotated[ActorPatch, Body(media_type=MERGE_PATCH_MEDIA_TYPE)],
    session: SessionDep,
    if_match: IfMatchHeader = None,
) -> Response:
    return _answer(service.update_actor(session, actor_id, patch, if_match, who=None))


@router.post(
    "/{actor_id}/merge",
    response_model=ActorRead,
    summary="Merge an actor into another",
    description="The survivor gains the merged actor's name, aliases and external ids; claims "
    "and instruments naming the merged actor now name the survivor. The merged id then "
    "answers 308. `If-Match` carries the merged actor's ETag.",
    responses=problems(404, 409, 412, 428, 503),
)
def merge(
    actor_id: IdPath, body: ActorMerge, session: SessionDep, if_match: IfMatchHeader = None
) -> Response:
    return _answer(service.merge_actor(session, actor_id, body, if_match, who=None))
