"""The committed `openapi/openapi.json` is exactly what the app serves.

SDKs are generated from the committed file: a route change without `make openapi` fails
here instead of shipping clients that disagree with the server.
"""

import json
from pathlib import Path

from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings

COMMITTED = Path(__file__).resolve().parent.parent / "openapi" / "openapi.json"


def test_committed_document_is_the_served_one(settings: Settings) -> None:
    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))
    assert committed == create_app(settings).openapi(), (
        "openapi/openapi.json is out of date: run `make openapi` and commit the result"
    )


def test_the_document_is_served(client: TestClient) -> None:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    assert response.json() == json.loads(COMMITTED.read_text(encoding="utf-8"))
