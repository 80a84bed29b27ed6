"""Alembic environment: the database comes from DATABASE_URL, like the app's."""

from alembic import context
from sqlalchemy import Connection, text
from sqlmodel import SQLModel

import app.models  # noqa: F401 - registers every table on the metadata
from app.db import make_engine
from app.settings import get_settings

# Objects created by hand in migrations for one dialect (full-text tables and their
# triggers) are not in the metadata; keep them out of autogenerate's comparison.
HAND_MADE_PREFIXES = ("claim_fts",)
# Any constant works; it only has to be the same in every replica.
MIGRATION_LOCK_KEY = 7_301_946_202


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    return not (reflected and name is not None and name.startswith(HAND_MADE_PREFIXES))


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        include_object=include_object,
        compare_type=True,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Replicas starting together queue here instead of racing the same DDL.
            connection.execute(text(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})"))
        context.run_migrations()


def run_migrations_online() -> None:
    url = context.config.attributes.get("database_url") or get_settings().database_url
    engine = make_engine(url)
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


run_migrations_online()
