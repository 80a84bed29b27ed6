"""HTTP for claims: parse, call the service or query, answer."""

from typing import Annotated

from fastapi import Body, Query, Request, Response
from sqlalchemy import Connection

from app.claims import queries, service
from app.claims.evidence import fetch_evidence
from app.claims.facets import facet_listing
from app.claims.params import ClaimFilterParams, ClaimListParams
from app.claims.schemas import (
    EVIDENCE_CONTEXT,
    ClaimCreate,
    ClaimEvidence,
    ClaimFacets,
    ClaimPage,
    ClaimPatch,
    ClaimRead,
    ClaimRetract,
)
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
from app.listings import answer_listing
from app.models import Claim, EntityType
from app.pagination import CursorQuery, LimitQuery
from app.revisions import service as revisions
from app.revisions.schemas import RevisionPage
from app.routing import READ_PROBLEMS, IdPath, SettingsDep, problems, resource_router

router = resource_router("/v1/claims", "claims")

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
    "",
    name="list",
    response_model=ClaimPage,
    summary="List and filter claims",
    description="Filters combine with AND; a repeated parameter is OR within itself. Without "
    "`status`, published and disputed claims only. An actor name that is ambiguous or "
    "unknown is a 422 whose `candidates` lists the actors it could mean or the closest "
    "names. `sort=id` (the default, creation order) and the date and update sorts are "
    "keyset-paginated: walking `next_cursor` while others write serves every claim that "
    "existed at the start exactly once, in order. `sort=date` places a claim by its "
    "earliest date of `date_kind` and leaves out claims without one; `sort=relevance` "
    "needs `q`, and its order (and, on SQLite, its stability under writes) differs "
    "between databases. The ETag is the page's own: it changes when a claim on the page "
    "changes, enters or leaves it, or a next page appears or goes, not with other writes.",
    responses={**READ_PROBLEMS, **problems(400)},
)
async def list_claims(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    params: Annotated[ClaimListParams, Query()],
    if_none_match: IfNoneMatchHeader = None,
) -> Response:
    listing = queries.claim_listing(settings.cursor_secret, params)
    return await answer_listing(request, engine, if_none_match, listing)


@router.get(
    "/facets",
    response_model=ClaimFacets,
    summary="Count the claims a filter selects, by predicate, modality, status, program, "
    "actor and year",
    description="Takes the filters of `GET /v1/claims`. The ETag changes with every write "
    "and with the query.",
    responses=READ_PROBLEMS,
)
async def facets(
    request: Request,
    engine: EngineDep,
    params: Annotated[ClaimFilterParams, Query()],
    if_none_match: IfNoneMatchHeader = None,
) -> Response:
    return await answer_listing(request, engine, if_none_match, facet_listing(params))


@router.get(
    "/{claim_id}",
    response_model=ClaimRead,
    summary="Get a claim with everything it embeds",
    description="The claim with its actors (names as they are now), dates with their precision and "
    "day bounds, evidence with each source's citation, instruments and relations.",
    responses={**READ_PROBLEMS, **problems(404)},
)
async def get(
    claim_id: IdPath, engine: EngineDep, if_none_match: IfNoneMatchHeader = None
) -> Response:
    answer = await run_read(
        engine,
        lambda connection: queries.lookup(connection, claim_id, if_none_match),
        snapshot=False,
    )
    if answer is None:
        raise NotFound(f"No claim with id {claim_id!r}.")
    return answer


@router.get(
    "/{claim_id}/evidence",
    response_model=ClaimEvidence,
    summary="A claim's evidence in context, with the citation of each source",
    description=f"Each span with up to {EVIDENCE_CONTEXT} characters of the source's held "
    "text on either side (fewer at the start or end of the text; a copyrighted source is "
    "held as excerpts, so its context ends where the excerpt does).",
    responses={**READ_PROBLEMS, **problems(404)},
)
async def list_evidence(
    claim_id: IdPath, engine: EngineDep, if_none_match: IfNoneMatchHeader = None
) -> Response:
    found = await run_read(engine, lambda connection: fetch_evidence(connection, claim_id))
    if found is None:
        raise NotFound(f"No claim with id {claim_id!r}.")
    etag, evidence = found
    return conditional(if_none_match, etag) or json_response(
        evidence.model_dump_json().encode(), etag
    )


@router.patch(
    "/{claim_id}",
    response_model=ClaimRead,
    summary="Update a claim (JSON Merge Patch; lists are replaced whole)",
    description="Absent fields stay; a list given is replaced whole and `null` empties it, except "
    "`evidence`, which a claim always has; `confidence: null` clears it; the other fields "
    "cannot be cleared. The result is checked as a create would be; a patch that changes "
    "nothing writes nothing.",
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
    description="Sets the status to `retracted` and records the reason; the claim stays readable "
    "(lists leave it out unless `status=retracted` is asked).",
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
    description="Every version of the claim as it was written, keyset-paginated; each snapshot has "
    "the shape of the claim document at the time.",
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
