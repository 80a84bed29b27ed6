"""The open vocabularies: predicates, modalities, roles, kinds and id schemes."""

import uuid

from sqlalchemy import Connection, select
from sqlmodel import Session, col

from app.errors import Conflict
from app.models import EntityType, Operation, Vocabulary, VocabularyTerm
from app.revisions.service import Author, append_revision
from app.vocabularies.schemas import TermCreate, TermRead, VocabularyList


def list_terms(connection: Connection, vocabulary: Vocabulary | None) -> VocabularyList:
    statement = select(VocabularyTerm).order_by(
        col(VocabularyTerm.vocabulary), col(VocabularyTerm.term)
    )
    if vocabulary:
        statement = statement.where(col(VocabularyTerm.vocabulary) == vocabulary)
    rows = connection.execute(statement).mappings()
    return VocabularyList(data=[TermRead.model_validate(dict(row)) for row in rows])


def term_id(vocabulary: str, term: str) -> str:
    """A term's id in the revision log and the change feed: a UUID derived from
    `<vocabulary>:<term>` (ids are 36 characters; the snapshot names the term)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"claims:term:{vocabulary}:{term}"))


def add_term(session: Session, data: TermCreate, who: Author | None) -> TermRead:
    """Add a term, with a revision, so the change feed shows vocabulary additions."""
    if session.get(VocabularyTerm, (data.vocabulary, data.term)) is not None:
        raise Conflict(f"{data.vocabulary.value} {data.term!r} already exists.")
    term = VocabularyTerm(vocabulary=data.vocabulary, term=data.term, description=data.description)
    session.add(term)
    session.flush()
    read = TermRead.model_validate(term.model_dump())
    append_revision(
        session,
        EntityType.term,
        term_id(term.vocabulary, term.term),
        1,
        Operation.created,
        read.model_dump(mode="json"),
        who,
    )
    session.commit()
    return read
