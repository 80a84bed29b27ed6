"""The README's example lines answer what their comments say, on the seeded data."""

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from app.seeding import load_seeds

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = re.compile(
    r"^# (?P<what>.+?) → (?P<expect>.+)\ncurl -s '?(?P<url>http://127\.0\.0\.1:8000[^'\s]+)'?$",
    re.MULTILINE,
)
SEEDED_PREFIX = "0190a000-0000-7000-8000-000000000"


def _examples() -> list[tuple[str, str, str]]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return [(m["what"], m["expect"], m["url"]) for m in EXAMPLE.finditer(readme)]


def test_the_readme_has_examples() -> None:
    assert len(_examples()) >= 12


@pytest.fixture
def seeded(client: TestClient, engine: Engine) -> TestClient:
    load_seeds(engine, ROOT / "seeds")
    return client


@pytest.mark.parametrize(("what", "expect", "url"), _examples(), ids=lambda v: v[:40])
def test_readme_example(seeded: TestClient, what: str, expect: str, url: str) -> None:
    parts = urlsplit(url)
    response = seeded.get(parts.path + (f"?{parts.query}" if parts.query else ""))

    if expect.isdigit():
        assert response.status_code == int(expect), (what, response.text)
        return
    assert response.status_code == 200, (what, response.text)
    kind, _, numbers = expect.partition(" ")
    wanted = [SEEDED_PREFIX + number.strip() for number in numbers.split(",")]
    body = response.json()
    found = [item["id"] for item in body["data"]] if "data" in body else [body["id"]]
    assert kind in {"claim", "claims", "actors"}, expect
    assert found == wanted, what
