"""The layer that makes a POST with an `Idempotency-Key` safe to retry.

Per key and caller (the API key that sent it): the first request claims the key before it
runs; its answer, when it changed something (2xx), is kept with the headers that matter
(Content-Type, Location, ETag) and replayed byte for byte to every retry within the
retention, with `Idempotent-Replayed: true`. The same key with another request (method,
path, query or body) is a 422; the same key while the first still runs is a 409.

`POST /v1/keys` is not replayed: its answer holds the new key's secret, which is shown once
and never stored. A request without a valid key goes on untouched: its route answers the
401, and there is no caller to keep an answer for. A process that dies while running a
request leaves its entry claimed until the retention ends (a 409 for its retries): the
write may have committed, and not repeating it is the safe side.
"""

import hashlib
import re
from datetime import timedelta

import anyio.to_thread
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import Conflict, FieldError, InvalidInput, ServiceBusy, problem_response
from app.idempotency import service
from app.keys.auth import presented_key
from app.models.idempotency import IDEMPOTENCY_KEY_MAX_LENGTH

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
# Visible ASCII: the key lands in the database and in logs.
_SANE_KEY = re.compile(rb"[\x21-\x7e]{1,%d}" % IDEMPOTENCY_KEY_MAX_LENGTH)
_HEADER_NAME = HEADER.lower().encode()
# Operations whose answers must not be stored (a key's secret), by path.
NOT_REPLAYED = frozenset({"/v1/keys"})


def _key_of(scope: Scope) -> str | None:
    """The request's Idempotency-Key (None when it has none); 422 for one that is not one
    visible-ASCII value of at most 255 characters."""
    values = [value for name, value in scope["headers"] if name == _HEADER_NAME]
    if not values:
        return None
    if len(values) > 1 or not _SANE_KEY.fullmatch(values[0]):
        detail = (
            f"{HEADER} must be sent once, as 1 to {IDEMPOTENCY_KEY_MAX_LENGTH} visible ASCII "
            "characters (a UUID, say)."
        )
        raise InvalidInput(detail, errors=[FieldError(parameter=HEADER, detail=detail)])
    key: str = values[0].decode("ascii")
    return key


def request_hash_of(scope: Scope, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (scope["method"].encode(), scope["path"].encode(), scope["query_string"], body):
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


async def _read_body(receive: Receive) -> bytes:
    """The whole body (BodySizeLimit, outside this layer, bounds it)."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _replay(found: service.Found, send: Send) -> None:
    headers = [
        *found.headers,
        (b"content-length", str(len(found.body)).encode()),
        (REPLAYED_HEADER.lower().encode(), b"true"),
    ]
    assert found.status is not None
    await send({"type": "http.response.start", "status": found.status, "headers": headers})
    await send({"type": "http.response.body", "body": found.body})


class IdempotentPosts:
    def __init__(self, app: ASGIApp, retention: timedelta) -> None:
        self.app = app
        self.retention = retention

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] in NOT_REPLAYED:
            await self.app(scope, receive, send)
            return
        try:
            idempotency_key = _key_of(scope)
        except InvalidInput as invalid:
            await problem_response(invalid.to_problem())(scope, receive, send)
            return
        caller = presented_key(scope) if idempotency_key else None
        if idempotency_key is None or caller is None:
            await self.app(scope, receive, send)
            return
        engine: Engine = scope["app"].state.engine
        body = await _read_body(receive)
        request_hash = request_hash_of(scope, body)
        try:
            held = await anyio.to_thread.run_sync(
                service.claim, engine, caller.id, idempotency_key, request_hash, self.retention
            )
        except OperationalError:  # the write lock's timeout ran out: as a write's would
            busy = ServiceBusy(
                "The database is busy with other writes; retry shortly.",
                headers={"Retry-After": "1"},
            )
            await problem_response(busy.to_problem(), busy.headers)(scope, receive, send)
            return
        if isinstance(held, service.Found):
            if held.request_hash != request_hash:
                refused = InvalidInput.parameter(
                    HEADER,
                    f"This {HEADER} was used for another request (method, path or body); "
                    "a retry must repeat its request exactly, and a new request needs a new key.",
                )
                await problem_response(refused.to_problem())(scope, receive, send)
            elif held.status is None:
                running = Conflict(
                    f"A request with this {HEADER} is still running; retry once it has "
                    "answered, to be sent its answer.",
                    headers={"Retry-After": "1"},
                )
                await problem_response(running.to_problem(), running.headers)(scope, receive, send)
            else:
                await _replay(held, send)
            return
        await self._run(scope, body, receive, send, engine, caller.id, idempotency_key)

    async def _run(
        self,
        scope: Scope,
        body: bytes,
        receive: Receive,
        send: Send,
        engine: Engine,
        key_id: str,
        key: str,
    ) -> None:
        """Run the request that claimed the key; keep its answer or release the key."""
        delivered = False

        async def once() -> Message:
            nonlocal delivered
            if delivered:  # after the body, the client's own messages (a disconnect)
                return await receive()
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        status = 0
        headers: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []

        async def keeping(message: Message) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [
                    (name, value)
                    for name, value in message.get("headers", [])
                    if name in service.KEPT_HEADERS
                ]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        kept = False
        try:
            await self.app(scope, once, keeping)
            if 200 <= status < 300:
                await anyio.to_thread.run_sync(
                    service.keep, engine, key_id, key, status, headers, b"".join(chunks)
                )
                kept = True
        finally:
            if not kept:  # also when the client went away: shielded from the cancellation
                with anyio.CancelScope(shield=True):
                    await anyio.to_thread.run_sync(service.release, engine, key_id, key)
