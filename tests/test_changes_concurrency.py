"""The feed under concurrent writers: a poller sees every revision once, in order, no gaps.

Runs on SQLite (writers serialised by BEGIN IMMEDIATE) and, with TEST_DATABASE_URL, on
PostgreSQL (writers interleave; sequence numbers come from the counter row, in commit order).
"""

import random
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from app.actors import service as actors
from app.claims import service as claims
from app.claims.schemas import ClaimCreate
from app.db import write_session
from app.ids import new_id
from app.main import create_app
from app.models import EntityType, Operation
from app.revisions.service import Author, append_revision
from app.settings import Settings
from tests.conftest import ON_POSTGRES, admin_headers
from tests.factories import World, claim_body

WRITERS = 4
CLAIMS_PER_WRITER = 3
UPDATES_PER_WRITER = 12


def _run_all(workers: list[Callable[[], None]]) -> list[BaseException]:
    """Run each worker in a thread; return what they raised."""
    errors: list[BaseException] = []

    def guarded(work: Callable[[], None]) -> None:
        try:
            work()
        except BaseException as exc:  # reported by the test, not lost in a thread
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(work,)) for work in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a worker hung"
    return errors


def _table(engine: Engine) -> list[tuple[int, str]]:
    with engine.connect() as connection:
        # Keys' changes (the clients' own keys) are not in the unfiltered feed.
        rows = connection.execute(
            text("SELECT seq, entity_type FROM revision WHERE entity_type != 'key' ORDER BY seq")
        )
        return [(int(seq), str(kind)) for seq, kind in rows]


class Poller:
    """Follows the feed from the beginning with small pages, checking each as it comes."""

    def __init__(self, client: TestClient, after: int = 0, **params: Any) -> None:
        self.client = client
        self.after = after  # the changes before it are not the feed's (the client's key)
        self.params = {"limit": 7, **params}
        self.seen: list[int] = []
        self.dense = "entity_type" not in params
        self.requests = 0

    def poll_once(self) -> int:
        response = self.client.get("/v1/changes", params=self.params)
        assert response.status_code == 200, response.text
        self.requests += 1
        page = response.json()
        sequence = [change["seq"] for change in page["data"]]
        for seq in sequence:
            last = self.seen[-1] if self.seen else self.after
            assert seq > last, f"out of order: {seq} after {last}"
            if self.dense:
                # Numbers are dense (a rolled-back write returns its number), so the
                # unfiltered feed must go up by exactly one: a jump is a change not yet
                # visible when a later one was, i.e. a hole that would later fill.
                assert seq == last + 1, f"hole: {seq} after {last}"
            self.seen.append(seq)
        self.params["after"] = page["next_cursor"]
        return len(sequence)

    def follow_until(self, done: threading.Event) -> None:
        while not done.is_set():
            if not self.poll_once():
                time.sleep(0.005)
        while self.poll_once():  # drain what committed before `done`
            pass


def _writer(engine: Engine, body: dict[str, Any], seed: int) -> Callable[[], None]:
    def write() -> None:
        rng = random.Random(seed)
        ids = []
        for _ in range(CLAIMS_PER_WRITER):
            with write_session(engine) as session:
                ids.append(
                    claims.create_claim(session, ClaimCreate(**body), who=Author(f"w{seed}")).id
                )
        for _ in range(UPDATES_PER_WRITER):
            with write_session(engine) as session:
                claims.update_claim(
                    session,
                    rng.choice(ids),
                    {"confidence": round(rng.random(), 3)},
                    if_match="*",
                    who=Author(f"w{seed}"),
                )

    return write


def test_pollers_see_every_revision_once_in_order(settings: Settings, engine: Engine) -> None:
    headers = admin_headers(engine, settings)  # sequence 1
    with TestClient(create_app(settings, engine), headers=headers) as setup:
        world = World(setup)
    body = claim_body(world.source["id"], world.actor["id"])
    done = threading.Event()
    with (
        TestClient(create_app(settings, engine), headers=headers) as first,
        TestClient(create_app(settings, engine), headers=headers) as second,
    ):
        everything = Poller(first, after=1)
        claims_only = Poller(second, entity_type="claim", fields="ids")
        pollers = [everything.follow_until, claims_only.follow_until]
        poll_threads = [threading.Thread(target=p, args=(done,)) for p in pollers]
        for thread in poll_threads:
            thread.start()
        try:
            errors = _run_all([_writer(engine, body, seed) for seed in range(WRITERS)])
        finally:
            done.set()
            for thread in poll_threads:
                thread.join(timeout=60)
    assert not errors, errors
    table = _table(engine)
    assert len(table) == 3 + WRITERS * (CLAIMS_PER_WRITER + UPDATES_PER_WRITER)
    assert everything.seen == [seq for seq, _ in table]
    assert claims_only.seen == [seq for seq, kind in table if kind == "claim"]
    # The pollers really ran alongside the writers, not only after them.
    assert everything.requests > 5


def test_a_reader_that_has_seen_n_has_seen_everything_below(engine: Engine) -> None:
    """Writers hold their sequence number for a while before committing; a reader looking
    at the log in single statements must never find the counter or the highest number
    ahead of what is visible below it."""
    stop = threading.Event()
    looks: list[tuple[int, int, int]] = []

    def write(seed: int) -> Callable[[], None]:
        def run() -> None:
            rng = random.Random(seed)
            for _ in range(25):
                with write_session(engine) as session:
                    append_revision(
                        session, EntityType.claim, new_id(), 1, Operation.created, {}, None
                    )
                    time.sleep(rng.uniform(0, 0.004))  # commit late: the window for a hole
                    if rng.random() < 0.2:
                        session.rollback()  # a number taken and given back
                    else:
                        session.commit()

        return run

    def read() -> None:
        statement = text(
            "SELECT (SELECT last_seq FROM revision_counter), "
            "(SELECT count(*) FROM revision), (SELECT coalesce(max(seq), 0) FROM revision)"
        )
        while not stop.is_set():
            with engine.connect() as connection:
                counter, count, highest = connection.execute(statement).one()
            looks.append((int(counter), int(count), int(highest)))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        errors = _run_all([write(seed) for seed in range(WRITERS)])
    finally:
        stop.set()
        reader.join(timeout=30)
    assert not errors, errors
    assert len(looks) > 20
    holes = [look for look in looks if not look[0] == look[1] == look[2]]
    assert not holes, holes[:5]
    with engine.connect() as connection:
        counter = connection.execute(text("SELECT last_seq FROM revision_counter")).scalar_one()
    assert [seq for seq, _ in _table(engine)] == list(range(1, counter + 1))
    assert max(look[0] for look in looks) <= counter


def test_renaming_an_actor_while_its_claims_change_does_not_deadlock(
    settings: Settings, engine: Engine
) -> None:
    with TestClient(create_app(settings, engine), headers=admin_headers(engine, settings)) as setup:
        world = World(setup)
    body = claim_body(world.source["id"], world.actor["id"])
    with write_session(engine) as session:
        claim_ids = [claims.create_claim(session, ClaimCreate(**body), who=None).id]
    with write_session(engine) as session:
        claim_ids.append(claims.create_claim(session, ClaimCreate(**body), who=None).id)

    def update(claim_id: str) -> Callable[[], None]:
        def run() -> None:
            for step in range(6):
                with write_session(engine) as session:
                    claims.update_claim(
                        session, claim_id, {"confidence": step / 10}, if_match="*", who=None
                    )

        return run

    def rename() -> None:
        for step in range(6):
            with write_session(engine) as session:
                actors.update_actor(
                    session, world.actor["id"], {"name": f"DPRK {step}"}, if_match="*", who=None
                )

    errors = _run_all([rename, *(update(claim_id) for claim_id in claim_ids)])
    assert not errors, [repr(error)[:300] for error in errors]
    with TestClient(
        create_app(settings, engine), headers=admin_headers(engine, settings)
    ) as client:
        for claim_id in claim_ids:
            document = client.get(f"/v1/claims/{claim_id}").json()
            assert document["actors"][0]["name"] == "DPRK 5"


@pytest.mark.skipif(not ON_POSTGRES, reason="needs concurrent writers (PostgreSQL)")
def test_the_hole_check_catches_numbers_taken_out_of_commit_order(engine: Engine) -> None:
    """Control: with numbers from a database sequence (taken early, committed late), the same
    reader does see holes; the check above is not vacuous."""
    with engine.begin() as connection:
        connection.execute(text("CREATE SEQUENCE control_seq"))
        connection.execute(text("CREATE TABLE control_log (seq bigint PRIMARY KEY)"))
    stop = threading.Event()
    holes: list[tuple[int, int]] = []

    def write(seed: int) -> Callable[[], None]:
        def run() -> None:
            rng = random.Random(seed)
            while not stop.is_set():
                with engine.begin() as connection:
                    seq = connection.execute(text("SELECT nextval('control_seq')")).scalar_one()
                    time.sleep(rng.uniform(0, 0.004))
                    connection.execute(text("INSERT INTO control_log VALUES (:s)"), {"s": seq})

        return run

    def read() -> None:
        statement = text("SELECT count(*), coalesce(max(seq), 0) FROM control_log")
        deadline = time.monotonic() + 10
        while not holes and time.monotonic() < deadline:
            with engine.connect() as connection:
                count, highest = connection.execute(statement).one()
            if count != highest:
                holes.append((int(count), int(highest)))
        stop.set()

    errors = _run_all([read, *(write(seed) for seed in range(WRITERS))])
    assert not errors, errors
    assert holes, "no hole seen: the check would not catch out-of-order numbering"
