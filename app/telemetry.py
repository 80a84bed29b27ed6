"""What operators see of each request: its id, one log line, and Prometheus metrics.

Every answer carries `X-Request-Id`: the client's own when it sent a sane one (so a proxy's
id follows the request through), a fresh one otherwise. Each request is logged once, as
one JSON line (method, route template, status, duration, request id) on stdout; uvicorn's
own access line is off by default (settings.access_log), since this one says more. Lines
are written in batches, at most 50 ms after their request: through `logging`, a line cost
more than the claim lookup it logs (about 70 µs against 55 µs, measured in-process).
Requests are counted and timed by route template (not by path: ids would make
one series per resource) and status; `GET /metrics` adds the database pool's use and the
change feed's last sequence, read when scraped.

The layer runs outside every other one, so the pre-routing answers of app/fastpath.py are
counted like routed ones (they record the route they answered for).
"""

import asyncio
import itertools
import os
import re
import sys
import time
from bisect import bisect_left
from collections.abc import Iterator
from math import inf
from typing import Any, TextIO

import orjson
from prometheus_client import CollectorRegistry, Gauge
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import log_crash, server_error

REQUEST_ID_HEADER = b"x-request-id"
# An id from the client is kept when it is short and plain (it lands in logs and headers).
_SANE_ID = re.compile(rb"[A-Za-z0-9._:\-]{1,128}")
# From a 304 (~100 µs) to a slow scan; Prometheus' default buckets start at 5 ms.
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)
UNMATCHED = "unmatched"  # no route: one series for every unknown path


class RequestSeries:
    """The count and latency histogram of one (method, route, status), kept as plain
    numbers: the event loop is the only writer, so no lock is needed. prometheus-client's
    own Counter and Histogram take a lock per update (about 6 µs a request here)."""

    __slots__ = ("buckets", "count", "total")

    def __init__(self) -> None:
        self.buckets = [0] * (len(LATENCY_BUCKETS) + 1)  # the last is +Inf
        self.count = 0
        self.total = 0.0

    def observe(self, seconds: float) -> None:
        self.buckets[bisect_left(LATENCY_BUCKETS, seconds)] += 1
        self.count += 1
        self.total += seconds


class RequestCollector(Collector):
    """Exports the request series at scrape time."""

    def __init__(self, series: dict[tuple[str, str, int], RequestSeries]) -> None:
        self.series = series

    def collect(self) -> Iterator[Metric]:
        labels = ["method", "route", "status"]
        requests = CounterMetricFamily("claims_http_requests", "Requests answered.", labels=labels)
        latency = HistogramMetricFamily(
            "claims_http_request_duration_seconds", "Time to answer a request.", labels=labels
        )
        for (method, route, status), series in list(self.series.items()):
            values = [method, route, str(status)]
            requests.add_metric(values, series.count)
            cumulative, buckets = 0, []
            for bound, count in zip([*LATENCY_BUCKETS, inf], series.buckets, strict=True):
                cumulative += count
                buckets.append(("+Inf" if bound == inf else str(float(bound)), cumulative))
            latency.add_metric(values, buckets, series.total)
        yield requests
        yield latency


class Metrics:
    """The app's metrics, in a registry of its own (two apps in a process stay apart)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.series: dict[tuple[str, str, int], RequestSeries] = {}
        self.registry.register(RequestCollector(self.series))
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
        # A count since the process started; a gauge because it is read from
        # app.changes.service when scraped, not counted here.
        self.feed_waiting_reads = Gauge(
            "claims_change_feed_waiting_reads",
            "Counter reads made by waiting long polls (GET /v1/changes?wait=N) since start.",
            registry=self.registry,
        )

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        series = self.series.get(key)
        if series is None:
            series = self.series[key] = RequestSeries()
        series.observe(seconds)

    def read_pool(self, engine: Engine) -> None:
        pool: Any = engine.pool
        if hasattr(pool, "checkedout"):
            self.pool_in_use.set(pool.checkedout())
        if hasattr(pool, "size"):
            self.pool_size.set(pool.size())


class RequestLog:
    """One JSON line per request, written in batches to a stream (stdout by default, looked
    up when written, so a replaced sys.stdout is honoured)."""

    FLUSH_AFTER_S = 0.05
    FLUSH_AT_LINES = 512

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream
        self.pending: list[str] = []
        self._scheduled = False

    def record(self, line: dict[str, Any]) -> None:
        self.pending.append(orjson.dumps(line).decode())
        if len(self.pending) >= self.FLUSH_AT_LINES:
            self.flush()
        elif not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_later(self.FLUSH_AFTER_S, self.flush)

    def flush(self) -> None:
        self._scheduled = False
        if not self.pending:
            return
        lines, self.pending = self.pending, []
        stream = self.stream or sys.stdout
        stream.write("\n".join(lines) + "\n")
        stream.flush()


# Generated ids: a random prefix per process and a counter, unique without the cost of a
# UUID per request (uuid4 took 9 µs here, a fifth of a claim lookup).
_PROCESS_PREFIX = os.urandom(8).hex()
_generated = itertools.count(1)


def _request_id(scope: Scope) -> bytes:
    for name, value in scope["headers"]:
        if name == REQUEST_ID_HEADER:
            if _SANE_ID.fullmatch(value):
                return bytes(value)
            break
    return f"{_PROCESS_PREFIX}-{next(_generated):x}".encode()


def route_template(scope: Scope) -> str:
    route = scope.get("route")
    if route is None and "endpoint" in scope:
        # Plain Starlette routes (the document and its viewers) record only their endpoint.
        endpoint = scope["endpoint"]
        route = next(
            (r for r in scope["app"].routes if getattr(r, "endpoint", None) is endpoint), None
        )
    return str(getattr(route, "path", UNMATCHED)) if route is not None else UNMATCHED


class RequestTelemetry:
    """Request id, log line and metrics of every HTTP request (see the module docstring)."""

    def __init__(self, app: ASGIApp, metrics: Metrics, log: RequestLog) -> None:
        self.app = app
        self.metrics = metrics
        self.log = log

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
        self.log.record(
            {
                "method": method,
                "route": route,
                "path": scope["path"],
                "status": status,
                "duration_ms": round(seconds * 1000, 3),
                "request_id": request_id.decode(),
            }
        )
