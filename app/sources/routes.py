"""HTTP for sources: parse, call the service, answer."""

from typing import Annotated

from fastapi import Body, Query, Request, Response

from app.db import EngineDep, SessionDep, run_read
from app.errors import InvalidInput, NotFound
from app.http import (
    MERGE_PATCH_MEDIA_TYPE,
    IfMatchHeader,
    IfNoneMatchHeader,
    conditional,
    digest_etag,
    dumps,
    json_response,
)
from app.keys.auth import CALLER, Analyst, Reviewer
from app.listings import answer_listing
from app.models import EntityType
from app.pagination import CursorQuery, LimitQuery
from app.revisions.history import add_history_route
from app.routing import READ_PROBLEMS, IdPath, SettingsDep, problems, resource_router
from app.sources import service
from app.sources.schemas import SourceCreate, SourcePage, SourcePatch, SourceRead, SourceText

router = resource_router("/v1/sources", "sources", [CALLER])


def _answer(read: SourceRead, status: int = 200) -> Response:
    headers = {"Location": f"/v1/sources/{read.id}"} if status == 201 else None
    etag = service.source_etag(read.id, read.version)
    return json_response(dumps(read.model_dump(mode="json")), etag, status=status, headers=headers)


@router.post(
    "",
    status_code=201,
    response_model=SourceRead,
    summary="Create a source",
    description="The held text is what evidence offsets count in (code points); its kind "
    "must be a term of the `source_kind` vocabulary. The same URL or held text as another "
    "source is a 409 pointing at it (send `allow_duplicate_source`). Needs an analyst key.",
    responses=problems(401, 403, 409, 413, 503),
)
def create(body: SourceCreate, session: SessionDep, analyst: Analyst) -> Response:
    source = service.create_source(session, body, who=analyst.author)
    return _answer(service.to_read(source), 201)


@router.get(
    "",
    name="list",
    response_model=SourcePage,
    summary="List sources (without their text)",
    description="Sources in id order, keyset-paginated, with the length and SHA-256 of their held "
    "text but not the text itself (`GET /v1/sources/{id}` has it).",
    responses=READ_PROBLEMS,
)
async def list_sources(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    if_none_match: IfNoneMatchHeader = None,
    kind: Annotated[
        str | None, Query(max_length=64, description="Only sources of this kind.")
    ] = None,
    limit: int = LimitQuery,
    cursor: str | None = CursorQuery,
) -> Response:
    listing = service.source_listing(settings.cursor_secret, limit, cursor, kind)
    return await answer_listing(request, engine, if_none_match, listing)


@router.get(
    "/{source_id}",
    response_model=SourceRead,
    summary="Get a source with its text",
    description="The source's citation fields and the whole held text; `GET /v1/sources/{id}/text` "
    "serves a passage.",
    responses={**READ_PROBLEMS, **problems(404)},
)
async def get(
    source_id: IdPath, engine: EngineDep, if_none_match: IfNoneMatchHeader = None
) -> Response:
    read = await run_read(engine, lambda connection: service.fetch_source(connection, source_id))
    if read is None:
        raise NotFound(f"No source with id {source_id!r}.")
    etag = service.source_etag(read.id, read.version)
    return conditional(if_none_match, etag) or _answer(read)


@router.get(
    "/{source_id}/text",
    response_model=SourceText,
    summary="Get a passage of a source's held text",
    description="`text[start:end]` in code points, as evidence offsets count them.",
    responses={**READ_PROBLEMS, **problems(404)},
)
async def get_text(
    source_id: IdPath,
    engine: EngineDep,
    if_none_match: IfNoneMatchHeader = None,
    start: Annotated[int, Query(ge=0, description="First code point of the passage.")] = 0,
    end: Annotated[int | None, Query(ge=1, description="Defaults to the end of the text.")] = None,
) -> Response:
    read = await run_read(engine, lambda connection: service.fetch_source(connection, source_id))
    if read is None:
        raise NotFound(f"No source with id {source_id!r}.")
    stop = len(read.text) if end is None else end
    if stop > len(read.text) or stop <= start:
        raise InvalidInput.parameter(
            "end", f"Need start < end <= {len(read.text)} (the text's length); got {start}, {stop}."
        )
    passage = SourceText(source_id=read.id, start=start, end=stop, text=read.text[start:stop])
    etag = digest_etag(service.source_etag(read.id, read.version), start, stop)
    return conditional(if_none_match, etag) or json_response(
        passage.model_dump_json().encode(), etag
    )


@router.patch(
    "/{source_id}",
    response_model=SourceRead,
    summary="Update a source (JSON Merge Patch)",
    description="The held text cannot change while evidence cites it (409).",
    responses=problems(401, 403, 404, 409, 412, 413, 428, 503),
)
def update(
    source_id: IdPath,
    patch: Annotated[SourcePatch, Body(media_type=MERGE_PATCH_MEDIA_TYPE)],
    session: SessionDep,
    analyst: Analyst,
    if_match: IfMatchHeader = None,
) -> Response:
    source = service.update_source(session, source_id, patch, if_match, who=analyst.author)
    return _answer(service.to_read(source))


@router.delete(
    "/{source_id}",
    status_code=204,
    summary="Delete a source no evidence cites",
    description="Answers 409 while any claim's evidence cites the source; the deletion is "
    "recorded in "
    "the change feed with the source as it was.",
    responses=problems(401, 403, 404, 409, 412, 428, 503),
)
def delete(
    source_id: IdPath, session: SessionDep, reviewer: Reviewer, if_match: IfMatchHeader = None
) -> Response:
    service.delete_source(session, source_id, if_match, who=reviewer.author)
    return Response(status_code=204)


add_history_route(router, EntityType.source, "source")
