"""Browser dashboards on a configured origin may read ETags and send conditional requests;
without configured origins the API sends no CORS headers at all."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from app.main import create_app
from app.settings import Settings
from tests.conftest import admin_headers
from tests.factories import World

DASHBOARD = "https://dashboard.example.org"


@pytest.fixture
def cors_client(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    configured = settings.model_copy(update={"cors_origins": [DASHBOARD]})
    with TestClient(
        create_app(configured, engine), headers=admin_headers(engine, configured)
    ) as client:
        yield client


def _preflight(
    client: TestClient, method: str, headers: str, origin: str = DASHBOARD
) -> dict[str, str]:
    """The preflight's status (as `status`) and headers, names in lower case."""
    response = client.options(
        "/v1/claims/some-id",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": headers,
        },
    )
    return {
        "status": str(response.status_code),
        **{k.lower(): v for k, v in response.headers.items()},
    }


def test_preflight_allows_conditional_writes(cors_client: TestClient) -> None:
    answer = _preflight(cors_client, "PATCH", "if-match, content-type")
    assert answer["status"] == "200"
    assert answer["access-control-allow-origin"] == DASHBOARD
    assert "PATCH" in answer["access-control-allow-methods"]
    allowed = {h.strip().lower() for h in answer["access-control-allow-headers"].split(",")}
    assert {"if-match", "if-none-match", "content-type"} <= allowed


def test_preflight_allows_conditional_reads(cors_client: TestClient) -> None:
    answer = _preflight(cors_client, "GET", "if-none-match")
    assert answer["status"] == "200"
    assert answer["access-control-allow-origin"] == DASHBOARD


def test_preflight_from_another_origin_is_refused(cors_client: TestClient) -> None:
    answer = _preflight(cors_client, "PATCH", "if-match", origin="https://evil.example")
    assert answer["status"] == "400"
    assert "access-control-allow-origin" not in answer


def test_responses_expose_the_etag(cors_client: TestClient) -> None:
    world = World(cors_client)
    response = cors_client.get(f"/v1/claims/{world.claim['id']}", headers={"Origin": DASHBOARD})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == DASHBOARD
    exposed = {
        h.strip().lower() for h in response.headers["Access-Control-Expose-Headers"].split(",")
    }
    assert {"etag", "location", "retry-after"} <= exposed
    # A 304 carries them too, so a browser can match its cached copy.
    not_modified = cors_client.get(
        f"/v1/claims/{world.claim['id']}",
        headers={"Origin": DASHBOARD, "If-None-Match": response.headers["ETag"]},
    )
    assert not_modified.status_code == 304
    assert not_modified.headers["Access-Control-Allow-Origin"] == DASHBOARD
    # Errors too, so a dashboard can read the problem document.
    missing = cors_client.get("/v1/claims/nope", headers={"Origin": DASHBOARD})
    assert missing.status_code == 404
    assert missing.headers["Access-Control-Allow-Origin"] == DASHBOARD


def test_no_origins_configured_means_no_cross_origin_access(client: TestClient) -> None:
    world = World(client)
    answer = _preflight(client, "PATCH", "if-match")
    assert answer["status"] != "200"
    assert "access-control-allow-origin" not in answer
    response = client.get(f"/v1/claims/{world.claim['id']}", headers={"Origin": DASHBOARD})
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers


def test_no_origins_configured_means_no_cors_headers_at_all(client: TestClient) -> None:
    world = World(client)
    answer = _preflight(client, "PATCH", "if-match")
    assert not [name for name in answer if name.startswith("access-control-")]
    response = client.get(f"/v1/claims/{world.claim['id']}", headers={"Origin": DASHBOARD})
    assert not [name for name in response.headers if name.lower().startswith("access-control-")]
