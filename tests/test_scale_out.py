"""Two API processes on one PostgreSQL database behave as one.

PostgreSQL only: it is the scale-out deployment (several processes behind a load balancer),
and the commit notices that wake long polls across processes are PostgreSQL's LISTEN/NOTIFY.
On SQLite the test is skipped; there one process serves (several on one file still share
rate limit counts and find new commits by polling, which tests/test_changes.py covers).
"""

import re
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.models import Role
from app.settings import Settings
from bench.servers import Server, api_process
from tests.conftest import ON_POSTGRES
from tests.factories import PASSAGE, source_body
from tests.live import server_key

pytestmark = pytest.mark.skipif(
    not ON_POSTGRES, reason="two API processes share one database on PostgreSQL only"
)
# Limits for the test's keys: the admin's setup stays far below; the reader exhausts its own.
PER_KEY = 40
WINDOW_SECONDS = 3600


@pytest.fixture
def pair(settings: Settings, tmp_path: Path) -> Iterator[tuple[Server, Server]]:
    # A window must not end during the test (windows are aligned to the clock).
    if WINDOW_SECONDS - time.time() % WINDOW_SECONDS < 120:
        time.sleep(WINDOW_SECONDS - time.time() % WINDOW_SECONDS + 1)
    limits = {
        "RATE_LIMIT_PER_KEY": str(PER_KEY),
        "RATE_LIMIT_WINDOW_SECONDS": str(WINDOW_SECONDS),
    }
    with ExitStack() as stack:
        servers = [
            stack.enter_context(
                api_process(
                    settings.database_url,
                    settings.cursor_secret,
                    tmp_path,
                    rate_limits=True,
                    extra_env=limits,
                    name=name,
                )
            )
            for name in ("api-a", "api-b")
        ]
        try:
            yield servers[0], servers[1]
        finally:
            for server in servers:
                print(server.log_path.read_text(errors="replace")[-4000:])


def _client(server: Server, secret: str) -> httpx.Client:
    return httpx.Client(
        base_url=server.base_url, headers={"Authorization": f"Bearer {secret}"}, timeout=60
    )


def _waiting_reads(server: Server) -> int:
    metrics = httpx.get(server.base_url + "/metrics").text
    found = re.search(r"^claims_change_feed_waiting_reads (\S+)$", metrics, re.MULTILINE)
    assert found, metrics
    return int(float(found.group(1)))


def _source(tag: str) -> dict[str, Any]:
    return source_body(text=f"{PASSAGE} ({tag})")


def test_a_long_poll_on_one_wakes_within_a_second_of_a_write_through_the_other(
    settings: Settings, pair: tuple[Server, Server]
) -> None:
    a, b = pair
    admin = server_key(settings, "pair-admin")
    with _client(a, admin) as on_a, _client(b, admin) as on_b:
        cursor = on_a.get("/v1/changes").json()["next_cursor"]
        woken: dict[str, Any] = {}

        def poll() -> None:
            answer = on_a.get("/v1/changes", params={"after": cursor, "wait": 20})
            woken["at"], woken["answer"] = time.monotonic(), answer

        poller = threading.Thread(target=poll)
        poller.start()
        time.sleep(1.5)  # the poll is waiting
        created = on_b.post("/v1/sources", json=_source("wake"))
        written = time.monotonic()
        assert created.status_code == 201
        poller.join(timeout=30)
        assert woken["at"] - written < 1.0
        changes = woken["answer"].json()["data"]
        assert [(c["entity_id"], c["operation"]) for c in changes] == [
            (created.json()["id"], "created")
        ]
        assert changes[0]["snapshot"] == created.json()


def test_an_idle_long_poll_costs_at_most_one_query_a_second(
    settings: Settings, pair: tuple[Server, Server]
) -> None:
    a, b = pair
    admin = server_key(settings, "idle-admin")
    with _client(a, admin) as on_a:
        cursor = on_a.get("/v1/changes").json()["next_cursor"]
        before = (_waiting_reads(a), _waiting_reads(b))
        started = time.monotonic()
        # Five dashboards waiting at once on A, for four seconds, with nothing written.
        polls = [
            threading.Thread(
                target=lambda: on_a.get("/v1/changes", params={"after": cursor, "wait": 4})
            )
            for _ in range(5)
        ]
        for poll in polls:
            poll.start()
        for poll in polls:
            poll.join(timeout=30)
        seconds = time.monotonic() - started
        after = (_waiting_reads(a), _waiting_reads(b))
    assert after[0] - before[0] <= seconds + 1, (before, after, seconds)
    assert after[0] > before[0]  # the count is real: the waits did look
    assert after[1] == before[1]  # B had no waiting poll


def test_etags_cursors_lists_and_replays_agree_across_the_two(
    settings: Settings, pair: tuple[Server, Server]
) -> None:
    a, b = pair
    admin = server_key(settings, "agree-admin")
    with _client(a, admin) as on_a, _client(b, admin) as on_b:
        # An idempotent create through A is replayed by B, byte for byte.
        headers = {"Idempotency-Key": "across"}
        first = on_a.post("/v1/sources", json=_source("one"), headers=headers)
        replay = on_b.post("/v1/sources", json=_source("one"), headers=headers)
        assert first.status_code == replay.status_code == 201
        assert replay.content == first.content
        assert replay.headers["idempotent-replayed"] == "true"
        assert {h: replay.headers[h] for h in ("location", "etag", "content-type")} == {
            h: first.headers[h] for h in ("location", "etag", "content-type")
        }
        assert on_b.post("/v1/sources", json=_source("two"), headers=headers).status_code == 422
        # A concurrent pair, one request to each process: one row.
        answers: list[httpx.Response] = []
        barrier = threading.Barrier(2)

        def post(client: httpx.Client) -> None:
            barrier.wait()
            answers.append(
                client.post("/v1/sources", json=_source("pair"), headers={"Idempotency-Key": "p"})
            )

        threads = [threading.Thread(target=post, args=(c,)) for c in (on_a, on_b)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        statuses = sorted(answer.status_code for answer in answers)
        assert statuses in ([201, 201], [201, 409]), [a.text for a in answers]
        if statuses == [201, 201]:
            assert answers[0].content == answers[1].content
        on_a.post("/v1/sources", json=_source("three"))
        # Lists, their ETags and cursors: the same on both, and each accepts the other's.
        pages = [client.get("/v1/sources", params={"limit": 2}) for client in (on_a, on_b)]
        assert pages[0].content == pages[1].content
        assert pages[0].headers["etag"] == pages[1].headers["etag"]
        assert len(pages[0].json()["data"]) == 2
        cursor = pages[0].json()["next_cursor"]
        rest = [
            client.get("/v1/sources", params={"limit": 2, "cursor": cursor})
            for client in (on_b, on_a)
        ]
        assert rest[0].content == rest[1].content
        ids = [s["id"] for page in (pages[0], rest[0]) for s in page.json()["data"]]
        assert len(ids) == len(set(ids)) == 3  # "one", "pair" (once) and "three"
        etag = pages[0].headers["etag"]
        assert (
            on_b.get(
                "/v1/sources", params={"limit": 2}, headers={"If-None-Match": etag}
            ).status_code
            == 304
        )
        lookup = first.headers["location"]
        tags = [client.get(lookup).headers["etag"] for client in (on_a, on_b)]
        assert tags[0] == tags[1] == first.headers["etag"]
        assert on_a.get(lookup, headers={"If-None-Match": tags[1]}).status_code == 304


def test_rate_limits_agree_across_the_two(settings: Settings, pair: tuple[Server, Server]) -> None:
    a, b = pair
    reader = server_key(settings, "pair-reader", Role.reader)
    with _client(a, reader) as on_a, _client(b, reader) as on_b:
        used_on_a = PER_KEY - 10
        for _ in range(used_on_a):
            assert on_a.get("/v1/sources").status_code == 200
        time.sleep(2.5)  # A has written its count, B has read it (each once a second)
        first_on_b = on_b.get("/v1/sources")
        assert first_on_b.headers["ratelimit-remaining"] == str(PER_KEY - used_on_a - 1)
        statuses = [on_b.get("/v1/sources").status_code for _ in range(10)]
        assert statuses == [200] * 9 + [429]
        time.sleep(2.5)
        refused = on_a.get("/v1/sources")
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) >= 1
        assert refused.headers["ratelimit-remaining"] == "0"
