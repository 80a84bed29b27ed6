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
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from app.cli import alembic_config
from app.db import make_engine
from app.main import create_app
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
    return Settings(database_url=database_url, cursor_secret="test-secret")


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings.database_url, lock_timeout_ms=settings.lock_timeout_ms)
    yield engine
    engine.dispose()


@pytest.fixture
def client(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(settings, engine), raise_server_exceptions=False) as client:
        yield client
