"""Stored records that today's input rules would refuse, listed for a person to mend.

The rules of a write grew after data was written: duplicate names, URLs, texts and symbols
are refused (app.duplicates), NUL characters in text are refused, dates take ASCII digits
only. The migrations that bring an older database up to date keep such rows as they are,
rather than fail or guess a fix; `claims check-data` lists them with this module.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import LargeBinary, String, cast, func, literal_column, select
from sqlalchemy.types import TypeEngine
from sqlmodel import Session, SQLModel, col

from app.duplicates import find_duplicates
from app.isodates import parse_date, parse_prefix
from app.models import ClaimDate, Instrument, Source


@dataclass(frozen=True)
class Finding:
    """One stored value a write would refuse today: `rule` says which rule."""

    rule: str
    table: str
    ids: tuple[str, ...]
    detail: str


def _owner_columns(table_name: str) -> list[str]:
    """The columns that name the record a row belongs to (its id, or its parent's)."""
    table = SQLModel.metadata.tables[table_name]
    names = [c.name for c in table.primary_key.columns]
    return names or [c.name for c in table.columns][:1]


def _holds_text(column_type: TypeEngine[Any]) -> bool:
    # SQLModel's string columns are a decorator of String, which does not name its Python type.
    return isinstance(column_type, String) or isinstance(getattr(column_type, "impl", None), String)


def find_nul_characters(session: Session) -> Iterator[Finding]:
    """Text columns holding NUL (SQLite stored them; PostgreSQL never could)."""
    if session.get_bind().dialect.name != "sqlite":
        return
    for table in SQLModel.metadata.sorted_tables:
        owner = [table.c[name] for name in _owner_columns(table.name)]
        for column in table.columns:
            if not _holds_text(column.type):
                continue
            # As bytes: SQLite's text functions stop at a NUL.
            as_bytes = cast(column, LargeBinary)
            holds_nul = func.instr(as_bytes, literal_column("X'00'")) > 0
            rows = session.execute(select(*owner).where(holds_nul)).all()
            for row in rows:
                yield Finding(
                    "nul_character",
                    table.name,
                    tuple(str(part) for part in row),
                    f"{column.name} holds a NUL character",
                )


def _refused_date(value: str, interval: bool) -> str | None:
    try:
        (parse_date if interval else parse_prefix)(value)
    except ValueError as refusal:
        return str(refusal)
    return None


def find_refused_dates(session: Session) -> Iterator[Finding]:
    """Stored dates the date rules refuse today (e.g. digits other than ASCII ones)."""
    dated = (
        ("claim_date", col(ClaimDate.claim_id), col(ClaimDate.value), True),
        ("source", col(Source.id), col(Source.published), False),
        ("instrument", col(Instrument.id), col(Instrument.adopted), False),
    )
    for table, owner, value_column, interval in dated:
        for owner_id, value in session.execute(
            select(owner, value_column).where(value_column.is_not(None)).order_by(owner)
        ):
            if refusal := _refused_date(value, interval):
                yield Finding("refused_date", table, (owner_id,), f"{value!r}: {refusal}")


def report(session: Session) -> list[Finding]:
    """Everything stored that a write would refuse today, rule by rule."""
    duplicates = [
        Finding(
            f"duplicate_{group.entity_type}_{group.key_kind}",
            group.entity_type,
            tuple(group.ids),
            f"{len(group.ids)} records share the {group.key_kind} key {group.key!r}",
        )
        for group in find_duplicates(session)
    ]
    return [*duplicates, *find_nul_characters(session), *find_refused_dates(session)]
