"""The layer that applies the rate limits, to routed and pre-routed answers alike.

It runs outside the pre-routing reads (app/fastpath.py), so a hot lookup counts and is
refused like a routed one. Every answer under `/v1` carries `RateLimit-Limit`,
`RateLimit-Remaining` and `RateLimit-Reset` (seconds until the window ends), the fields of
the IETF httpapi draft's earlier revisions that most clients and gateways read; past the
limit the answer is a 429 problem with `Retry-After` too. The subject is the caller's API
key when it presents a valid one, and its client address otherwise (anonymous reads, and
requests whose key the routes will refuse). Health probes, /metrics and the document are
not limited: orchestrators and scrapers must always get through.
"""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import TooManyRequests, problem_response
from app.keys.auth import presented_key
from app.ratelimits.limiter import NOT_MODIFIED_COST, REQUEST_COST, Limiter
from app.settings import Settings

LIMITED_PREFIX = "/v1/"


class RateLimits:
    def __init__(self, app: ASGIApp, limiter: Limiter, settings: Settings) -> None:
        self.app = app
        self.limiter = limiter
        self.per_key = settings.rate_limit_per_key
        self.per_address = settings.rate_limit_per_address

    def _subject(self, scope: Scope) -> tuple[str, int]:
        key = presented_key(scope)
        if key is not None:
            return f"key:{key.id}", self.per_key
        client = scope.get("client")
        return f"address:{client[0] if client else 'unknown'}", self.per_address

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] == "OPTIONS"
            or not scope["path"].startswith(LIMITED_PREFIX)
        ):
            await self.app(scope, receive, send)
            return
        subject, limit = self._subject(scope)
        standing = self.limiter.standing(subject, limit)
        if standing.exhausted:
            refused = TooManyRequests(
                f"This {subject.partition(':')[0]} may make {limit} requests every "
                f"{self.limiter.window_seconds} s (a 304 counts a quarter); retry in "
                f"{standing.reset_seconds} s.",
            )
            headers = {
                "Retry-After": str(standing.reset_seconds),
                **{name.decode(): value.decode() for name, value in standing.headers()},
            }
            await problem_response(refused.to_problem(), headers)(scope, receive, send)
            return

        async def counted(message: Message) -> None:
            if message["type"] == "http.response.start":
                cost = NOT_MODIFIED_COST if message["status"] == 304 else REQUEST_COST
                self.limiter.charge(subject, cost)
                after = self.limiter.standing(subject, limit)
                message = {**message, "headers": [*message.get("headers", []), *after.headers()]}
            await send(message)

        await self.app(scope, receive, counted)
