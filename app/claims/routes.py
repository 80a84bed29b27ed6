"""HTTP for claims: parse, call the service or query, answer."""

from datetime import datetime
from typing import Annotated

from fastapi import Body, Query, Request, Response
from sqlalchemy import Connection

from app.claims import queries, service
from app.claims.as_of import IMMUTABLE, version_at
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
    PublishReason,
    TransitionConflict,
    TransitionList,
    TransitionRead,
    TransitionReason,
)
from app.claims.workflow import TRANSITIONS, TransitionName
from app.db import EngineDep, SessionDep, run_read
from app.errors import PROBLEM_MEDIA_TYPE, Forbidden, NotFound
from app.fields import StrictTimestamp
from app.http import (
    MERGE_PATCH_MEDIA_TYPE,
    IfMatchHeader,
    IfNoneMatchHeader,
    conditional,
    digest_etag,
    json_response,
)
from app.keys.auth import CALLER, Analyst, Caller, ReadCaller, Reviewer, drafts_asked
from app.listings import answer_listing
from app.models import Claim, ClaimStatus, EntityType, Role
from app.pagination import CursorQuery, LimitQuery
from app.revisions import service as revisions
from app.revisions.schemas import RevisionPage
from app.routing import READ_PROBLEMS, IdPath, SettingsDep, problems, resource_router

router = resource_router("/v1/claims", "claims", [CALLER])

AsOfQuery = Annotated[
    StrictTimestamp | None,
    Query(
        description="An RFC 3339 date-time with its offset (`2026-03-01T00:00:00Z`), not in "
        "the future: the claim as of the last revision committed at or before it.",
    ),
]

WRITE_PROBLEMS = problems(401, 403, 404, 412, 413, 428, 503)
READ_PROBLEMS = {**READ_PROBLEMS, **problems(401)}
TRANSITION_PROBLEMS = {
    **WRITE_PROBLEMS,
    409: {
        "model": TransitionConflict,
        "description": "The transition does not apply to the claim's current status: the "
        "problem names that status, the statuses the transition applies to and the "
        "transitions the claim can take",
        "content": {PROBLEM_MEDIA_TYPE: {}},
    },
}
TRANSITION_LIST = TransitionList(
    data=[
        TransitionRead(
            transition=t.name,
            operation=t.operation,
            allowed_from=list(t.allowed_from),
            status_after=t.status_after,
            reason_required=t.reason_required,
        )
        for t in TRANSITIONS.values()
    ]
)
TRANSITION_LIST_JSON = TRANSITION_LIST.model_dump_json().encode()


def _answer(claim: Claim, status: int = 200) -> Response:
    headers = {"Location": f"/v1/claims/{claim.id}"} if status == 201 else None
    return json_response(claim.document.encode(), claim.etag, status=status, headers=headers)


@router.post(
    "",
    status_code=201,
    response_model=ClaimRead,
    summary="Create a claim with its actors, dates, evidence, instruments and relations",
    description="Each evidence quote must equal `text[start:end]` of its source's held text "
    "(code points); every problem of the body is reported in one 422 and nothing is written. "
    "Needs an analyst key. A new claim is a `draft` until a reviewer other than its author "
    "publishes it; only an admin (seeds, imports of official lists) may create one as "
    "`published` directly.",
    responses=problems(401, 403, 413, 503),
)
def create(body: ClaimCreate, session: SessionDep, analyst: Analyst) -> Response:
    if body.status != ClaimStatus.draft and not analyst.may(Role.admin):
        raise Forbidden(
            f"A new claim is a draft until a reviewer publishes it; the key {analyst.name!r} "
            f"({analyst.role}) may not create it as {body.status!r}.",
        )
    return _answer(service.create_claim(session, body, who=analyst.author), 201)


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
    caller: ReadCaller,
    if_none_match: IfNoneMatchHeader = None,
) -> Response:
    drafts = drafts_asked(caller, params.status)
    listing = queries.claim_listing(settings.cursor_secret, params)
    if params.as_of is None:
        return await answer_listing(request, engine, if_none_match, listing, public=not drafts)
    # Not remembered for app.fastpath, whose 304s would not say the answer is immutable.
    answer = await answer_listing(request, engine, if_none_match, listing, public=False)
    answer.headers.update(IMMUTABLE)
    return answer


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
    caller: ReadCaller,
    if_none_match: IfNoneMatchHeader = None,
) -> Response:
    drafts = drafts_asked(caller, params.status)
    listing = facet_listing(params)
    return await answer_listing(request, engine, if_none_match, listing, public=not drafts)


@router.get(
    "/transitions",
    name="transitions",
    response_model=TransitionList,
    summary="The review workflow: each status transition, where it applies and what it needs",
    description="A claim's status changes only through these (`POST /v1/claims/{id}/<"
    "transition>`, each conditional on If-Match); a merge patch that sets `status` is a 422.",
    responses=READ_PROBLEMS,
)
async def list_transitions(if_none_match: IfNoneMatchHeader = None) -> Response:
    etag = digest_etag(TRANSITION_LIST_JSON)
    return conditional(if_none_match, etag) or json_response(TRANSITION_LIST_JSON, etag)


@router.get(
    "/{claim_id}",
    response_model=ClaimRead,
    summary="Get a claim with everything it embeds",
    description="The claim with its actors (names as they are now), dates with their precision and "
    "day bounds, evidence with each source's citation, instruments and relations. With "
    "`as_of`, the claim as it stood then (its document of that version, the names it "
    "embedded then; the retraction if it was retracted by then), or 404 if it did not exist "
    "yet; that answer never changes.",
    responses={**READ_PROBLEMS, **problems(404)},
)
async def get(
    claim_id: IdPath,
    engine: EngineDep,
    caller: ReadCaller,
    if_none_match: IfNoneMatchHeader = None,
    as_of: AsOfQuery = None,
) -> Response:
    drafts = caller.sees_drafts
    if as_of is not None:
        return await _get_as_of(engine, claim_id, as_of, if_none_match, drafts=drafts)
    answer = await run_read(
        engine,
        lambda connection: queries.lookup(connection, claim_id, if_none_match, drafts=drafts),
        snapshot=False,
    )
    if answer is None:
        raise NotFound(f"No claim with id {claim_id!r}.")
    return answer


async def _get_as_of(
    engine: EngineDep, claim_id: str, moment: datetime, if_none_match: str | None, *, drafts: bool
) -> Response:
    found = await run_read(
        engine, lambda connection: version_at(connection, claim_id, moment, drafts=drafts)
    )
    if found is None:
        raise NotFound(f"No claim with id {claim_id!r} as of {moment.isoformat()}.")
    document, etag = found
    answer = conditional(if_none_match, etag) or json_response(document.encode(), etag)
    answer.headers.update(IMMUTABLE)
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
    claim_id: IdPath, engine: EngineDep, caller: ReadCaller, if_none_match: IfNoneMatchHeader = None
) -> Response:
    drafts = caller.sees_drafts
    found = await run_read(
        engine, lambda connection: fetch_evidence(connection, claim_id, drafts=drafts)
    )
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
    description="Absent fields stay; a list given is replaced whole and `null` empties it, "
    "except `evidence`, which a claim always has; `confidence: null` clears it; the other "
    "fields cannot be cleared. The result is checked as a create would be; a patch that "
    "changes nothing writes nothing. The status changes only through the transitions "
    "(`publish`, `dispute`, `retract`, `reinstate`; see `GET /v1/claims/transitions`): a "
    "patch that sets `status` is a 422 pointing at them. An analyst may edit drafts; a "
    "published, disputed or retracted claim needs a reviewer.",
    responses=WRITE_PROBLEMS,
)
def update(
    claim_id: IdPath,
    patch: Annotated[ClaimPatch, Body(media_type=MERGE_PATCH_MEDIA_TYPE)],
    session: SessionDep,
    analyst: Analyst,
    if_match: IfMatchHeader = None,
) -> Response:
    claim = service.update_claim(
        session,
        claim_id,
        patch,
        if_match,
        who=analyst.author,
        edits_beyond_drafts=analyst.may(Role.reviewer),
    )
    return _answer(claim)


def _transition(
    session: SessionDep,
    claim_id: str,
    name: TransitionName,
    reason: str | None,
    if_match: str | None,
    reviewer: Caller,
) -> Response:
    transition = TRANSITIONS[name]
    claim = service.transition_claim(
        session, claim_id, transition, reason, if_match, reviewer.author
    )
    return _answer(claim)


@router.post(
    "/{claim_id}/publish",
    response_model=ClaimRead,
    summary="Publish a draft, or a disputed claim that stands, optionally with a reason",
    description=TRANSITIONS[TransitionName.publish].describe()
    + " Needs a reviewer; a draft is published by a reviewer whose key wrote none of it "
    "(four eyes: 403 otherwise).",
    responses=TRANSITION_PROBLEMS,
)
def publish(
    claim_id: IdPath,
    session: SessionDep,
    reviewer: Reviewer,
    body: PublishReason | None = None,
    if_match: IfMatchHeader = None,
) -> Response:
    reason = body.reason if body else None
    return _transition(session, claim_id, TransitionName.publish, reason, if_match, reviewer)


def _add_reasoned_transition(name: TransitionName, summary: str, more: str = "") -> None:
    """`POST /v1/claims/{id}/<name>` for a transition whose body is its reason."""

    def transition(
        claim_id: IdPath,
        body: TransitionReason,
        session: SessionDep,
        reviewer: Reviewer,
        if_match: IfMatchHeader = None,
    ) -> Response:
        return _transition(session, claim_id, name, body.reason, if_match, reviewer)

    router.add_api_route(
        f"/{{claim_id}}/{name.value}",
        transition,
        methods=["POST"],
        name=name.value,
        response_model=ClaimRead,
        summary=summary,
        description=TRANSITIONS[name].describe() + more,
        responses=TRANSITION_PROBLEMS,
    )


_add_reasoned_transition(TransitionName.dispute, "Dispute a published claim, with the reason")
_add_reasoned_transition(
    TransitionName.retract,
    "Retract a claim, with the reason",
    " The reason is shown as the document's `retraction_reason`; the claim stays readable "
    "(lists leave it out unless `status=retracted` is asked).",
)
_add_reasoned_transition(
    TransitionName.reinstate,
    "Reinstate a retracted claim as published, with the reason",
    " The document's `retraction_reason` is cleared; the revisions keep it.",
)


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
    caller: ReadCaller,
    if_none_match: IfNoneMatchHeader = None,
    limit: int = LimitQuery,
    cursor: str | None = CursorQuery,
) -> Response:
    drafts = caller.sees_drafts

    def query(connection: Connection) -> Response:
        found = queries.fetch_document(connection, claim_id, drafts=drafts)
        if found is None:
            raise NotFound(f"No claim with id {claim_id!r}.")
        etag = digest_etag("revisions", found[1], limit, cursor, drafts)
        if not_modified := conditional(if_none_match, etag):
            return not_modified
        page = revisions.list_revisions(
            connection,
            settings.cursor_secret,
            EntityType.claim,
            claim_id,
            limit,
            cursor,
            drafts=drafts,
        )
        return json_response(page.model_dump_json().encode(), etag)

    return await run_read(engine, query)
