"""`GET /v1/<things>/{id}/revisions`: an entity's history, oldest first, for the audit trail.

Sources, actors and instruments share this route (claims have their own, which also hides
a draft's history from those who may not see drafts). A record that was never written has
no history: 404. The ETag follows the entity's last revision, the page and the cursor.
"""

from typing import Annotated

from fastapi import APIRouter, Path, Response
from sqlalchemy import Connection, select
from sqlmodel import col

from app.db import EngineDep, run_read
from app.errors import NotFound
from app.http import IfNoneMatchHeader, conditional, digest_etag, json_response
from app.models import EntityType, Operation, Revision
from app.models.base import ID_LENGTH
from app.pagination import CursorQuery, LimitQuery
from app.revisions.schemas import RevisionPage
from app.revisions.service import list_revisions
from app.routing import READ_PROBLEMS, SettingsDep, problems


def add_history_route(router: APIRouter, entity_type: EntityType, noun: str) -> None:
    """Add `GET /{id}/revisions` for `entity_type` to `router`."""
    entity_path = Annotated[
        str,
        Path(
            alias=f"{noun}_id", min_length=1, max_length=ID_LENGTH, description=f"The {noun}'s id."
        ),
    ]

    async def list_revisions_of(
        entity_id: entity_path,
        engine: EngineDep,
        settings: SettingsDep,
        if_none_match: IfNoneMatchHeader = None,
        limit: int = LimitQuery,
        cursor: str | None = CursorQuery,
    ) -> Response:
        def query(connection: Connection) -> Response:
            last = connection.execute(
                select(col(Revision.seq), col(Revision.operation))
                .where(
                    col(Revision.entity_type) == entity_type,
                    col(Revision.entity_id) == entity_id,
                )
                .order_by(col(Revision.seq).desc())
                .limit(1)
            ).first()
            if last is None:
                raise NotFound(f"No {noun} with id {entity_id!r}.")
            if last.operation == Operation.deleted:
                # Gone like the record itself; its history stays in the change feed.
                raise NotFound(
                    f"The {noun} {entity_id!r} was deleted; its history is in GET /v1/changes."
                )
            etag = digest_etag("revisions", entity_type, entity_id, last.seq, limit, cursor)
            if not_modified := conditional(if_none_match, etag):
                return not_modified
            page = list_revisions(
                connection,
                settings.cursor_secret,
                entity_type,
                entity_id,
                limit,
                cursor,
                drafts=True,
            )
            return json_response(page.model_dump_json().encode(), etag)

        return await run_read(engine, query)

    router.add_api_route(
        f"/{{{noun}_id}}/revisions",
        list_revisions_of,
        methods=["GET"],
        name="list_revisions",
        response_model=RevisionPage,
        summary=f"A {noun}'s revisions, oldest first, with full snapshots and who wrote each",
        description=f"The audit trail of one {noun}: every write to it, in commit order, with "
        "the key that made it (`recorded_by`, `recorded_by_key_id`) and the snapshot as "
        "written. Keyset-paginated: follow `next_cursor`.",
        responses={**READ_PROBLEMS, **problems(400, 401, 404)},
    )
