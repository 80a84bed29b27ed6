"""The import records: one JSON object a line, each a source, actor, instrument, claim or a
list's roll call, referring to the others by natural key.

A record names what it refers to as a client would know it, not by our ids:
- an actor by `actor` = `scheme:value` of one of its external ids (or `actor_id`);
- a source by `source` = `sha256:<hex>` of its held text (or `source_id`);
- an instrument by `instrument` = its symbol (or `instrument_id`).
A record is matched to what is stored by the same keys: an actor by any of its external ids,
a source by its text hash, an instrument by its symbol, a claim by its predicate, its actors
and the URL of its first evidence's source. A matched record is applied as an update, which
writes nothing when nothing differs: re-running a file adds nothing.
"""

from typing import Any, Literal

from pydantic import Field

from app.actors.schemas import ActorCreate
from app.fields import DatePrefixStr, RequestModel
from app.instruments.schemas import InstrumentCreate
from app.sources.schemas import SourceCreate


class ActorRecord(RequestModel):
    type: Literal["actor"]
    actor: ActorCreate


class SourceRecord(RequestModel):
    type: Literal["source"]
    source: SourceCreate


class InstrumentRecord(RequestModel):
    type: Literal["instrument"]
    instrument: InstrumentCreate


class ClaimRecord(RequestModel):
    type: Literal["claim"]
    claim: dict[str, Any] = Field(
        description="A claim's create body, whose actors, evidence and instruments may name "
        "what they cite by natural key (`actor`, `source`, `instrument`) instead of by id."
    )


class Listing(RequestModel):
    """The entries an official list holds on `as_of`: designations evidenced by an entry of
    the list at `url` (a source at `url#<reference>`) that is not among `entries` get an
    `end` date of `as_of` (the revision's cause says `delisted`)."""

    url: str = Field(max_length=2000, pattern=r"^https?://\S+$")
    as_of: DatePrefixStr
    entries: list[str] = Field(description="The sources' URLs, `url#<reference>`.")


class ListingRecord(RequestModel):
    type: Literal["listing"]
    listing: Listing


ImportRecord = ActorRecord | SourceRecord | InstrumentRecord | ClaimRecord | ListingRecord
# The record model of each `type` (the request models refuse a discriminated union: their
# text checks run before the type field is read).
RECORD_TYPES: dict[str, type[ImportRecord]] = {
    "actor": ActorRecord,
    "source": SourceRecord,
    "instrument": InstrumentRecord,
    "claim": ClaimRecord,
    "listing": ListingRecord,
}
