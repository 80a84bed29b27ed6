"""The claim filters: one dependency that parses them (shared by the list and the facets)
and the resolution of the names they hold, against the database, into `ClaimFilters`.

Parameters combine with AND; a repeated parameter is OR within itself. Parsing checks
syntax (422 per parameter); resolution checks vocabulary terms and turns actor names and
instrument symbols into ids (422 with candidates when a name is ambiguous or unknown).
"""

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import Depends, Query
from pydantic import AfterValidator, Field
from rapidfuzz import fuzz, process
from sqlalchemy import Connection, func, select
from sqlmodel import col

from app.claims.resolution import resolve_actors
from app.claims.search import SearchQuery, parse_query
from app.errors import FieldError, InvalidInput
from app.isodates import parse_prefix
from app.models import ClaimStatus, DateKind, Instrument, Source, Vocabulary, VocabularyTerm
from app.pagination import query_scope

DEFAULT_STATUSES = (ClaimStatus.published, ClaimStatus.disputed)
MAX_VALUES = 20


def _no_nul(value: str) -> str:
    # PostgreSQL text cannot hold NUL; refuse it here rather than fail in the driver.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


TermValue = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")]
ProgramCode = Annotated[
    str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
]
Name = Annotated[str, Field(min_length=1, max_length=300), AfterValidator(_no_nul)]
Reference = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_no_nul)]
Publisher = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_no_nul)]


def _repeatable(description: str) -> Any:
    return Query(max_length=MAX_VALUES, description=f"{description} Repeatable (OR).")


@dataclass(frozen=True)
class ClaimFilters:
    """A normalised claims query. Before `resolve`, `actor` and `instrument` hold what the
    client wrote; after, the ids they name. Its fields (not sort or page size) bind
    cursors and ETags."""

    status: tuple[str, ...] = DEFAULT_STATUSES
    predicate: tuple[str, ...] = ()
    modality: tuple[str, ...] = ()
    min_confidence: float | None = None
    actor: tuple[str, ...] = ()
    actor_role: tuple[str, ...] = ()
    program: tuple[str, ...] = ()
    instrument: tuple[str, ...] = ()
    provision: tuple[str, ...] = ()
    source: tuple[str, ...] = ()
    source_kind: tuple[str, ...] = ()
    publisher: tuple[str, ...] = ()
    date_kind: str = DateKind.occurred
    date_from: date | None = None
    date_to: date | None = None
    updated_since: datetime | None = None
    q: SearchQuery | None = None

    def scope(self, **more: Any) -> str:
        # orjson serialises the dataclass itself, forty times faster than `asdict` first.
        return query_scope(resource="claims", filters=self, **more)


def _values(values: list[str] | None) -> tuple[str, ...]:
    """Distinct values in a stable order, so equal queries bind equal cursors and ETags."""
    return tuple(sorted(set(values or [])))


# The parameters, in groups that belong together; `claim_filters` joins them.


@dataclass(frozen=True)
class _Fields:
    status: tuple[str, ...]
    predicate: tuple[str, ...]
    modality: tuple[str, ...]
    min_confidence: float | None


async def _fields(
    status: Annotated[
        list[ClaimStatus] | None,
        _repeatable("Review status. Default: published and disputed (retracted only when asked)."),
    ] = None,
    predicate: Annotated[
        list[TermValue] | None, _repeatable("Predicate, e.g. `obligation` (see vocabularies).")
    ] = None,
    modality: Annotated[
        list[TermValue] | None, _repeatable("Modality, e.g. `occurred`, `demanded`.")
    ] = None,
    min_confidence: Annotated[
        float | None, Query(ge=0, le=1, description="Only claims at least this confident.")
    ] = None,
) -> _Fields:
    statuses = _values([s.value for s in status]) if status else DEFAULT_STATUSES
    return _Fields(statuses, _values(predicate), _values(modality), min_confidence)


@dataclass(frozen=True)
class _Actors:
    actor: tuple[str, ...]
    actor_role: tuple[str, ...]


async def _actors(
    actor: Annotated[
        list[Name] | None,
        _repeatable(
            "An actor id, or a name or alias of one (case, accents, apostrophes, punctuation "
            "and word order do not matter). An ambiguous or unknown name is a 422 listing "
            "the candidates or closest names; a merged actor's id means its survivor."
        ),
    ] = None,
    actor_role: Annotated[
        list[TermValue] | None,
        _repeatable("Only where the actor (or, without `actor`, any actor) has this role."),
    ] = None,
) -> _Actors:
    return _Actors(tuple(dict.fromkeys(actor or [])), _values(actor_role))


@dataclass(frozen=True)
class _Citations:
    program: tuple[str, ...]
    instrument: tuple[str, ...]
    provision: tuple[str, ...]


async def _citations(
    program: Annotated[
        list[ProgramCode] | None,
        _repeatable("Sanctions program code, e.g. `DPRK3`."),
    ] = None,
    instrument: Annotated[
        list[Reference] | None,
        _repeatable("Cited instrument: id or symbol such as `S/RES/2397 (2017)`."),
    ] = None,
    provision: Annotated[
        list[Reference] | None,
        _repeatable(
            "Cited provision, e.g. `para 8` (case-insensitive); with `instrument`, of that "
            "instrument."
        ),
    ] = None,
) -> _Citations:
    return _Citations(_values(program), tuple(dict.fromkeys(instrument or [])), _values(provision))


@dataclass(frozen=True)
class _Sources:
    source: tuple[str, ...]
    source_kind: tuple[str, ...]
    publisher: tuple[str, ...]


async def _sources(
    source: Annotated[list[Reference] | None, _repeatable("Source id cited as evidence.")] = None,
    source_kind: Annotated[
        list[TermValue] | None, _repeatable("Kind of a cited source, e.g. `news_article`.")
    ] = None,
    publisher: Annotated[
        list[Publisher] | None,
        _repeatable("Publisher of a cited source (case-insensitive), e.g. `Reuters`."),
    ] = None,
) -> _Sources:
    return _Sources(_values(source), _values(source_kind), _values(publisher))


@dataclass(frozen=True)
class _Dates:
    date_kind: str
    date_from: date | None
    date_to: date | None
    updated_since: datetime | None


def _day(name: str, value: str | None, latest: bool) -> date | None:
    if value is None:
        return None
    try:
        prefix = parse_prefix(value)
    except ValueError as error:
        raise InvalidInput.parameter(name, str(error)) from None
    return prefix.latest if latest else prefix.earliest


async def _dates(
    date_kind: Annotated[
        DateKind,
        Query(
            description="Which of a claim's dates `date_from`/`date_to`, `sort=date` and the "
            "year facet use."
        ),
    ] = DateKind.occurred,
    date_from: Annotated[
        str | None,
        Query(
            max_length=10,
            description="ISO date or prefix (`2019`, `2019-12`, `2019-12-22`); claims with a "
            "date of `date_kind` whose range ends on or after its first day.",
        ),
    ] = None,
    date_to: Annotated[
        str | None,
        Query(
            max_length=10,
            description="ISO date or prefix; claims with a date of `date_kind` whose range "
            "starts on or before its last day (`2019` means up to 2019-12-31).",
        ),
    ] = None,
    updated_since: Annotated[
        datetime | None,
        Query(description="Claims written at or after this time (ISO 8601; UTC if no zone)."),
    ] = None,
) -> _Dates:
    first = _day("date_from", date_from, latest=False)
    last = _day("date_to", date_to, latest=True)
    if first and last and first > last:
        raise InvalidInput.parameter("date_to", "date_to is before date_from.")
    if updated_since is not None:
        zone = updated_since.tzinfo or UTC
        updated_since = updated_since.replace(tzinfo=zone).astimezone(UTC)
    return _Dates(date_kind.value, first, last, updated_since)


async def _text(
    q: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=500,
            description='Full text over statements and evidence quotes: words, "phrases" and '
            "-exclusions, all required; case, accents and punctuation do not matter, and no "
            "stemming (`labourer` does not find `labourers`).",
        ),
    ] = None,
) -> SearchQuery | None:
    return parse_query(q) if q is not None else None


async def claim_filters(
    fields: Annotated[_Fields, Depends(_fields)],
    actors: Annotated[_Actors, Depends(_actors)],
    citations: Annotated[_Citations, Depends(_citations)],
    sources: Annotated[_Sources, Depends(_sources)],
    dates: Annotated[_Dates, Depends(_dates)],
    q: Annotated[SearchQuery | None, Depends(_text)],
) -> ClaimFilters:
    """The claim filters of a request, as written (see `resolve`)."""
    return ClaimFilters(
        **vars(fields),
        **vars(actors),
        **vars(citations),
        **vars(sources),
        **vars(dates),
        q=q,
    )


ClaimFiltersDep = Annotated[ClaimFilters, Depends(claim_filters)]


# Resolution against the database, inside the read transaction.


def _check_terms(connection: Connection, filters: ClaimFilters) -> list[FieldError]:
    asked = {
        ("predicate", Vocabulary.predicate): filters.predicate,
        ("modality", Vocabulary.modality): filters.modality,
        ("actor_role", Vocabulary.role): filters.actor_role,
        ("source_kind", Vocabulary.source_kind): filters.source_kind,
    }
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


def _symbol_key(symbol: str) -> str:
    return " ".join(symbol.split()).casefold()


def _resolve_instruments(
    connection: Connection, values: tuple[str, ...]
) -> tuple[list[str], list[FieldError]]:
    keys = [_symbol_key(value) for value in values]
    rows = connection.execute(
        select(col(Instrument.id), col(Instrument.symbol)).where(
            col(Instrument.id).in_(values) | func.lower(col(Instrument.symbol)).in_(keys)
        )
    ).all()
    ids: list[str] = []
    errors: list[FieldError] = []
    for value in values:
        found = [i for i, symbol in rows if value in (i, symbol)] or [
            i for i, symbol in rows if _symbol_key(symbol) == _symbol_key(value)
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


def resolve(connection: Connection, filters: ClaimFilters) -> ClaimFilters:
    """Check terms and references, and name actors and instruments by id; one 422 reports
    every problem (an ambiguous or unknown actor name raises its own, with candidates)."""
    errors = _check_terms(connection, filters)
    instrument_ids: list[str] = []
    if filters.instrument:
        instrument_ids, instrument_errors = _resolve_instruments(connection, filters.instrument)
        errors += instrument_errors
    if filters.source:
        errors += _check_sources(connection, filters.source)
    if errors:
        count = len(errors)
        raise InvalidInput(
            errors[0].detail if count == 1 else f"{count} invalid filters.", errors=errors
        )
    actor_ids = resolve_actors(connection, "actor", filters.actor) if filters.actor else []
    return replace(
        filters,
        actor=tuple(sorted(set(actor_ids))),
        instrument=tuple(sorted(set(instrument_ids))),
    )
