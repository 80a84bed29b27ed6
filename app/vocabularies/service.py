"""The open vocabularies: predicates, modalities, roles, kinds and id schemes."""

from sqlalchemy import Connection, select
from sqlmodel import Session, col

from app.errors import Conflict
from app.models import Vocabulary, VocabularyTerm
from app.vocabularies.schemas import TermCreate, TermRead, VocabularyList


def list_terms(connection: Connection, vocabulary: Vocabulary | None) -> VocabularyList:
    statement = select(VocabularyTerm).order_by(
        col(VocabularyTerm.vocabulary), col(VocabularyTerm.term)
    )
    if vocabulary:
        statement = statement.where(col(VocabularyTerm.vocabulary) == vocabulary)
    rows = connection.execute(statement).mappings()
    return VocabularyList(data=[TermRead.model_validate(dict(row)) for row in rows])


def add_term(session: Session, data: TermCreate) -> TermRead:
    if session.get(VocabularyTerm, (data.vocabulary, data.term)) is not None:
        raise Conflict(f"{data.vocabulary.value} {data.term!r} already exists.")
    term = VocabularyTerm(vocabulary=data.vocabulary, term=data.term, description=data.description)
    session.add(term)
    session.commit()
    return TermRead.model_validate(term.model_dump())
