"""A live API server for the generated-client tests, and the data they read and write.

The server is uvicorn in a process of its own on a free loopback port, with a database of
its own, as users run it. The data is made with plain HTTP, so a client under test only has
to do its own calls.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from app.settings import Settings
from bench.servers import api_process
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


@dataclass(frozen=True)
class Claims:
    """Two published claims with dates of kind `occurred`, the later one created first."""

    later: dict[str, Any]
    earlier: dict[str, Any]


def make_claims(base_url: str) -> Claims:
    with httpx.Client(base_url=base_url, timeout=60) as http:

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
