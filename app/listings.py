"""Conditional answers for lists: a validator of the page itself, 304 or the page.

A list page's ETag hashes what the page is: its normalised query, each row's own ETag and
whether a next page exists. So a 304 means "your page is unchanged", whatever else was
written meanwhile (an ETag of the global revision sequence changed with every unrelated
write: dashboards polling unchanged lists beside busy writers never got a 304). With
`If-None-Match` the validator is read first, by a query much cheaper than the page (ids
and ETags, no documents); the page is rendered only when the client's copy is stale.

The first step stays the cheapest: when nothing at all was committed since this process
last computed a list's ETag (same revision sequence), that ETag is still the list's, and
app/fastpath.py answers the 304 from it before the framework routes the request.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from weakref import WeakKeyDictionary

from fastapi import Request, Response
from sqlalchemy import Connection, Engine, RowMapping, Select
from sqlalchemy.orm import Mapped
from starlette.types import Scope

from app.db import run_read
from app.http import conditional, digest_etag, json_response
from app.pagination import keyset_page
from app.revisions.service import current_sequence

# Lists remembered per process, by path and query; the bound keeps memory flat.
REMEMBERED_LISTS = 4096


def page_etag(scope: str, etags: Iterable[str], has_next: bool) -> str:
    """The validator of a page: its query, its rows' ETags in order, and whether more follow."""
    return digest_etag("page", scope, *etags, has_next)


Query = TypeVar("Query")


@dataclass(frozen=True)
class Listing(Generic[Query]):
    """How a list answers: `resolve` reads the query against the database once (names to
    ids); `validator` reads the page's ETag cheaply; `page` renders the body and the same
    ETag from the same rows. A stale poll runs the validator and then the page, both on
    the one resolved query."""

    resolve: Callable[[Connection], Query]
    validator: Callable[[Connection, Query], str]
    page: Callable[[Connection, Query], tuple[bytes, str]]


def _request_key(scope: Scope) -> tuple[str, bytes]:
    # Parameters are sorted: their order never changes a list (a repeated one is an OR).
    return scope["path"], b"&".join(sorted(scope["query_string"].split(b"&")))


# Per database: (path, sorted query) -> (revision sequence, the list's ETag at that
# sequence). Another database (another app in the same process) has other lists.
_known: WeakKeyDictionary[Engine, dict[tuple[str, bytes], tuple[int, str]]] = WeakKeyDictionary()


def _remember(engine: Engine, scope: Scope, sequence: int, etag: str) -> None:
    known = _known.setdefault(engine, {})
    if len(known) >= REMEMBERED_LISTS:
        known.clear()
    known[_request_key(scope)] = (sequence, etag)


def remembers(engine: Engine, scope: Scope) -> bool:
    """Whether this process answered this list (path and query) on `engine`: only a
    list's own route remembers it, after the query was found valid."""
    return _request_key(scope) in _known.get(engine, {})


def known_etag(connection: Connection, scope: Scope) -> str | None:
    """The list's ETag if this process computed it and nothing was committed since."""
    known = _known.get(connection.engine, {}).get(_request_key(scope))
    if known is None or known[0] != current_sequence(connection):
        return None
    return known[1]


async def answer_listing(
    request: Request,
    engine: Engine,
    if_none_match: str | None,
    listing: Listing[Any],
    *,
    public: bool = True,
) -> Response:
    """304 when the client's copy of the page is current, else the page; the ETag and the
    page come from one snapshot. Only the ETags of `public` answers (ones any caller may
    see) are remembered, since app.fastpath answers from them before knowing the caller."""

    def remember(sequence: int, etag: str) -> None:
        if public:
            _remember(engine, request.scope, sequence, etag)

    def read(connection: Connection) -> Response:
        sequence = current_sequence(connection)
        query = listing.resolve(connection)
        if if_none_match:
            etag = listing.validator(connection, query)
            remember(sequence, etag)
            if not_modified := conditional(if_none_match, etag):
                return not_modified
        body, etag = listing.page(connection, query)
        remember(sequence, etag)
        return json_response(body, etag)

    return await run_read(engine, read, scans=True)


def id_ordered_listing(
    *,
    secret: str,
    scope: str,
    limit: int,
    cursor: str | None,
    statement: Select[Any],
    id_column: Mapped[str],
    version_column: Mapped[int],
    row_etag: Callable[[str, int], str],
    render: Callable[[Connection, Sequence[RowMapping], str | None], bytes],
) -> Listing[None]:
    """A list of records in id order (sources, actors, instruments): `statement` selects
    them, filtered, in id order; each row's ETag is `row_etag(id, version)`, the record's
    own (the columns are named `id` and `version`); `render` makes the page body of the
    rows and the next cursor."""

    def rows(
        connection: Connection, selected: Select[Any]
    ) -> tuple[Sequence[RowMapping], str | None, str]:
        def fetch(after: list[Any] | None, size: int) -> Sequence[RowMapping]:
            page = selected if after is None else selected.where(id_column > after[0])
            return connection.execute(page.limit(size)).mappings().all()

        found, next_cursor = keyset_page(
            secret=secret,
            scope=scope,
            cursor=cursor,
            limit=limit,
            key=(str,),
            fetch=fetch,
            key_of=lambda row: [row["id"]],
        )
        etags = (row_etag(row["id"], row["version"]) for row in found)
        page_scope = digest_etag(scope, limit, cursor)
        return found, next_cursor, page_etag(page_scope, etags, next_cursor is not None)

    def validator(connection: Connection, _: None) -> str:
        return rows(connection, statement.with_only_columns(id_column, version_column))[2]

    def page(connection: Connection, _: None) -> tuple[bytes, str]:
        found, next_cursor, etag = rows(connection, statement)
        return render(connection, found, next_cursor), etag

    return Listing(lambda _: None, validator, page)
