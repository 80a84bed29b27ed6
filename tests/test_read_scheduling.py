"""A read that scans (a list, facets, a search) runs off the event loop, so a slow one does
not hold up the keyed reads that arrive meanwhile; keyed reads stay inline."""

import asyncio
import time
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from app.claims import queries
from app.main import create_app
from app.settings import Settings
from tests.factories import World

SLOW_SECONDS = 1.0


def test_slow_list_does_not_stall_a_lookup(
    client: TestClient, settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = World(client)
    claim_rows = queries.claim_rows

    def slow_list(*args: Any, **kwargs: Any) -> queries.ClaimRows:
        time.sleep(SLOW_SECONDS)  # blocks whatever thread runs it, like a long scan
        return claim_rows(*args, **kwargs)

    monkeypatch.setattr(queries, "claim_rows", slow_list)
    app = create_app(settings, engine)
    finished: list[str] = []

    async def get(http: httpx.AsyncClient, name: str, path: str, delay: float) -> None:
        await asyncio.sleep(delay)
        response = await http.get(path)
        assert response.status_code == 200, response.text
        finished.append(name)

    async def both() -> float:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as http:
            started = time.monotonic()
            await asyncio.gather(
                get(http, "list", "/v1/claims", 0),
                get(http, "lookup", f"/v1/claims/{world.claim['id']}", 0.1),
            )
            return time.monotonic() - started

    elapsed = asyncio.run(both())
    assert elapsed >= SLOW_SECONDS
    assert finished == ["lookup", "list"]
