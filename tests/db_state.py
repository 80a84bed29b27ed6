"""Reading the database behind the API, to prove what a request did or did not write."""

from sqlalchemy import Engine, func, select
from sqlmodel import SQLModel

import app.models  # noqa: F401 - registers the tables


def row_counts(engine: Engine) -> dict[str, int]:
    """Rows per table plus the last revision sequence number."""
    counts = {}
    with engine.connect() as connection:
        for name, table in SQLModel.metadata.tables.items():
            counts[name] = connection.execute(select(func.count()).select_from(table)).scalar_one()
        counts["last_seq"] = connection.execute(
            select(SQLModel.metadata.tables["revision_counter"].c.last_seq)
        ).scalar_one()
    return counts
