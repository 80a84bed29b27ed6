"""HTTP for the open vocabularies."""

from typing import Annotated

from fastapi import Query, Response
from sqlalchemy import Connection

from app.db import EngineDep, SessionDep, run_read
from app.http import IfNoneMatchHeader, conditional, digest_etag, json_response
from app.keys.auth import CALLER, Admin
from app.models import Vocabulary
from app.routing import READ_PROBLEMS, problems, resource_router
from app.vocabularies import service
from app.vocabularies.schemas import TermCreate, TermRead, VocabularyList

router = resource_router("/v1/vocabularies", "vocabularies", [CALLER])


@router.get(
    "",
    name="list",
    response_model=VocabularyList,
    summary="List the terms of the open vocabularies",
    description="Predicates, modalities, roles, actor and source kinds and external id schemes "
    "are open: new terms need no migration, and clients should accept terms they do not know.",
    responses=READ_PROBLEMS,
)
async def list_vocabularies(
    engine: EngineDep,
    if_none_match: IfNoneMatchHeader = None,
    vocabulary: Annotated[
        Vocabulary | None, Query(description="Only the terms of this vocabulary.")
    ] = None,
) -> Response:
    def query(connection: Connection) -> Response:
        terms = service.list_terms(connection, vocabulary)
        body = terms.model_dump_json().encode()
        etag = digest_etag(body)
        return conditional(if_none_match, etag) or json_response(body, etag)

    return await run_read(engine, query)


@router.post(
    "",
    status_code=201,
    response_model=TermRead,
    summary="Add a term to a vocabulary (admins)",
    description="Terms are lower-case identifiers; a term already in the vocabulary is a 409.",
    responses=problems(401, 403, 409, 503),
)
def create(body: TermCreate, session: SessionDep, admin: Admin) -> Response:
    term = service.add_term(session, body, admin.author)
    return json_response(
        term.model_dump_json().encode(), digest_etag(term.vocabulary, term.term), status=201
    )
