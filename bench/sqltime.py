"""The floor under each endpoint: the time of its own SQL, run in-process on the driver.

The app is built in-process on the same database; a listener records the statements (and
parameters) each request sends to the driver; then those statements are replayed on a raw
DB-API connection, inside one transaction, and timed. The API's p50 at one connection over
this time is how much the HTTP server, routing, validation and answer cost on top of SQL.
"""

import statistics
import time
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, event

from app.db import make_engine
from app.main import create_app
from app.settings import Settings

REPEATS = 20
BUDGET_S = 0.1  # per request: stop repeating after this long (but run it 3 times at least)
CASES = 15
SCENARIO_BUDGET_S = 20.0  # per scenario: fewer cases when each takes seconds (1M facets)


@dataclass(frozen=True)
class SqlTime:
    median_ms: float
    statements: float  # per request, on average

    def as_dict(self) -> dict[str, float]:
        return {"sql_p50_ms": round(self.median_ms, 4), "statements": round(self.statements, 2)}


Captured = list[tuple[str, Any]]


def _capture(engine: Engine) -> tuple[Captured, Any]:
    captured: Captured = []

    def record(
        _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, many: bool
    ) -> None:
        if not many and statement.lstrip().upper().startswith(("SELECT", "WITH")):
            captured.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    return captured, record


def _replay(engine: Engine, statements: Captured) -> float:
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        timings: list[float] = []
        # At least once; three times unless that takes seconds; more while under budget.
        while not timings or (
            len(timings) < REPEATS
            and (sum(timings) < BUDGET_S or (len(timings) < 3 and sum(timings) < 2))
        ):
            started = time.perf_counter()
            if engine.dialect.name == "sqlite":
                cursor.execute("BEGIN")
            for statement, parameters in statements:
                cursor.execute(statement, parameters)
                cursor.fetchall()
            if engine.dialect.name == "sqlite":
                cursor.execute("COMMIT")
            else:
                connection.rollback()
            timings.append(time.perf_counter() - started)
        cursor.close()
        return statistics.median(timings)
    finally:
        connection.close()


def measure(
    database_url: str, cursor_secret: str, scenario_paths: dict[str, list[tuple[str, str]]]
) -> dict[str, SqlTime]:
    """Per scenario, the median SQL time of its requests (the first `CASES` of them)."""
    engine = make_engine(database_url)
    settings = Settings(database_url=database_url, cursor_secret=cursor_secret)
    captured, record = _capture(engine)
    results: dict[str, SqlTime] = {}
    try:
        with TestClient(create_app(settings, engine)) as client:
            for name, requests in scenario_paths.items():
                per_request: list[float] = []
                counts: list[int] = []
                started = time.perf_counter()
                for path, etag in requests[:CASES]:
                    if per_request and time.perf_counter() - started > SCENARIO_BUDGET_S:
                        break
                    captured.clear()
                    headers = {"If-None-Match": etag} if etag else {}
                    answer = client.get(path, headers=headers)
                    if answer.status_code not in (200, 304):
                        raise RuntimeError(f"in-process {path}: {answer.status_code}")
                    statements = list(captured)
                    counts.append(len(statements))
                    per_request.append(_replay(engine, statements))
                results[name] = SqlTime(
                    median_ms=statistics.median(per_request) * 1000,
                    statements=statistics.mean(counts),
                )
    finally:
        event.remove(engine, "before_cursor_execute", record)
        engine.dispose()
    return results
