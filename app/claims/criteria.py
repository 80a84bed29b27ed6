"""Resolution of a claim query against the database, into the `ClaimCriteria` the SQL takes.

`ClaimCriteria` is a type of its own, not the parameters with other values: actor names
and instrument symbols become ids (`actor_ids`, `instrument_ids`), date prefixes become day
bounds, `q` becomes a parsed `SearchQuery`, and every list is sorted and distinct, so equal
queries bind equal cursors and ETags. Resolution checks vocabulary terms and references and
reports every problem in one 422 (an ambiguous or unknown actor name raises its own, with
candidates).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from rapidfuzz import fuzz, process
from sqlalchemy import Connection, select
from sqlmodel import col

from app.claims.params import ClaimFilterParams, TimelineParams
from app.claims.resolution import resolve_actors
from app.claims.search import SearchQuery, parse_query
from app.errors import FieldError, InvalidInput
from app.isodates import parse_prefix
from app.models import ClaimStatus, DateKind, Instrument, Source, Vocabulary, VocabularyTerm
from app.names import symbol_key
from app.pagination import query_scope

DEFAULT_STATUSES = (ClaimStatus.published.value, ClaimStatus.disputed.value)
ALL_DATE_KINDS = tuple(kind.value for kind in DateKind)


@dataclass(frozen=True)
class ClaimCriteria:
    """A resolved claims query: what the SQL of `app.claims.statements` selects by. Its
    fields (not sort or page size) bind cursors and list ETags."""

    statuses: tuple[str, ...] = DEFAULT_STATUSES
    predicates: tuple[str, ...] = ()
    modalities: tuple[str, ...] = ()
    min_confidence: float | None = None
    actor_ids: tuple[str, ...] = ()
    actor_roles: tuple[str, ...] = ()
    programs: tuple[str, ...] = ()
    instrument_ids: tuple[str, ...] = ()
    provisions: tuple[str, ...] = ()  # casefolded
    source_ids: tuple[str, ...] = ()
    source_kinds: tuple[str, ...] = ()
    publishers: tuple[str, ...] = ()  # casefolded
    date_kind: str = DateKind.occurred.value
    first_day: date | None = None
    last_day: date | None = None
    updated_since: datetime | None = None
    text: SearchQuery | None = None
    valid_day: date | None = None
    # A read of the past (app/claims/as_of.py): the time asked, and the last revision
    # committed by then, whose versions the SQL reads. Both bind cursors and ETags.
    as_of: datetime | None = None
    as_of_seq: int | None = None

    def scope(self, **more: Any) -> str:
        # orjson serialises the dataclass itself, forty times faster than `asdict` first.
        return query_scope(resource="claims", criteria=self, **more)

    @property
    def dated(self) -> bool:
        return self.first_day is not None or self.last_day is not None


@dataclass(frozen=True)
class TimelineCriteria:
    """A resolved timeline query: the actor (a merged one's survivor) and its filters."""

    actor_id: str
    date_kinds: tuple[str, ...] = ALL_DATE_KINDS
    actor_roles: tuple[str, ...] = ()
    statuses: tuple[str, ...] = DEFAULT_STATUSES
    first_day: date | None = None
    last_day: date | None = None

    def scope(self) -> str:
        return query_scope(resource="timeline", criteria=self)

    @property
    def dated(self) -> bool:
        return self.first_day is not None or self.last_day is not None


def _distinct(values: list[str]) -> tuple[str, ...]:
    """Distinct values in a stable order, so equal queries bind equal cursors and ETags."""
    return tuple(sorted(set(values)))


def _statuses(statuses: list[ClaimStatus]) -> tuple[str, ...]:
    return _distinct([status.value for status in statuses]) if statuses else DEFAULT_STATUSES


def _day(name: str, value: str | None, latest: bool) -> date | None:
    if value is None:
        return None
    prefix = parse_prefix(value)  # the parameter model checked its syntax
    return prefix.latest if latest else prefix.earliest


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=value.tzinfo or UTC).astimezone(UTC)


def _check_terms(
    connection: Connection, asked: Mapping[tuple[str, Vocabulary], Sequence[str]]
) -> list[FieldError]:
    """Errors for the terms (by parameter and vocabulary) that are not in their vocabulary."""
    pairs = [(vocabulary.value, term) for (_, vocabulary), terms in asked.items() for term in terms]
    if not pairs:
        return []
    known = set(
        connection.execute(
            select(col(VocabularyTerm.vocabulary), col(VocabularyTerm.term)).where(
                col(VocabularyTerm.term).in_({term for _, term in pairs})
            )
        )
        .tuples()
        .all()
    )
    return [
        FieldError(
            parameter=parameter,
            detail=f"Unknown {vocabulary.value} {term!r}; see GET /v1/vocabularies.",
        )
        for (parameter, vocabulary), terms in asked.items()
        for term in terms
        if (vocabulary.value, term) not in known
    ]


def _resolve_instruments(
    connection: Connection, values: tuple[str, ...]
) -> tuple[list[str], list[FieldError]]:
    keys = [symbol_key(value) for value in values]
    rows = connection.execute(
        select(col(Instrument.id), col(Instrument.symbol)).where(
            col(Instrument.id).in_(values) | col(Instrument.symbol_key).in_(keys)
        )
    ).all()
    ids: list[str] = []
    errors: list[FieldError] = []
    for value in values:
        found = [i for i, symbol in rows if value in (i, symbol)] or [
            i for i, symbol in rows if symbol_key(symbol) == symbol_key(value)
        ]
        if found:
            ids.append(found[0])
            continue
        symbols = list(connection.scalars(select(col(Instrument.symbol))))
        closest = process.extract(value, symbols, scorer=fuzz.WRatio, limit=3, score_cutoff=50)
        named = ", ".join(repr(symbol) for symbol, _, _ in closest) or "none"
        errors.append(
            FieldError(
                parameter="instrument",
                detail=f"No instrument has the id or symbol {value!r}. Closest symbols: {named}.",
            )
        )
    return ids, errors


def _check_sources(connection: Connection, values: tuple[str, ...]) -> list[FieldError]:
    known = set(connection.scalars(select(col(Source.id)).where(col(Source.id).in_(values))))
    return [
        FieldError(parameter="source", detail=f"No source with id {value!r}.")
        for value in values
        if value not in known
    ]


def _refuse(errors: list[FieldError]) -> None:
    if errors:
        count = len(errors)
        raise InvalidInput(
            errors[0].detail if count == 1 else f"{count} invalid filters.", errors=errors
        )


def _window(date_from: str | None, date_to: str | None) -> tuple[date | None, date | None]:
    first = _day("date_from", date_from, latest=False)
    last = _day("date_to", date_to, latest=True)
    if first and last and first > last:
        raise InvalidInput.parameter("date_to", "date_to is before date_from.")
    return first, last


def resolve(connection: Connection, params: ClaimFilterParams) -> ClaimCriteria:
    """The criteria `params` ask for; one 422 reports every problem."""
    first, last = _window(params.date_from, params.date_to)
    text = parse_query(params.q) if params.q is not None else None
    errors = _check_terms(
        connection,
        {
            ("predicate", Vocabulary.predicate): params.predicate,
            ("modality", Vocabulary.modality): params.modality,
            ("actor_role", Vocabulary.role): params.actor_role,
            ("source_kind", Vocabulary.source_kind): params.source_kind,
        },
    )
    instrument_ids: list[str] = []
    if params.instrument:
        instrument_ids, instrument_errors = _resolve_instruments(
            connection, tuple(dict.fromkeys(params.instrument))
        )
        errors += instrument_errors
    if params.source:
        errors += _check_sources(connection, _distinct(params.source))
    _refuse(errors)
    actor_ids = (
        resolve_actors(connection, "actor", tuple(dict.fromkeys(params.actor)))
        if params.actor
        else []
    )
    return ClaimCriteria(
        statuses=_statuses(params.status),
        predicates=_distinct(params.predicate),
        modalities=_distinct(params.modality),
        min_confidence=params.min_confidence,
        actor_ids=_distinct(actor_ids),
        actor_roles=_distinct(params.actor_role),
        programs=_distinct(params.program),
        instrument_ids=_distinct(instrument_ids),
        provisions=_distinct([value.lower() for value in params.provision]),
        source_ids=_distinct(params.source),
        source_kinds=_distinct(params.source_kind),
        publishers=_distinct([value.lower() for value in params.publisher]),
        date_kind=params.date_kind.value,
        first_day=first,
        last_day=last,
        updated_since=_utc(params.updated_since),
        text=text,
        valid_day=_day("valid_at", params.valid_at, latest=False),
    )


def resolve_timeline(
    connection: Connection, actor_id: str, params: TimelineParams
) -> TimelineCriteria:
    """The timeline `params` ask for, of the actor (its survivor) `actor_id` names."""
    first, last = _window(params.date_from, params.date_to)
    _refuse(_check_terms(connection, {("actor_role", Vocabulary.role): params.actor_role}))
    kinds = _distinct([kind.value for kind in params.date_kind]) or ALL_DATE_KINDS
    return TimelineCriteria(
        actor_id=actor_id,
        date_kinds=kinds,
        actor_roles=_distinct(params.actor_role),
        statuses=_statuses(params.status),
        first_day=first,
        last_day=last,
    )
