"""The UN Security Council Consolidated List (its official XML) as import records.

Quirks of the real file (tests/data/un_sc_consolidated_2020-03-20.xml): values carry stray
spaces (`<FIRST_NAME> RI </FIRST_NAME>`, `KPi.034 `), empty alias elements stand for no
alias, individuals' aliases are of quality `Good` (strong) or `Low` (weak) while entities'
are `a.k.a.` (strong) or `f.k.a.` (weak, a former name), and an entry's comments may name
the resolution it was listed under, written `resolution 2371(2017)` as often as
`resolution 2371 (2017)`.
"""

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from app.imports.entries import Alias, Entry, list_records

LIST_URL = "https://scsanctions.un.org/resources/xml/en/consolidated.xml"
LIST_TITLE = "UN Security Council Consolidated List"
PUBLISHER = "United Nations Security Council"
WEAK_QUALITIES = frozenset({"low", "f.k.a."})
LISTED_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
RESOLUTION = re.compile(r"[Rr]esolution\s+(\d{3,4})\s*\((\d{4})\)")


def _text(element: ET.Element | None, tag: str) -> str:
    value = element.findtext(tag) if element is not None else None
    return " ".join(value.split()) if value else ""


def _birth_dates(element: ET.Element) -> list[str]:
    dates = []
    for born in element.findall("INDIVIDUAL_DATE_OF_BIRTH"):
        value = _text(born, "DATE") or _text(born, "YEAR")
        if not value and _text(born, "FROM_YEAR"):
            value = f"{_text(born, 'FROM_YEAR')}–{_text(born, 'TO_YEAR')}"
        qualifier = _text(born, "TYPE_OF_DATE").lower()
        if value:
            dates.append(value + (f" ({qualifier})" if qualifier and qualifier != "exact" else ""))
    return dates


def _places(element: ET.Element) -> list[str]:
    places = []
    for place in element.findall("INDIVIDUAL_PLACE_OF_BIRTH"):
        parts = [_text(place, t) for t in ("CITY", "STATE_PROVINCE", "COUNTRY")]
        if joined := ", ".join(p for p in parts if p):
            places.append(joined)
    return places


def entry_of(element: ET.Element) -> Entry:
    individual = element.tag == "INDIVIDUAL"
    parts = [_text(element, t) for t in ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")]
    name = " ".join(p for p in parts if p)
    reference = _text(element, "REFERENCE_NUMBER")
    regime = _text(element, "UN_LIST_TYPE")
    # A day, sometimes written with a time zone offset (`2015-04-14-04:00`).
    listed = LISTED_DAY.match(_text(element, "LISTED_ON"))
    listed_on = listed.group(0) if listed else None
    aliases = []
    if original := _text(element, "NAME_ORIGINAL_SCRIPT"):
        aliases.append(Alias(original, "strong", _script(original)))
    for alias in element.findall("INDIVIDUAL_ALIAS" if individual else "ENTITY_ALIAS"):
        alias_name = _text(alias, "ALIAS_NAME")
        if alias_name:
            weak = _text(alias, "QUALITY").lower() in WEAK_QUALITIES
            aliases.append(Alias(alias_name, "weak" if weak else "strong"))
    comments = _text(element, "COMMENTS1")
    details: list[tuple[str, str]] = []
    details += [("Date of birth", d) for d in _birth_dates(element)]
    details += [("Place of birth", p) for p in _places(element)]
    details += [("Nationality", v) for v in _values(element, "NATIONALITY")]
    details += [("Title", v) for v in _values(element, "TITLE")]
    details += [("Designation", v) for v in _values(element, "DESIGNATION")]
    details += [("UN data id", _text(element, "DATAID"))]
    if comments:
        details.append(("Comments", comments))
    instruments = list(
        dict.fromkeys(f"S/RES/{number} ({year})" for number, year in RESOLUTION.findall(comments))
    )
    when = f" on {listed_on}" if listed_on else ""
    return Entry(
        list_url=LIST_URL,
        list_title=LIST_TITLE,
        publisher=PUBLISHER,
        reference=reference,
        kind="person" if individual else "organisation",
        name=name,
        statement=f"The UN Security Council listed {name} ({reference}) under its {regime} "
        f"sanctions regime{when}.",
        programs=[regime] if regime else [],
        listed_on=listed_on,
        external_ids=[("un_sc", reference), ("un_sc_dataid", _text(element, "DATAID"))],
        aliases=aliases,
        details=details,
        instruments=instruments,
    )


def _values(element: ET.Element, tag: str) -> list[str]:
    return [v for v in (_text(e, "VALUE") for e in element.findall(tag)) if v]


def _script(name: str) -> str | None:
    """The ISO 15924 code of a name in the scripts the list uses for original names."""
    for char in name:
        code = ord(char)
        if 0xAC00 <= code <= 0xD7AF or 0x1100 <= code <= 0x11FF:
            return "Hang"
        if 0x0600 <= code <= 0x06FF:
            return "Arab"
        if 0x0400 <= code <= 0x04FF:
            return "Cyrl"
        if 0x4E00 <= code <= 0x9FFF:
            return "Hani"
    return None


def read_entries(path: Path) -> tuple[str, list[Entry]]:
    """The list's date (`dateGenerated`, a day) and its entries."""
    root = ET.parse(path).getroot()
    generated = root.get("dateGenerated", "")[:10]
    entries = [entry_of(e) for e in root.iter() if e.tag in ("INDIVIDUAL", "ENTITY")]
    return generated, entries


def translate(path: Path, as_of: str | None = None) -> list[dict[str, Any]]:
    generated, entries = read_entries(path)
    return list_records(LIST_URL, as_of or generated, entries)
