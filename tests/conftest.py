"""Every test gets a database of its own, copied from one migrated template.

SQLite by default; with TEST_DATABASE_URL pointing at a PostgreSQL server, the suite creates
its own template database there (migrated once), clones it per test with
`CREATE DATABASE … TEMPLATE`, and drops everything it created at the end. Nothing left
behind by an earlier run is trusted or reused.
"""

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from app.cli import alembic_config
from app.db import make_engine
from app.keys.schemas import KeyCreate
from app.keys.service import create_key
from app.main import create_app
from app.models import Role
from app.settings import Settings

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
ON_POSTGRES = TEST_DATABASE_URL.startswith("postgresql")
RUN_ID = uuid.uuid4().hex[:8]


def _admin_engine() -> Engine:
    return create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")


def _postgres_url(database: str) -> str:
    return make_url(TEST_DATABASE_URL).set(database=database).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def template_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated, empty database that every test's database is copied from."""
    if ON_POSTGRES:
        name = f"claims_template_{RUN_ID}"
        admin = _admin_engine()
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = _postgres_url(name)
        command.upgrade(alembic_config(url), "head")
        yield url
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    else:
        path = tmp_path_factory.mktemp("template") / "claims.db"
        url = f"sqlite:///{path}"
        command.upgrade(alembic_config(url), "head")
        yield url


@pytest.fixture
def database_url(template_url: str, tmp_path: Path) -> Iterator[str]:
    if ON_POSTGRES:
        name = f"claims_test_{RUN_ID}_{uuid.uuid4().hex[:8]}"
        template = make_url(template_url).database
        admin = _admin_engine()
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
        yield _postgres_url(name)
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    else:
        template_path = make_url(template_url).database
        assert template_path is not None
        path = tmp_path / "claims.db"
        shutil.copyfile(template_path, path)
        yield f"sqlite:///{path}"


@pytest.fixture
def fresh_url(tmp_path: Path) -> Iterator[str]:
    """An empty database, never migrated: for the migration and upgrade tests."""
    if not ON_POSTGRES:
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    name = f"claims_fresh_{RUN_ID}_{uuid.uuid4().hex[:8]}"
    admin = _admin_engine()
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield _postgres_url(name)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def settings(database_url: str) -> Settings:
    # No rate limits: tests make many requests; tests/test_rate_limits.py sets its own.
    return Settings(database_url=database_url, cursor_secret="test-secret", rate_limits=False)


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings.database_url, lock_timeout_ms=settings.lock_timeout_ms)
    yield engine
    engine.dispose()


def issue_key(engine: Engine, settings: Settings, name: str, role: Role) -> str:
    """A key's secret, issued straight through the service (as `claims keys create` does)."""
    with Session(engine) as session:
        _, secret = create_key(
            session, KeyCreate(name=name, role=role), settings.api_key_pepper, None
        )
    return secret


def admin_headers(engine: Engine, settings: Settings) -> dict[str, str]:
    """Headers with a new admin key, for a client a test builds itself."""
    secret = issue_key(engine, settings, f"test-admin-{uuid.uuid4().hex[:8]}", Role.admin)
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def app(settings: Settings, engine: Engine) -> FastAPI:
    return create_app(settings, engine)


def _client(app: FastAPI, secret: str | None) -> Iterator[TestClient]:
    headers = {"Authorization": f"Bearer {secret}"} if secret else {}
    with TestClient(app, raise_server_exceptions=False, headers=headers) as client:
        yield client


@pytest.fixture
def client(app: FastAPI, engine: Engine, settings: Settings) -> Iterator[TestClient]:
    """The default client: an admin's key, so a test may do anything."""
    yield from _client(app, issue_key(engine, settings, "test-admin", Role.admin))


@pytest.fixture
def anonymous(app: FastAPI) -> Iterator[TestClient]:
    yield from _client(app, None)


@pytest.fixture
def reader(app: FastAPI, engine: Engine, settings: Settings) -> Iterator[TestClient]:
    yield from _client(app, issue_key(engine, settings, "test-reader", Role.reader))


@pytest.fixture
def analyst(app: FastAPI, engine: Engine, settings: Settings) -> Iterator[TestClient]:
    yield from _client(app, issue_key(engine, settings, "test-analyst", Role.analyst))


@pytest.fixture
def reviewer(app: FastAPI, engine: Engine, settings: Settings) -> Iterator[TestClient]:
    yield from _client(app, issue_key(engine, settings, "test-reviewer", Role.reviewer))


@pytest.fixture
def second_reviewer(app: FastAPI, engine: Engine, settings: Settings) -> Iterator[TestClient]:
    yield from _client(app, issue_key(engine, settings, "test-reviewer-2", Role.reviewer))
