"""Who is calling, and what their key's role allows.

A caller presents `Authorization: Bearer <key>`. Writes need a key whose role allows them
(`require`); reads are public unless `READS_REQUIRE_KEY` is on (`reader`), and a read
that would show drafts needs an analyst or above (`Caller.sees_drafts`). A missing,
unknown or revoked key where one is needed is a 401 with `WWW-Authenticate`; a key whose
role falls short is a 403. The OpenAPI document declares the bearer scheme on every
operation through these dependencies.
"""

import asyncio
from collections.abc import Callable, Collection, Coroutine
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import BackgroundTasks, Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.types import Scope

from app.errors import Forbidden, Unauthorized
from app.keys.service import KeyRing, KnownKey
from app.models import ClaimStatus, Role
from app.models.base import utcnow
from app.revisions.service import Author

SCHEME = "apiKey"
bearer = HTTPBearer(
    auto_error=False,
    scheme_name=SCHEME,
    bearerFormat="sck_…",
    description="An API key: `Authorization: Bearer sck_…` (`claims keys create`).",
)
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


@dataclass(frozen=True)
class Caller:
    """The bearer of a valid key, or an anonymous caller (`role` None)."""

    name: str
    role: Role | None = None
    key_id: str | None = None

    @property
    def author(self) -> Author:
        return Author(self.name, self.key_id)

    def may(self, needed: Role) -> bool:
        return self.role is not None and self.role.allows(needed)

    @property
    def sees_drafts(self) -> bool:
        return self.may(Role.analyst)


ANONYMOUS = Caller("anonymous")


def _challenge(detail: str, error: str | None = None) -> Unauthorized:
    value = 'Bearer realm="claims"' + (f', error="{error}"' if error else "")
    return Unauthorized(detail, headers={"WWW-Authenticate": value})


_PRESENTED = "claims.presented_key"


def presented_key(scope: Scope) -> KnownKey | None:
    """The valid (known, unrevoked) key of a request's `Authorization: Bearer` header, for
    the layers that run before routing (rate limits, idempotency); None for anything else,
    which the routes answer with their 401 when it matters. Kept in the scope: the layers
    ask in turn, and each HMAC of the secret costs a few microseconds."""
    if _PRESENTED in scope:
        kept: KnownKey | None = scope[_PRESENTED]
        return kept
    authorization = next((v for k, v in scope["headers"] if k == b"authorization"), None)
    known = None
    if authorization is not None:
        kind, _, secret = authorization.decode("latin-1").partition(" ")
        if kind.lower() == "bearer" and secret.strip():
            ring: KeyRing = scope["app"].state.key_ring
            known = ring.recognise(secret.strip())
    presented = None if known is None or known.revoked else known
    scope[_PRESENTED] = presented
    return presented


def hot_path_caller(scope: Scope) -> Caller | None:
    """The caller of a request the framework has not seen yet (app.fastpath), when its
    answer is sure: a valid key, or none where reads need none. None otherwise (a bad or
    revoked key, a missing one where one is needed, a header that is not `Bearer`): the
    framework then answers, with its 401."""
    app = scope["app"]
    if not any(name == b"authorization" for name, _ in scope["headers"]):
        return None if app.state.settings.reads_require_key else ANONYMOUS
    known = presented_key(scope)
    if known is None:
        return None
    ring: KeyRing = app.state.key_ring
    if ring.use_due(known.id):
        # Off the event loop and after nothing: the write takes its own short transaction.
        asyncio.get_running_loop().run_in_executor(None, ring.record_use, known.id, utcnow())
    return Caller(known.name, known.role, known.id)


def _identify(request: Request, credentials: HTTPAuthorizationCredentials | None,
              background: BackgroundTasks) -> Caller:  # fmt: skip
    if credentials is None:
        if request.headers.get("authorization"):
            raise _challenge("The Authorization header must be `Bearer <key>`.", "invalid_request")
        return ANONYMOUS
    ring: KeyRing = request.app.state.key_ring
    known = ring.recognise(credentials.credentials)
    if known is None:
        raise _challenge("The API key is not known.", "invalid_token")
    if known.revoked:
        raise _challenge(f"The API key {known.name!r} was revoked.", "invalid_token")
    if ring.use_due(known.id):
        now: datetime = utcnow()
        background.add_task(ring.record_use, known.id, now)
    return Caller(known.name, known.role, known.id)


async def caller(request: Request, credentials: Credentials, background: BackgroundTasks) -> Caller:
    """The caller of a read: anonymous allowed unless reads require a key."""
    found = _identify(request, credentials, background)
    if found.role is None and request.app.state.settings.reads_require_key:
        raise _challenge("Reads need an API key on this server (READS_REQUIRE_KEY).")
    return found


def require(role: Role) -> Callable[..., Coroutine[Any, Any, Caller]]:
    """A dependency that answers 401/403 unless the caller's key has `role` or above."""

    async def dependency(
        request: Request, credentials: Credentials, background: BackgroundTasks
    ) -> Caller:
        found = _identify(request, credentials, background)
        if found.role is None:
            raise _challenge(f"This needs an API key with the role {role.value} or above.")
        if not found.may(role):
            raise Forbidden(
                f"The key {found.name!r} has the role {found.role.value}; this needs "
                f"{role.value} or above."
            )
        return found

    return dependency


def drafts_asked(caller: Caller, statuses: Collection[ClaimStatus]) -> bool:
    """Whether a list's answer holds drafts: only when its status filter asks for them,
    and only to analysts and above (403 otherwise: an empty page would look like none)."""
    if ClaimStatus.draft not in statuses:
        return False
    if not caller.sees_drafts:
        raise Forbidden("Drafts are visible to analysts, reviewers and admins only.")
    return True


ReadCaller = Annotated[Caller, Depends(caller)]
# On every resource router: each route knows its caller, and with READS_REQUIRE_KEY on no
# route answers without a key (writes add the role they need with `require`).
CALLER = Depends(caller)
Analyst = Annotated[Caller, Depends(require(Role.analyst))]
Reviewer = Annotated[Caller, Depends(require(Role.reviewer))]
Admin = Annotated[Caller, Depends(require(Role.admin))]
