"""The OFAC SDN list (legacy CSV) and its ALT file of aliases as import records.

Quirks of the real files (tests/data/ofac_*_2021-04.csv): no header row, CRLF line ends,
`-0-` (with a trailing space) for an empty field, a Ctrl-Z (0x1A) byte as the last line,
several programs in one field joined with `] [`, and remarks as free text: `DOB 08 Jan 1984;
POB Giza, Egypt; nationality Jordan; Passport 1084010 (Egypt); Linked To: HIZBALLAH.`.
`Linked To:` names another entry by its SDN name, which is looked up in the same file (a
name two entries share links nothing: it is not an identifier). A program code with spaces
(`CAATSA - RUSSIA`, `SOUTH SUDAN`) is stored with hyphens for them (`CAATSA-RUSSIA`), as a
program code has none; the held text keeps the list's own spelling.
"""

import csv
import re
from pathlib import Path
from typing import Any

from app.imports.entries import Alias, Entry, list_records

LIST_URL = "https://www.treasury.gov/ofac/downloads/sdn.csv"
LIST_TITLE = "OFAC Specially Designated Nationals List"
PUBLISHER = "US Department of the Treasury, Office of Foreign Assets Control"
KINDS = {"individual": "person", "vessel": "vessel", "aircraft": "aircraft", "": "organisation"}
# ALT types: `aka` and `nka` (now known as) are names in use; `fka` a former one.
ALIAS_STRENGTH = {"aka": "strong", "nka": "strong", "fka": "weak"}
SDN_COLUMNS = (
    "ent_num", "name", "type", "program", "title", "call_sign", "vessel_type", "tonnage",
    "grt", "vessel_flag", "vessel_owner", "remarks",
)  # fmt: skip
DETAIL_LABELS = {
    "title": "Title",
    "call_sign": "Call sign",
    "vessel_type": "Vessel type",
    "tonnage": "Tonnage",
    "grt": "Gross registered tonnage",
    "vessel_flag": "Vessel flag",
    "vessel_owner": "Vessel owner",
}
# Remarks that say what a field of the entry is, by their first word(s).
REMARK_LABELS = (
    ("DOB ", "Date of birth"),
    ("POB ", "Place of birth"),
    ("nationality ", "Nationality"),
    ("citizen ", "Citizenship"),
    ("Passport ", "Passport"),
    ("National ID No. ", "National id"),
    ("Tax ID No. ", "Tax id"),
    ("Registration ID ", "Registration id"),
    ("IMO ", "IMO number"),
    ("Gender ", "Gender"),
)
LINKED_TO = re.compile(r"Linked To: ([^;]+?)\.?(?:;|$)")


def _field(value: str) -> str:
    value = value.strip()
    return "" if value == "-0-" else " ".join(value.split())


def _rows(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as file:
        # The last line is a lone Ctrl-Z (an end-of-file mark of the tool that wrote it).
        return [row for row in csv.reader(file) if len(row) > 1]


def program_code(program: str) -> str:
    return re.sub(r"\s*-\s*|\s+", "-", program.strip())


def programs_of(field: str) -> list[str]:
    value = _field(field).strip("[]")
    return [program_code(p) for p in value.split("] [") if p.strip()] if value else []


def _remark_details(remarks: str) -> list[tuple[str, str]]:
    details = []
    for part in (p.strip() for p in remarks.split(";")):
        for prefix, label in REMARK_LABELS:
            if part.startswith(prefix):
                details.append((label, part[len(prefix) :].rstrip(".").strip()))
                break
    return details


def read_entries(sdn: Path, alt: Path | None) -> list[Entry]:
    aliases: dict[str, list[Alias]] = {}
    if alt is not None:
        for ent_num, _alt_num, alt_type, alt_name, _remarks in _rows(alt):
            strength = ALIAS_STRENGTH.get(_field(alt_type).lower(), "weak")
            if name := _field(alt_name):
                aliases.setdefault(_field(ent_num), []).append(Alias(name, strength))
    rows = [dict(zip(SDN_COLUMNS, row, strict=True)) for row in _rows(sdn)]
    by_name: dict[str, list[str]] = {}
    for row in rows:
        by_name.setdefault(_field(row["name"]), []).append(_field(row["ent_num"]))
    entries = []
    for row in rows:
        ent_num, name, remarks = _field(row["ent_num"]), _field(row["name"]), _field(row["remarks"])
        programs = programs_of(row["program"])
        details = [(label, _field(row[c])) for c, label in DETAIL_LABELS.items() if _field(row[c])]
        details += _remark_details(remarks)
        if remarks:
            details.append(("Remarks", remarks))
        links = []
        for target_name in LINKED_TO.findall(remarks):
            holders = by_name.get(target_name.strip(), [])
            if len(holders) == 1 and holders[0] != ent_num:
                links.append((f"ofac:{holders[0]}", f"Linked To: {target_name}"))
        entries.append(
            Entry(
                list_url=LIST_URL,
                list_title=LIST_TITLE,
                publisher=PUBLISHER,
                reference=ent_num,
                kind=KINDS.get(_field(row["type"]).lower(), "organisation"),
                name=name,
                statement=f"OFAC lists {name} (entry {ent_num}) on its SDN list under "
                f"{', '.join(programs) or 'no program'}.",
                programs=programs,
                listed_on=None,
                external_ids=[("ofac", ent_num)],
                aliases=aliases.get(ent_num, []),
                details=details,
                links=links,
            )
        )
    return entries


def translate(sdn: Path, alt: Path | None, as_of: str) -> list[dict[str, Any]]:
    return list_records(LIST_URL, as_of, read_entries(sdn, alt))
