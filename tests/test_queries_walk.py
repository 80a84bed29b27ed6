"""Walking every page of a large list while another thread inserts claims serves each claim
that existed at the start exactly once, in order."""

import threading
import time
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from app.claims import service as claims
from app.claims.schemas import ClaimCreate
from app.db import write_session
from devtools import bulk
from devtools.generator import EPOCH_MS, Dataset, GeneratedClaim, Generator
from tests.spans import spans

CLAIMS = 5000
PAGE = 37
VISIBLE = {"published", "disputed"}


def _first_occurred(claim: GeneratedClaim) -> date | None:
    """The start of the claim's event span, if it has one."""
    return min((first for first, _ in spans(claim.dates, "occurred")), default=None)


def _expected(dataset: Dataset, sort: str) -> list[str]:
    visible = [claim for claim in dataset.claims if claim.status in VISIBLE]
    if sort == "id":
        return sorted(claim.id for claim in visible)
    placed = [(day, claim.id) for claim in visible if (day := _first_occurred(claim))]
    undated = sorted(claim.id for claim in visible if _first_occurred(claim) is None)
    return [claim_id for _, claim_id in sorted(placed)] + undated


class Inserter(threading.Thread):
    """Inserts claims until stopped: bulk batches whose ids fall after the existing ones
    and (from an older clock) before them, and single claims through the service."""

    def __init__(self, engine: Engine, generator: Generator) -> None:
        super().__init__(daemon=True)
        self.engine = engine
        self.ahead = generator
        self.behind = Generator(seed=99, epoch_ms=EPOCH_MS - 10**9)
        self.behind.actors, self.behind.instruments = generator.actors, generator.instruments
        self.stop = threading.Event()
        self.inserted: list[str] = []
        self.errors: list[BaseException] = []

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                for generator in (self.ahead, self.behind):
                    more = generator.claims(40)
                    bulk.load(self.engine, more, batch_size=20, analyze=False)
                    self.inserted += [claim.id for claim in more.claims]
                self._through_the_service()
                time.sleep(0.005)
        except BaseException as error:  # reported by the test
            self.errors.append(error)

    def _through_the_service(self) -> None:
        more = self.ahead.claims(1)
        bulk.load(self.engine, Dataset(sources=more.sources), analyze=False)
        (claim,) = more.claims
        with write_session(self.engine) as session:
            created = claims.create_claim(session, ClaimCreate.model_validate(claim.body()), None)
        self.inserted.append(created.id)


def _walk(client: TestClient, params: dict[str, Any]) -> list[str]:
    seen: list[str] = []
    cursor = None
    while True:
        response = client.get("/v1/claims", params={**params, "limit": PAGE, "cursor": cursor})
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["data"]) <= PAGE
        seen += [claim["id"] for claim in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return seen


@pytest.mark.parametrize("sort", ["id", "date"])
def test_walk_during_inserts_serves_each_claim_once_in_order(
    client: TestClient, engine: Engine, sort: str
) -> None:
    generator = Generator(seed=2024)
    dataset = generator.reference()
    more = generator.claims(CLAIMS)
    dataset.sources, dataset.claims = more.sources, more.claims
    bulk.load(engine, dataset)
    expected = _expected(dataset, sort)

    inserter = Inserter(engine, generator)
    inserter.start()
    try:
        while len(inserter.inserted) < 40 and not inserter.errors:
            time.sleep(0.01)  # the walk starts with inserts under way
        during = len(inserter.inserted)
        seen = _walk(client, {"sort": sort})
    finally:
        inserter.stop.set()
        inserter.join(timeout=60)
    assert not inserter.errors, inserter.errors
    assert len(inserter.inserted) > during, "no insert happened during the walk"

    pre_existing = set(expected)
    served = [claim_id for claim_id in seen if claim_id in pre_existing]
    assert len(served) == len(set(served)), "a claim was served twice"
    assert served == expected
    assert len(seen) == len(set(seen))
