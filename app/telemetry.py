"""What operators see of each request: its id, one log line, and Prometheus metrics.

Every answer carries `X-Request-Id`: the client's own when it sent a sane one (so a proxy's
id follows the request through), a fresh one otherwise. Each request is logged once, as
one JSON line (method, route template, status, duration, request id) on the `app.requests`
logger; uvicorn's own access line is off by default (settings.access_log), since this one
says more. Requests are counted and timed by route template (not by path: ids would make
one series per resource) and status; `GET /metrics` adds the database pool's use and the
change feed's last sequence, read when scraped.

The layer runs outside every other one, so the pre-routing answers of app/fastpath.py are
counted like routed ones (they record the route they answered for).
"""

import logging
import re
import time
import uuid
from typing import Any

import orjson
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from sqlalchemy import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import log_crash, server_error

request_log = logging.getLogger("app.requests")

REQUEST_ID_HEADER = b"x-request-id"
# An id from the client is kept when it is short and plain (it lands in logs and headers).
_SANE_ID = re.compile(rb"[A-Za-z0-9._:\-]{1,128}")
# From a 304 (~100 µs) to a slow scan; Prometheus' default buckets start at 5 ms.
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)
UNMATCHED = "unmatched"  # no route: one series for every unknown path


class Metrics:
    """The app's metrics, in a registry of its own (two apps in a process stay apart)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        labels = ("method", "route", "status")
        self.requests = Counter(
            "claims_http_requests", "Requests answered.", labels, registry=self.registry
        )
        self.latency = Histogram(
            "claims_http_request_duration_seconds",
            "Time to answer a request.",
            labels,
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.pool_in_use = Gauge(
            "claims_db_pool_connections_in_use",
            "Database connections checked out of the pool.",
            registry=self.registry,
        )
        self.pool_size = Gauge(
            "claims_db_pool_size", "Connections the pool keeps.", registry=self.registry
        )
        self.last_sequence = Gauge(
            "claims_change_feed_last_sequence",
            "The sequence number of the last committed change (GET /v1/changes).",
            registry=self.registry,
        )
        # Labelled children by label values: finding one through `labels()` costs more than
        # the observation itself.
        self._series: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        series = self._series.get(key)
        if series is None:
            values = (method, route, str(status))
            series = (self.requests.labels(*values), self.latency.labels(*values))
            self._series[key] = series
        series[0].inc()
        series[1].observe(seconds)

    def read_pool(self, engine: Engine) -> None:
        pool: Any = engine.pool
        if hasattr(pool, "checkedout"):
            self.pool_in_use.set(pool.checkedout())
        if hasattr(pool, "size"):
            self.pool_size.set(pool.size())


def _request_id(scope: Scope) -> bytes:
    for name, value in scope["headers"]:
        if name == REQUEST_ID_HEADER:
            if _SANE_ID.fullmatch(value):
                return bytes(value)
            break
    return uuid.uuid4().hex.encode()


def route_template(scope: Scope) -> str:
    route = scope.get("route")
    return str(getattr(route, "path", UNMATCHED)) if route is not None else UNMATCHED


class RequestTelemetry:
    """Request id, log line and metrics of every HTTP request (see the module docstring)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = _request_id(scope)
        status = 500
        started_answer = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, started_answer
            if message["type"] == "http.response.start":
                status, started_answer = message["status"], True
                message["headers"] = [*message.get("headers", ()), (b"x-request-id", request_id)]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            if started_answer:  # too late for a problem document: the server closes it
                raise
            # A crash the app did not answer: the 500 problem, with the request's id.
            log_crash(scope["method"], scope["path"], exc)
            await server_error()(scope, receive, send_with_id)
        finally:
            self._record(scope, status, time.perf_counter() - started, request_id)

    def _record(self, scope: Scope, status: int, seconds: float, request_id: bytes) -> None:
        route = route_template(scope)
        method: str = scope["method"]
        self.metrics.observe(method, route, status, seconds)
        if request_log.isEnabledFor(logging.INFO):
            line = {
                "method": method,
                "route": route,
                "path": scope["path"],
                "status": status,
                "duration_ms": round(seconds * 1000, 3),
                "request_id": request_id.decode(),
            }
            request_log.info(orjson.dumps(line).decode())
