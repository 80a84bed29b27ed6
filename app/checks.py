"""Collecting every problem of a request body before answering one 422."""

from collections.abc import Iterable

from sqlalchemy import select
from sqlmodel import Session, col

from app.errors import FieldError, InvalidInput
from app.models import Vocabulary, VocabularyTerm


class BodyChecks:
    """Accumulates field errors so a client learns about all of them at once."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def fail(self, pointer: str, detail: str) -> None:
        self.errors.append(FieldError(pointer=pointer, detail=detail))

    def raise_if_any(self) -> None:
        if self.errors:
            count = len(self.errors)
            summary = self.errors[0].detail if count == 1 else f"{count} invalid fields."
            raise InvalidInput(summary, errors=self.errors)

    def terms(
        self, session: Session, vocabulary: Vocabulary, used: Iterable[tuple[str, str]]
    ) -> None:
        """Check (pointer, term) pairs against one vocabulary in a single query."""
        used = list(used)
        if not used:
            return
        wanted = {term for _, term in used}
        known = set(
            session.scalars(
                select(col(VocabularyTerm.term)).where(
                    col(VocabularyTerm.vocabulary) == vocabulary,
                    col(VocabularyTerm.term).in_(wanted),
                )
            )
        )
        for pointer, term in used:
            if term not in known:
                self.fail(
                    pointer,
                    f"Unknown {vocabulary.value} {term!r}; see GET /v1/vocabularies "
                    f"for the terms in use, or add one with POST /v1/vocabularies.",
                )
