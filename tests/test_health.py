"""Probes: liveness needs nothing, readiness needs the database."""

from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings


def test_live_and_ready(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ok"}


def test_not_ready_without_a_database() -> None:
    missing = Settings(database_url="postgresql+psycopg://nobody@127.0.0.1:1/none")
    with TestClient(create_app(missing), raise_server_exceptions=False) as client:
        live = client.get("/healthz")
        ready = client.get("/readyz")

    assert live.status_code == 200
    assert ready.status_code == 503
    assert ready.headers["content-type"] == "application/problem+json"
    assert ready.headers["retry-after"] == "5"
