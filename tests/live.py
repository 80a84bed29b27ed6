"""A live API server for the generated-client tests, and the data they read and write.

The server is uvicorn in a process of its own on a free loopback port, with a database of
its own, as users run it. Writes need an API key: `server_key` issues one in the server's
database (as `claims keys create` does), and the data is made with plain HTTP under it, so a
client under test only has to do its own calls (with the key, as its bearer token).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from app.db import make_engine
from app.models import Role
from app.settings import Settings
from bench.servers import api_process
from tests.conftest import issue_key
from tests.factories import actor_body, claim_body, source_body

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "openapi" / "openapi.json"


@contextmanager
def running_server(settings: Settings, log_dir: Path) -> Iterator[str]:
    """Serve the app until the block ends; yield its base URL."""
    with api_process(settings.database_url, settings.cursor_secret, log_dir) as server:
        try:
            yield server.base_url
        finally:
            # The server's tracebacks are in its log, not in this process: print it so that
            # pytest shows it beside a failure (it shows captured output only then).
            print(server.log_path.read_text(errors="replace"))


def server_key(settings: Settings, name: str, role: Role = Role.admin) -> str:
    """The secret of a new key (an admin's unless `role` says otherwise), issued in the
    database the server of `settings` uses."""
    engine = make_engine(settings.database_url, lock_timeout_ms=settings.lock_timeout_ms)
    try:
        return issue_key(engine, settings, name, role)
    finally:
        engine.dispose()


@dataclass(frozen=True)
class Claims:
    """Two published claims with dates of kind `occurred`, the later one created first."""

    later: dict[str, Any]
    earlier: dict[str, Any]


def make_claims(base_url: str, key: str) -> Claims:
    """The claims, written with `key` (an admin's: they are created `published`)."""
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=60) as http:

        def create(path: str, body: dict[str, Any]) -> dict[str, Any]:
            answer = http.post(path, json=body)
            assert answer.status_code == 201, answer.text
            created: dict[str, Any] = answer.json()
            return created

        source = create("/v1/sources", source_body())
        actor = create("/v1/actors", actor_body())
        later = create("/v1/claims", claim_body(source["id"], actor["id"]))
        earlier = create(
            "/v1/claims",
            claim_body(
                source["id"],
                actor["id"],
                statement="North Korea recognised the republics, as reported in 2019.",
                dates=[{"kind": "occurred", "value": "2019-12"}],
            ),
        )
    return Claims(later=later, earlier=earlier)
