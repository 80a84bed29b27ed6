"""HTTP for claims: parse, call the service or query, answer."""

from typing import Annotated

from fastapi import APIRouter, Body, Query, Response
from sqlalchemy import Connection

from app.claims import queries, service
from app.claims.schemas import ClaimCreate, ClaimPage, ClaimPatch, ClaimRead, ClaimRetract
from app.db import EngineDep, SessionDep, run_read
from app.errors import NotFound
from app.http import (
    MERGE_PATCH_MEDIA_TYPE,
    IfMatchHeader,
    IfNoneMatchHeader,
    conditional,
    digest_etag,
    json_response,
)
from app.models import Claim, ClaimStatus, EntityType
from app.pagination import CursorQuery, LimitQuery
from app.revisions import service as revisions
from app.revisions.schemas import RevisionPage
from app.routing import READ_PROBLEMS, IdPath, SettingsDep, problems

router = APIRouter(prefix="/v1/claims", tags=["claims"])

WRITE_PROBLEMS = problems(404, 412, 413, 428, 503)


def _answer(claim: Claim, status: int = 200) -> Response:
    headers = {"Location": f"/v1/claims/{claim.id}"} if status == 201 else None
    return json_response(claim.document.encode(), claim.etag, status=status, headers=headers)


@router.post(
    "",
    status_code=201,
    response_model=ClaimRead,
    summary="Create a claim with its actors, dates, evidence, instruments and relations",
    description="Each evidence quote must equal `text[start:end]` of its source's held text "
    "(code points); every problem of the body is reported in one 422 and nothing is written.",
    responses=problems(413, 503),
)
def create(body: ClaimCreate, session: SessionDep) -> Response:
    return _answer(service.create_claim(session, body, who=None), 201)


@router.get(
    "", name="list", response_model=ClaimPage, summary="List claims", responses=READ_PROBLEMS
)
async def list_claims(
    engine: EngineDep,
    settings: SettingsDep,
    if_none_match: IfNoneMatchHeader = None,
    status: Annotated[
        list[ClaimStatus] | None,
        Query(description="Repeatable. Default: published and disputed."),
    ] = None,
    predicate: Annotated[list[str] | None, Query(max_length=20, description="Repeatable.")] = None,
    limit: int = LimitQuery,
    cursor: str | None = CursorQuery,
) -> Response:
    filters = queries.ClaimFilters(
        status=tuple(sorted(set(status))) if status else queries.DEFAULT_STATUSES,
        predicate=tuple(sorted(set(predicate or []))),
    )

    def query(connection: Connection) -> Response:
        etag = digest_etag(
            "claims", revisions.current_sequence(connection), filters.scope(), limit, cursor
        )
        if not_modified := conditional(if_none_match, etag):
            return not_modified
        body = queries.list_documents(connection, settings.cursor_secret, filters, limit, cursor)
        return json_response(body, etag)

    return await run_read(engine, query)


@router.get(
    "/{claim_id}",
    response_model=ClaimRead,
    summary="Get a claim with everything it embeds",
    responses={**READ_PROBLEMS, **problems(404)},
)
async def get(
    claim_id: IdPath, engine: EngineDep, if_none_match: IfNoneMatchHeader = None
) -> Response:
    found = await run_read(engine, lambda connection: queries.fetch_document(connection, claim_id))
    if found is None:
        raise NotFound(f"No claim with id {claim_id!r}.")
    document, etag = found
    return conditional(if_none_match, etag) or json_response(document.encode(), etag)


@router.patch(
    "/{claim_id}",
    response_model=ClaimRead,
    summary="Update a claim (JSON Merge Patch; lists are replaced whole)",
    responses=WRITE_PROBLEMS,
)
def update(
    claim_id: IdPath,
    patch: Annotated[ClaimPatch, Body(media_type=MERGE_PATCH_MEDIA_TYPE)],
    session: SessionDep,
    if_match: IfMatchHeader = None,
) -> Response:
    return _answer(service.update_claim(session, claim_id, patch, if_match, who=None))


@router.post(
    "/{claim_id}/retract",
    response_model=ClaimRead,
    summary="Retract a claim, with the reason",
    responses=WRITE_PROBLEMS,
)
def retract(
    claim_id: IdPath, body: ClaimRetract, session: SessionDep, if_match: IfMatchHeader = None
) -> Response:
    return _answer(service.retract_claim(session, claim_id, body, if_match, who=None))


@router.get(
    "/{claim_id}/revisions",
    response_model=RevisionPage,
    summary="A claim's revisions, oldest first, with full snapshots",
    responses={**READ_PROBLEMS, **problems(404)},
)
async def list_revisions(
    claim_id: IdPath,
    engine: EngineDep,
    settings: SettingsDep,
    if_none_match: IfNoneMatchHeader = None,
    limit: int = LimitQuery,
    cursor: str | None = CursorQuery,
) -> Response:
    def query(connection: Connection) -> Response:
        found = queries.fetch_document(connection, claim_id)
        if found is None:
            raise NotFound(f"No claim with id {claim_id!r}.")
        etag = digest_etag("revisions", found[1], limit, cursor)
        if not_modified := conditional(if_none_match, etag):
            return not_modified
        page = revisions.list_revisions(
            connection, settings.cursor_secret, EntityType.claim, claim_id, limit, cursor
        )
        return json_response(page.model_dump_json().encode(), etag)

    return await run_read(engine, query)
