"""Collecting every problem of a request body before answering one 422 (or one 409)."""

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.errors import Conflict, FieldError, InvalidInput
from app.models import Vocabulary, VocabularyTerm


class BodyChecks:
    """Accumulates field errors so a client learns about all of them at once.

    A conflict with stored records (a duplicate) is kept apart: it is answered (409) only
    when the body has no invalid field, since fixing a field may change what it duplicates.
    """

    def __init__(self) -> None:
        self.errors: list[FieldError] = []
        self.conflicts: list[FieldError] = []
        self.conflicting: dict[str, Any] = {}

    def fail(self, pointer: str, detail: str) -> None:
        self.errors.append(FieldError(pointer=pointer, detail=detail))

    def conflict(self, pointer: str, detail: str, **existing: Any) -> None:
        """A field that conflicts with stored records; `existing` names them (a list by kind,
        `actors=[...]`, merged with those of other conflicts; or a single `source_id=`) and
        goes into the 409 problem."""
        self.conflicts.append(FieldError(pointer=pointer, detail=detail))
        for kind, records in existing.items():
            if not isinstance(records, list):
                self.conflicting[kind] = records
                continue
            known = self.conflicting.setdefault(kind, [])
            known += [record for record in records if record not in known]

    def raise_if_any(self) -> None:
        if self.errors:
            count = len(self.errors)
            summary = self.errors[0].detail if count == 1 else f"{count} invalid fields."
            raise InvalidInput(summary, errors=self.errors)
        if self.conflicts:
            count = len(self.conflicts)
            summary = (
                self.conflicts[0].detail if count == 1 else f"{count} fields duplicate records."
            )
            raise Conflict(summary, errors=self.conflicts, **self.conflicting)

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
