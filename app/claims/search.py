"""Full-text search over claims: the `q` grammar and the engine query it becomes.

The grammar is ours and small: words, `"quoted phrases"` and `-exclusions` (of a word or a
phrase), all required to match. It is parsed here, in Python, into a `SearchQuery` of plain
words; the engine query is built from those words alone (quoted for FTS5, bound parameters
for PostgreSQL), so nothing a user types reaches FTS5 or `tsquery` as syntax: `NEAR`, `*`,
`:`, `&`, `|`, `!`, parentheses and stray quotes are just text (and mostly punctuation,
which is dropped).

Both the indexed text (`claim.search_text`) and the query go through `words()`, the names
normalisation (casefolded, no diacritics, apostrophes or punctuation), so both engines see
the same tokens: FTS5 (`unicode61 remove_diacritics 2`, no stemming) on SQLite, a `simple`
`tsvector` with a GIN index on PostgreSQL. Matching answers the same on both; relevance
(`bm25` on SQLite, `ts_rank` on PostgreSQL) may order differently.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, FromClause, String, bindparam, func, literal_column, select
from sqlalchemy.sql import column, table
from sqlmodel import col

from app.errors import InvalidInput
from app.models import Claim
from app.names import normalise

MAX_TERMS = 32
# The objects the search migration creates by hand (see migrations/versions/*_claim_search).
FTS_TABLE = "claim_fts"
PG_CONFIG: ColumnElement[str] = literal_column("'simple'::regconfig")

Phrase = tuple[str, ...]


_ASCII_SEPARATORS = re.compile(r"[\W_]+")


def words(text: str) -> list[str]:
    """The search tokens of a text: normalised words; `_` separates words as in FTS5."""
    if text.isascii():
        # What `normalise` does to ASCII text (no accents to strip), ten times faster:
        # the bulk path runs this on every claim.
        return _ASCII_SEPARATORS.sub(" ", text.replace("'", "").replace("`", "").lower()).split()
    return normalise(text).replace("_", " ").split()


def search_text(statement: str, quotes: Iterable[str]) -> str:
    """The one text a claim is searched by: its statement and its evidence quotes."""
    return " ".join(words(" ".join([statement, *quotes])))


@dataclass(frozen=True)
class SearchQuery:
    """A parsed `q`: every required word or phrase must occur, no excluded one may."""

    required: tuple[Phrase, ...]
    excluded: tuple[Phrase, ...] = ()


def _pieces(q: str) -> Iterable[tuple[bool, str]]:
    """(excluded, text) for each word or quoted phrase of `q`; an unclosed quote runs to
    the end."""
    i, n = 0, len(q)
    while i < n:
        if q[i].isspace():
            i += 1
            continue
        excluded = q[i] == "-"
        if excluded:
            i += 1
            if i >= n or q[i].isspace():
                continue  # a lone "-" excludes nothing
        if q[i] == '"':
            end = q.find('"', i + 1)
            end = n if end < 0 else end
            yield excluded, q[i + 1 : end]
            i = end + 1
        else:
            end = i
            while end < n and not q[end].isspace():
                end += 1
            yield excluded, q[i:end]
            i = end


def parse_query(q: str) -> SearchQuery:
    """Parse `q`; a query with nothing to find is a 422 on the `q` parameter."""
    required: list[Phrase] = []
    excluded: list[Phrase] = []
    for is_excluded, piece in _pieces(q):
        # A word with punctuation inside (`S/RES/2397`, `Lugansk-based`) is a phrase of its
        # words, which is how it was indexed.
        phrase = tuple(words(piece))
        if phrase:
            (excluded if is_excluded else required).append(phrase)
    if not required:
        raise InvalidInput.parameter(
            "q",
            "The search has no word to find: give at least one word or phrase that is not "
            "an exclusion (punctuation and operators are ignored).",
        )
    if sum(len(phrase) for phrase in required + excluded) > MAX_TERMS:
        raise InvalidInput.parameter("q", f"The search has more than {MAX_TERMS} words.")
    return SearchQuery(tuple(dict.fromkeys(required)), tuple(dict.fromkeys(excluded)))


# SQLite: FTS5 over an external-content table whose rowid is the claim's rowid.

_fts = table(FTS_TABLE, column("rowid"))
_claim_rowid: ColumnElement[int] = literal_column("claim.rowid")


def fts5_expression(query: SearchQuery) -> str:
    """The FTS5 query: every word quoted as a string, so none is read as an operator."""

    def quoted(phrase: Phrase) -> str:
        return '"' + " ".join(phrase) + '"'  # words hold no quote: `words()` dropped them

    expression = "(" + " AND ".join(quoted(phrase) for phrase in query.required) + ")"
    return expression + "".join(f" NOT {quoted(phrase)}" for phrase in query.excluded)


@dataclass(frozen=True)
class TextShape:
    """The form of a search's SQL: how many words or phrases it requires and excludes, and
    which are phrases (PostgreSQL builds a phrase with another function). The words
    themselves are bound values (`text_binds`)."""

    required: tuple[bool, ...]
    excluded: tuple[bool, ...] = ()


def text_shape(query: SearchQuery) -> TextShape:
    return TextShape(
        tuple(len(phrase) > 1 for phrase in query.required),
        tuple(len(phrase) > 1 for phrase in query.excluded),
    )


def text_binds(dialect: str, query: SearchQuery) -> dict[str, str]:
    """The bound values of the search condition of `query`'s shape."""
    if dialect == "sqlite":
        return {"fts": fts5_expression(query)}
    binds = {f"required_{i}": " ".join(phrase) for i, phrase in enumerate(query.required)}
    binds.update({f"excluded_{i}": " ".join(phrase) for i, phrase in enumerate(query.excluded)})
    return binds


def _fts5_match() -> ColumnElement[bool]:
    return literal_column(FTS_TABLE).op("MATCH")(bindparam("fts", type_=String))


# PostgreSQL: an expression GIN index on to_tsvector('simple', search_text).


def _tsvector() -> ColumnElement[object]:
    return func.to_tsvector(PG_CONFIG, col(Claim.search_text))


def _tsquery(shape: TextShape) -> ColumnElement[object]:
    def part(name: str, is_phrase: bool) -> ColumnElement[object]:
        # Bound values, parsed by PostgreSQL as plain text, never as tsquery syntax.
        text = bindparam(name, type_=String)
        if is_phrase:
            return func.phraseto_tsquery(PG_CONFIG, text)
        return func.plainto_tsquery(PG_CONFIG, text)

    combined = part("required_0", shape.required[0])
    for i, is_phrase in enumerate(shape.required[1:], start=1):
        combined = combined.op("&&")(part(f"required_{i}", is_phrase))
    for i, is_phrase in enumerate(shape.excluded):
        combined = combined.op("&&")(func.tsquery_not(part(f"excluded_{i}", is_phrase)))
    return combined


def match_condition(dialect: str, shape: TextShape) -> ColumnElement[bool]:
    """A condition on `claim`: the claim's text matches the query."""
    if dialect == "sqlite":
        matching = select(_fts.c.rowid).where(_fts5_match())
        return _claim_rowid.in_(matching)
    return _tsvector().op("@@")(_tsquery(shape))


def ranked_source(dialect: str, shape: TextShape) -> tuple[FromClause, ColumnElement[float]]:
    """What to select from for relevance order and the score (lower is more relevant)."""
    claim = Claim.__table__  # type: ignore[attr-defined]
    if dialect == "sqlite":
        joined = _fts.join(claim, _claim_rowid == _fts.c.rowid)
        return joined, func.bm25(literal_column(FTS_TABLE))
    return claim, -func.ts_rank(_tsvector(), _tsquery(shape))


def relevance_condition(dialect: str, shape: TextShape) -> ColumnElement[bool]:
    """The match condition that goes with `ranked_source` (a join on SQLite)."""
    if dialect == "sqlite":
        return _fts5_match()
    return match_condition(dialect, shape)
