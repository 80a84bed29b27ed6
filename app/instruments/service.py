"""Instrument use cases (the only place instruments are written) and instrument reads."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, RowMapping, select
from sqlmodel import Session, col

from app.checks import BodyChecks
from app.claims.service import refresh_claims_citing
from app.errors import NotFound
from app.http import digest_etag, require_match
from app.ids import new_id
from app.instruments.schemas import (
    InstrumentCreate,
    InstrumentPage,
    InstrumentPatch,
    InstrumentRead,
)
from app.isodates import parse_prefix
from app.listings import Listing, id_ordered_listing
from app.models import Actor, EntityType, Instrument, Operation
from app.models.base import utcnow
from app.names import symbol_key
from app.pagination import query_scope
from app.patching import merge_patch, validate_body
from app.revisions.schemas import Cause
from app.revisions.service import Author, append_revision


def instrument_etag(instrument_id: str, version: int) -> str:
    return digest_etag("instrument", instrument_id, version)


def to_read(instrument: Instrument | dict[str, Any]) -> InstrumentRead:
    row = instrument if isinstance(instrument, dict) else instrument.model_dump()
    return InstrumentRead.model_validate(row)


def fetch_instrument(connection: Connection, instrument_id: str) -> InstrumentRead | None:
    row = (
        connection.execute(select(Instrument).where(col(Instrument.id) == instrument_id))
        .mappings()
        .first()
    )
    return to_read(dict(row)) if row else None


def instrument_listing(
    secret: str, limit: int, cursor: str | None, symbol: str | None
) -> Listing[None]:
    """Instruments in id order, optionally the one with `symbol` (spaces and case aside)."""
    statement = select(Instrument).order_by(col(Instrument.id))
    if symbol:
        statement = statement.where(col(Instrument.symbol_key) == symbol_key(symbol))

    def render(_: Connection, rows: Sequence[RowMapping], next_cursor: str | None) -> bytes:
        data = [to_read(dict(row)) for row in rows]
        return InstrumentPage(data=data, next_cursor=next_cursor).model_dump_json().encode()

    return id_ordered_listing(
        secret=secret,
        scope=query_scope(resource="instruments", symbol=symbol),
        limit=limit,
        cursor=cursor,
        statement=statement,
        id_column=col(Instrument.id),
        version_column=col(Instrument.version),
        row_etag=instrument_etag,
        render=render,
    )


def _check(session: Session, data: InstrumentCreate, instrument_id: str) -> None:
    checks = BodyChecks()
    holder = session.execute(
        select(col(Instrument.id), col(Instrument.symbol)).where(
            col(Instrument.symbol_key) == symbol_key(data.symbol),
            col(Instrument.id) != instrument_id,
        )
    ).first()
    if holder is not None:
        checks.conflict(
            "/symbol",
            f"Instrument {holder.id!r} already has the symbol {holder.symbol!r}"
            + (" (spaces and case aside)." if holder.symbol != data.symbol else "."),
            instruments=[{"id": holder.id, "symbol": holder.symbol}],
        )
    if data.issuer_id is not None:
        merged_into = session.execute(
            select(col(Actor.merged_into_id)).where(col(Actor.id) == data.issuer_id)
        ).first()
        if merged_into is None:
            checks.fail("/issuer_id", f"No actor with id {data.issuer_id!r}.")
        elif merged_into[0]:
            checks.fail(
                "/issuer_id", f"Actor {data.issuer_id!r} was merged into {merged_into[0]!r}."
            )
    checks.raise_if_any()


def _apply(instrument: Instrument, data: InstrumentCreate) -> None:
    for field, value in data.model_dump().items():
        setattr(instrument, field, value)
    instrument.symbol_key = symbol_key(data.symbol)
    adopted = parse_prefix(data.adopted) if data.adopted else None
    instrument.adopted_precision = adopted.precision if adopted else None
    instrument.adopted_earliest = adopted.earliest if adopted else None
    instrument.adopted_latest = adopted.latest if adopted else None


def _record(
    session: Session, instrument: Instrument, operation: Operation, who: Author | None
) -> None:
    snapshot = to_read(instrument).model_dump(mode="json")
    append_revision(
        session, EntityType.instrument, instrument.id, instrument.version, operation, snapshot, who
    )


def create_instrument(
    session: Session,
    data: InstrumentCreate,
    who: Author | None,
    instrument_id: str | None = None,
    *,
    commit: bool = True,
) -> Instrument:
    """Create an instrument; without `commit` the caller's transaction holds the write."""
    instrument = Instrument(
        id=instrument_id or new_id(), symbol=data.symbol, symbol_key=symbol_key(data.symbol)
    )
    _check(session, data, instrument.id)
    _apply(instrument, data)
    session.add(instrument)
    session.flush()
    _record(session, instrument, Operation.created, who)
    if commit:
        session.commit()
    return instrument


def editable(instrument: Instrument) -> dict[str, Any]:
    fields = set(InstrumentCreate.model_fields)
    return InstrumentCreate.model_validate(instrument.model_dump(include=fields)).model_dump(
        mode="json", exclude_none=True
    )


def update_instrument(
    session: Session,
    instrument_id: str,
    patch: InstrumentPatch | dict[str, Any],
    if_match: str | None,
    who: Author | None,
    *,
    commit: bool = True,
) -> Instrument:
    instrument = session.get(Instrument, instrument_id, with_for_update=True)
    if instrument is None:
        raise NotFound(f"No instrument with id {instrument_id!r}.")
    require_match(if_match, instrument_etag(instrument.id, instrument.version), instrument.version)
    changes = (
        patch if isinstance(patch, dict) else patch.model_dump(mode="json", exclude_unset=True)
    )
    data = validate_body(InstrumentCreate, merge_patch(editable(instrument), changes))
    if data == InstrumentCreate.model_validate(editable(instrument)):
        return instrument  # nothing changes, so nothing is written
    _check(session, data, instrument.id)
    embedded_before = (instrument.symbol, instrument.title)
    _apply(instrument, data)
    instrument.version += 1
    instrument.updated_at = utcnow()
    session.flush()
    _record(session, instrument, Operation.updated, who)
    if embedded_before != (instrument.symbol, instrument.title):
        cause = Cause(
            kind="instrument_citation_changed",
            entity_type=EntityType.instrument,
            entity_id=instrument.id,
        )
        refresh_claims_citing(session, cause, who)
    if commit:
        session.commit()
    return instrument


def reassign_issuer(
    session: Session, old_actor_id: str, new_actor_id: str, who: Author | None
) -> None:
    """After an actor merge, instruments it issued name the survivor (a new version each)."""
    issued = session.scalars(select(Instrument).where(col(Instrument.issuer_id) == old_actor_id))
    for instrument in issued.all():
        instrument.issuer_id = new_actor_id
        instrument.version += 1
        instrument.updated_at = utcnow()
        session.flush()
        _record(session, instrument, Operation.updated, who)
