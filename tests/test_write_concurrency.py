"""Writers racing each other: one wins, the other learns why, and nothing is half-written."""

import functools
import threading
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from app.claims import service as claims
from app.db import make_engine, write_session
from app.errors import PreconditionFailed
from app.main import create_app
from app.settings import Settings
from tests.conftest import ON_POSTGRES, admin_headers
from tests.db_state import row_counts
from tests.factories import World, source_body


def _race(*calls: Callable[[], Any]) -> list[Any]:
    """Run calls at the same moment in threads; return each result or exception."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            results[index] = call()
        except Exception as exc:  # the race's outcome is what the test inspects
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_two_updates_with_the_same_etag_exactly_one_wins(
    client: TestClient, engine: Engine
) -> None:
    world = World(client)
    claim_id = world.claim["id"]
    for round_number in range(5):
        etag = client.get(f"/v1/claims/{claim_id}").headers["etag"]
        before = row_counts(engine)

        def update(statement: str, etag: str = etag) -> str:
            with write_session(engine) as session:
                return claims.update_claim(
                    session, claim_id, {"statement": statement}, etag, None
                ).statement

        results = _race(
            functools.partial(update, f"A{round_number}"),
            functools.partial(update, f"B{round_number}"),
        )

        winners = [r for r in results if isinstance(r, str)]
        losers = [r for r in results if isinstance(r, PreconditionFailed)]
        assert len(winners) == 1, results
        assert len(losers) == 1, results
        after = row_counts(engine)
        assert after["revision"] == before["revision"] + 1
        assert client.get(f"/v1/claims/{claim_id}").json()["statement"] == winners[0]


def test_concurrent_creates_get_distinct_consecutive_sequence_numbers(
    client: TestClient, engine: Engine
) -> None:
    World(client)
    start = row_counts(engine)["last_seq"]

    def create_sources() -> None:
        for i in range(10):
            response = client.post(
                "/v1/sources", json=source_body(title=f"T{i}", allow_duplicate_source=True)
            )
            assert response.status_code == 201

    _race(create_sources, create_sources, create_sources)

    with engine.connect() as connection:
        seqs = [
            row[0]
            for row in connection.execute(
                text("SELECT seq FROM revision WHERE seq > :s ORDER BY seq"), {"s": start}
            )
        ]
    assert seqs == list(range(start + 1, start + 31))


def test_a_write_that_cannot_get_the_lock_is_503_with_retry_after(database_url: str) -> None:
    settings = Settings(database_url=database_url, lock_timeout_ms=200)
    engine = make_engine(settings.database_url, lock_timeout_ms=settings.lock_timeout_ms)
    blocker = make_engine(settings.database_url)
    with TestClient(
        create_app(settings, engine),
        raise_server_exceptions=False,
        headers=admin_headers(engine, settings),
    ) as client:
        world = World(client)
        path = f"/v1/claims/{world.claim['id']}"
        etag = client.get(path).headers["etag"]
        before = row_counts(engine)
        with blocker.connect() as connection:
            # Hold the lock every write needs: SQLite's write lock, or the counter row.
            if ON_POSTGRES:
                connection.execute(text("SELECT * FROM revision_counter FOR UPDATE"))
            else:
                connection.execute(text("UPDATE revision_counter SET last_seq = last_seq"))

            response = client.patch(
                path,
                json={"statement": "Blocked."},
                headers={"content-type": "application/merge-patch+json", "If-Match": etag},
            )
            connection.rollback()

        assert response.status_code == 503, response.text
        assert response.headers["retry-after"] == "1"
        assert response.headers["content-type"] == "application/problem+json"
        assert row_counts(engine) == before
    engine.dispose()
    blocker.dispose()
