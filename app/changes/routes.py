"""HTTP for the change feed: parse, read (waiting when asked), answer."""

import time
from dataclasses import dataclass
from typing import Annotated

from fastapi import Query, Request, Response
from sqlalchemy import Connection

from app.changes import service
from app.changes.schemas import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    MAX_WAIT_SECONDS,
    ChangeFeed,
    ChangeFields,
)
from app.db import EngineDep, run_read
from app.errors import Forbidden
from app.http import IfNoneMatchHeader, conditional, digest_etag, json_response, matches_none
from app.keys.auth import CALLER, ReadCaller
from app.models import EntityType, Role
from app.revisions.service import current_sequence
from app.routing import READ_PROBLEMS, SettingsDep, problems, resource_router

router = resource_router("/v1/changes", "changes", [CALLER])

DESCRIPTION = f"""
Every write to a source, actor, instrument or claim, oldest first, in the order the writes
committed: creations, updates, status transitions (published, disputed, retracted,
reinstated, each with its `reason`), merges and deletions alike. A change to what claim
documents embed (an actor renamed, a source's citation or an instrument's symbol edited)
is followed by a `rerendered` change, with its `cause`, of each claim whose document it
changed: a feed filtered to claims sees every new claim version.

* Start without `after`, then pass each answer's `next_cursor` as `after`. `next_cursor` is
  always present, also on an empty page, so a poller resumes exactly where it stopped; the
  feed never skips a change (sequence numbers follow commit order).
* With `wait=N`, a request whose page would be empty waits up to N seconds for a newer change
  and answers as soon as one commits (long poll); otherwise it answers the empty page.
* The `ETag` derives from the latest sequence number and the query: send it back in
  `If-None-Match` for a 304 while nothing changed (after the wait, if you asked for one).
* `fields=ids` leaves out the snapshots: fetch the entities you care about yourself.
* Up to {MAX_LIMIT} changes a page (default {DEFAULT_LIMIT}).
"""


@dataclass(frozen=True)
class _Look:
    current: int
    etag: str
    feed: ChangeFeed | None  # None: the client's copy is current, nothing read


@router.get(
    "",
    name="list",
    response_model=ChangeFeed,
    summary="Follow the changes to every entity, in commit order",
    description=DESCRIPTION,
    responses={**READ_PROBLEMS, **problems(400)},
)
async def list_changes(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    caller: ReadCaller,
    if_none_match: IfNoneMatchHeader = None,
    after: Annotated[
        str | None,
        Query(
            max_length=1000,
            description="`next_cursor` of the previous answer, with the same `entity_type` "
            "filter. Omit it to start from the first change.",
        ),
    ] = None,
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description=f"Page size, 1 to {MAX_LIMIT}.")
    ] = DEFAULT_LIMIT,
    entity_type: Annotated[
        list[EntityType] | None,
        Query(
            description="Repeatable (`entity_type=claim&entity_type=actor`). Default: all "
            "types. A cursor is valid only with the filter it was issued for."
        ),
    ] = None,
    fields: Annotated[
        ChangeFields,
        Query(description="`full` sends each change's snapshot; `ids` leaves it out."),
    ] = ChangeFields.full,
    wait: Annotated[
        int,
        Query(
            ge=0,
            le=MAX_WAIT_SECONDS,
            description="Seconds to wait for a change when the page would be empty "
            f"(long poll), 0 to {MAX_WAIT_SECONDS}.",
        ),
    ] = 0,
) -> Response:
    if EntityType.key in (entity_type or []) and not caller.may(Role.admin):
        raise Forbidden("The changes of API keys are for admins only.")
    query = service.FeedQuery(
        entity_types=tuple(sorted(set(entity_type or []))),
        fields=fields,
        limit=limit,
        drafts=caller.sees_drafts,
    )
    position = service.start_position(settings.cursor_secret, query, after)
    deadline = time.monotonic() + wait

    def look(connection: Connection) -> _Look:
        current = current_sequence(connection)
        etag = digest_etag("changes", current, query.scope(), fields, limit, position, query.drafts)
        if matches_none(if_none_match, etag) and (
            wait == 0 or service.has_changes(connection, query, position, current)
        ):
            return _Look(current, etag, None)
        feed = service.read_changes(connection, settings.cursor_secret, query, position, current)
        return _Look(current, etag, feed)

    while True:
        seen = await run_read(engine, look)
        if seen.feed is None or seen.feed.data:
            break
        if not await service.wait_for_commit(
            engine, seen.current, deadline, request.is_disconnected
        ):
            break
    if not_modified := conditional(if_none_match, seen.etag):
        return not_modified  # also when `look` found the client's copy current
    assert seen.feed is not None
    leave_out = {"data": {"__all__": {"snapshot"}}} if fields == ChangeFields.ids else None
    return json_response(seen.feed.model_dump_json(exclude=leave_out).encode(), seen.etag)
