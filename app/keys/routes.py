"""HTTP for API keys (admins only): issue, list, revoke."""

from fastapi import Request, Response
from sqlalchemy import Connection

from app.db import EngineDep, SessionDep, run_read
from app.http import IfNoneMatchHeader, conditional, digest_etag, dumps, json_response
from app.keys import service
from app.keys.auth import CALLER, Admin
from app.keys.schemas import KeyCreate, KeyCreated, KeyPage, KeyRead
from app.models import ApiKey
from app.pagination import CursorQuery, LimitQuery
from app.routing import READ_PROBLEMS, IdPath, SettingsDep, problems, resource_router

router = resource_router("/v1/keys", "keys", [CALLER])
KEY_PROBLEMS = problems(401, 403)


def _read(key: ApiKey) -> KeyRead:
    return KeyRead.model_validate(key, from_attributes=True)


def _answer(read: KeyRead, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = dumps(read.model_dump(mode="json"))
    return json_response(body, digest_etag(body), status=status, headers=headers)


@router.post(
    "",
    status_code=201,
    response_model=KeyCreated,
    summary="Issue an API key (its secret is in this answer only)",
    description="Admins only. The secret (`sck_…`) is shown in this answer and never again; "
    "the server keeps an HMAC of it under its pepper. The name is recorded on every "
    "revision the key writes.",
    responses=problems(401, 403, 409, 413, 503),
)
def create(body: KeyCreate, session: SessionDep, settings: SettingsDep, admin: Admin) -> Response:
    key, secret = service.create_key(session, body, settings.api_key_pepper, admin.author)
    created = KeyCreated(**_read(key).model_dump(), secret=secret)
    return _answer(created, 201, {"Location": f"/v1/keys/{key.id}"})


@router.get(
    "",
    name="list",
    response_model=KeyPage,
    summary="List API keys, revoked ones included (never their secrets)",
    description="Admins only. Each key with its role, the first characters of its secret, "
    "when it was last used (to the minute) and, once revoked, when.",
    responses={**READ_PROBLEMS, **problems(400, 401, 403)},
)
async def list_keys(
    engine: EngineDep,
    settings: SettingsDep,
    admin: Admin,
    if_none_match: IfNoneMatchHeader = None,
    limit: int = LimitQuery,
    cursor: str | None = CursorQuery,
) -> Response:
    def query(connection: Connection) -> Response:
        keys, next_cursor = service.list_keys(connection, settings.cursor_secret, limit, cursor)
        page = KeyPage(data=[_read(k) for k in keys], next_cursor=next_cursor)
        body = dumps(page.model_dump(mode="json"))
        etag = digest_etag(body)
        return conditional(if_none_match, etag) or json_response(body, etag)

    return await run_read(engine, query)


@router.get(
    "/{key_id}",
    response_model=KeyRead,
    summary="Get an API key (never its secret)",
    description="Admins only.",
    responses={**READ_PROBLEMS, **problems(401, 403, 404)},
)
async def get(
    key_id: IdPath, engine: EngineDep, admin: Admin, if_none_match: IfNoneMatchHeader = None
) -> Response:
    key = await run_read(engine, lambda connection: service.get_key(connection, key_id))
    read = _read(key)
    body = dumps(read.model_dump(mode="json"))
    return conditional(if_none_match, digest_etag(body)) or _answer(read)


@router.delete(
    "/{key_id}",
    response_model=KeyRead,
    summary="Revoke an API key (it stays listed, with `revoked_at`)",
    description="Admins only. Every API process refuses the key within seconds (this one at "
    "once). Not conditional: revoking is idempotent, and a leaked key must be revocable "
    "without reading it first.",
    responses={**KEY_PROBLEMS, **problems(404, 503)},
)
def revoke(key_id: IdPath, session: SessionDep, request: Request, admin: Admin) -> Response:
    key = service.revoke_key(session, key_id, admin.author)
    request.app.state.key_ring.forget(key.id)
    return _answer(_read(key))
