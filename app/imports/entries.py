"""One entry of an official list as import records: the listed actor, the entry's own text
held as an `official_list` source (`<list URL>#<reference>`), the designation claim that
text evidences, and the instruments it cites. The UN and OFAC translators fill an `Entry`;
everything list-specific stays in them.
"""

import hashlib
from dataclasses import dataclass, field
from typing import Any

# Names the importers write as, and the terms they use (migration 0013 adds the new ones).
DESIGNATION = "designation"
LINKED_TO = "linked_to"
SUBJECT = "subject"
LINKED_PARTY = "linked_party"
MAX_NAME = 300  # ActorCreate's limit on a name or alias


@dataclass
class Alias:
    name: str
    strength: str = "strong"
    script: str | None = None


@dataclass
class Entry:
    """What a translator reads of one entry. `lines` are the entry's text as we hold it, one
    `Label: value` a line; the first ones (`reference`, `name`, `listed`) are what the
    designation's evidence quotes."""

    list_url: str
    list_title: str
    publisher: str
    reference: str
    kind: str
    name: str
    statement: str
    programs: list[str]
    listed_on: str | None
    external_ids: list[tuple[str, str]]
    aliases: list[Alias] = field(default_factory=list)
    details: list[tuple[str, str]] = field(default_factory=list)
    instruments: list[str] = field(default_factory=list)
    # (target's external id `scheme:value`, the passage of the held text naming it)
    links: list[tuple[str, str]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"{self.list_url}#{self.reference}"

    def designation_lines(self) -> list[str]:
        lines = [f"Reference: {self.reference}", f"Name: {self.name}"]
        if self.programs:
            lines.append(f"Programs: {'; '.join(self.programs)}")
        if self.listed_on:
            lines.append(f"Listed on: {self.listed_on}")
        return lines

    def text(self) -> str:
        head = "\n".join(self.designation_lines())
        rest = [f"Alias: {a.name} ({a.strength})" for a in self.aliases]
        rest += [f"{label}: {value}" for label, value in self.details]
        return head + ("\n" + "\n".join(rest) if rest else "") + "\n"


def _clean(text: str) -> str:
    return " ".join(text.split())


def records(entry: Entry) -> list[dict[str, Any]]:
    """The entry's records, in the order they refer to each other."""
    text = entry.text()
    quote = "\n".join(entry.designation_lines())
    source_ref = "sha256:" + _sha256(text)
    own_id = f"{entry.external_ids[0][0]}:{entry.external_ids[0][1]}"
    out: list[dict[str, Any]] = []
    out.append(
        {
            "type": "actor",
            "actor": {
                "kind": entry.kind,
                "name": entry.name,
                # An alias longer than an actor's names may be (the UN list has one of 400
                # characters, a description more than a name) stays in the held text only.
                "aliases": [
                    {"name": a.name, "strength": a.strength}
                    | ({"script": a.script} if a.script else {})
                    for a in entry.aliases
                    if len(a.name) <= MAX_NAME
                ],
                "external_ids": [
                    {"scheme": s, "value": v} for s, v in sorted(set(entry.external_ids))
                ],
                # The lists hold different people of one name: only an id joins two.
                "allow_duplicate_name": True,
            },
        }
    )
    out.append(
        {
            "type": "source",
            "source": {
                "kind": "official_list",
                "title": f"{entry.list_title}: {entry.reference}"[:500],
                "publisher": entry.publisher,
                "url": entry.url,
                "language": "en",
                "text": text,
                # Every entry is one page of one list: they share the list's address.
                "allow_duplicate_source": True,
            },
        }
    )
    out.append(
        {
            "type": "claim",
            "claim": {
                "predicate": DESIGNATION,
                "statement": entry.statement[:1000],
                "modality": "occurred",
                "status": "published",
                "programs": sorted(set(entry.programs)),
                "actors": [{"actor": own_id, "role": SUBJECT}],
                "dates": [{"kind": "start", "value": entry.listed_on}] if entry.listed_on else [],
                "evidence": [{"source": source_ref, "start": 0, "end": len(quote), "quote": quote}],
                "instruments": [{"instrument": symbol} for symbol in entry.instruments[:1]],
            },
        }
    )
    return out


def link_records(entry: Entry) -> list[dict[str, Any]]:
    """The entry's links to other entries (after every entry's actor exists)."""
    text = entry.text()
    source_ref = "sha256:" + _sha256(text)
    own_id = f"{entry.external_ids[0][0]}:{entry.external_ids[0][1]}"
    out = []
    for target, passage in entry.links:
        start = text.index(passage)
        out.append(
            {
                "type": "claim",
                "claim": {
                    "predicate": LINKED_TO,
                    "statement": _clean(f"{entry.list_title} links {entry.name} to {passage}")[
                        :1000
                    ],
                    "modality": "occurred",
                    "status": "published",
                    "programs": sorted(set(entry.programs)),
                    "actors": [
                        {"actor": own_id, "role": SUBJECT},
                        {"actor": target, "role": LINKED_PARTY},
                    ],
                    "evidence": [
                        {
                            "source": source_ref,
                            "start": start,
                            "end": start + len(passage),
                            "quote": passage,
                        }
                    ],
                },
            }
        )
    return out


def list_records(list_url: str, as_of: str, entries: list[Entry]) -> list[dict[str, Any]]:
    """Every record of a list: the instruments its entries cite (once each), each entry's
    records, the links between entries (once every actor exists), and the roll call."""
    symbols = dict.fromkeys(symbol for entry in entries for symbol in entry.instruments)
    out = [{"type": "instrument", "instrument": {"symbol": symbol}} for symbol in symbols]
    out += [record for entry in entries for record in records(entry)]
    out += [record for entry in entries for record in link_records(entry)]
    out.append(listing_record(list_url, as_of, entries))
    return out


def listing_record(list_url: str, as_of: str, entries: list[Entry]) -> dict[str, Any]:
    return {
        "type": "listing",
        "listing": {"url": list_url, "as_of": as_of, "entries": [e.url for e in entries]},
    }


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
