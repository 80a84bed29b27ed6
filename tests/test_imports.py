"""`claims import`: the UN and OFAC lists as actors, sources and designation claims, checked
against counts this test makes from the raw files itself (not with the translators).

The full files take minutes through the services' checks on this machine, so the suite
imports excerpts of the real files: the first entries of each kind, kept as the files hold
them (the XML elements as parsed, the CSV lines byte for byte).
"""

import csv
import re
import unicodedata
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlmodel import Session, col
from typer.testing import CliRunner

from app import cli
from app.imports import un_xml
from app.models import (
    Actor,
    ActorAlias,
    ActorExternalId,
    Claim,
    ClaimActor,
    ClaimDate,
    Revision,
    RevisionCounter,
)
from app.settings import Settings, get_settings

DATA = Path(__file__).parent / "data"
UN_FILE = DATA / "un_sc_consolidated_2020-03-20.xml"
SDN_FILE = DATA / "ofac_sdn_2021-04.csv"
ALT_FILE = DATA / "ofac_alt_2021-04.csv"
UN_PER_KIND = 40
# The ISO 15924 code of a script, by the first word of its letters' Unicode names.
SCRIPTS = {"ARABIC": "Arab", "HANGUL": "Hang", "CJK": "Hani", "CYRILLIC": "Cyrl"}
SDN_LINES = 250


def _import(settings: Settings, *args: str) -> str:
    runner = CliRunner()
    env = {"DATABASE_URL": settings.database_url}
    get_settings.cache_clear()
    try:
        result = runner.invoke(cli.cli, ["import", *args], env=env)
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    return result.output


def _un_excerpt(path: Path, per_kind: int = UN_PER_KIND, drop: int = 0) -> tuple[Path, ET.Element]:
    """The first DPRK individuals and entities and the first others of each kind (so
    several regimes), `drop` of them left out from the end."""
    tree = ET.parse(UN_FILE)
    root = tree.getroot()
    for group, tag in (("INDIVIDUALS", "INDIVIDUAL"), ("ENTITIES", "ENTITY")):
        parent = root.find(group)
        assert parent is not None
        entries = parent.findall(tag)
        dprk = [e for e in entries if (e.findtext("UN_LIST_TYPE") or "").strip() == "DPRK"]
        others = [e for e in entries if e not in dprk]
        keep = dprk[: per_kind // 2] + others[: per_kind // 2]
        for entry in entries:
            if entry not in keep:
                parent.remove(entry)
    entities = root.find("ENTITIES")
    assert entities is not None
    for entry in entities.findall("ENTITY")[len(entities.findall("ENTITY")) - drop :]:
        if drop:
            entities.remove(entry)
    tree.write(path, encoding="UTF-8", xml_declaration=True)
    return path, root


def _spelling(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def _un_counts(root: ET.Element) -> dict[str, object]:
    """What the excerpt holds, read straight from the XML."""
    strong = weak = 0
    programs: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    for entry in root.iter():
        if entry.tag not in ("INDIVIDUAL", "ENTITY"):
            continue
        kinds[entry.tag] += 1
        programs[(entry.findtext("UN_LIST_TYPE") or "").strip()] += 1
        parts = [(entry.findtext(t) or "").strip() for t in ("FIRST_NAME", "SECOND_NAME",
                 "THIRD_NAME", "FOURTH_NAME")]  # fmt: skip
        seen = {_spelling(" ".join(p for p in parts if p))}
        names = [((entry.findtext("NAME_ORIGINAL_SCRIPT") or "").strip(), "Good")]
        names += [
            ((a.findtext("ALIAS_NAME") or "").strip(), (a.findtext("QUALITY") or "").strip())
            for a in entry.findall(f"{entry.tag}_ALIAS")
        ]
        for name, quality in names:
            if name and _spelling(name) not in seen:
                seen.add(_spelling(name))
                if quality in ("Low", "f.k.a."):
                    weak += 1
                else:
                    strong += 1
    return {
        "person": kinds["INDIVIDUAL"],
        "organisation": kinds["ENTITY"],
        "strong": strong,
        "weak": weak,
        "programs": dict(programs),
    }


def _stored_counts(engine: Engine, scheme: str) -> dict[str, object]:
    with Session(engine) as session:
        listed = select(col(ActorExternalId.actor_id)).where(col(ActorExternalId.scheme) == scheme)
        kinds = dict(
            session.execute(
                select(col(Actor.kind), func.count())
                .where(col(Actor.id).in_(listed))
                .group_by(col(Actor.kind))
            )
            .tuples()
            .all()
        )
        strengths = dict(
            session.execute(
                select(col(ActorAlias.strength), func.count())
                .where(col(ActorAlias.actor_id).in_(listed))
                .group_by(col(ActorAlias.strength))
            )
            .tuples()
            .all()
        )
    return {**kinds, "strong": strengths.get("strong", 0), "weak": strengths.get("weak", 0)}


def _designations_per_program(client: TestClient) -> dict[str, int]:
    response = client.get("/v1/claims/facets", params={"predicate": "designation"})
    assert response.status_code == 200, response.text
    return {term["value"]: term["count"] for term in response.json()["program"]}


def _last_seq(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(col(RevisionCounter.last_seq))) or 0)


def test_un_list_imports_as_actors_and_designations(
    settings: Settings, engine: Engine, client: TestClient, tmp_path: Path
) -> None:
    path, root = _un_excerpt(tmp_path / "un.xml")
    output = _import(settings, "--format", "un-xml", str(path))
    expected = _un_counts(root)
    stored = _stored_counts(engine, "un_sc")
    assert {k: stored.get(k, 0) for k in ("person", "organisation", "strong", "weak")} == {
        k: expected[k] for k in ("person", "organisation", "strong", "weak")
    }
    assert _designations_per_program(client) == expected["programs"]
    total = sum(kinds for kinds in (expected["person"], expected["organisation"]))  # type: ignore[misc]
    assert "failed 0" in output

    # An entry through the API, whole: names, script, ids; its designation with its day.
    entry = next(e for e in root.iter("INDIVIDUAL") if e.findtext("NAME_ORIGINAL_SCRIPT"))
    reference = (entry.findtext("REFERENCE_NUMBER") or "").strip()
    found = client.get("/v1/actors", params={"external_id": f"un_sc:{reference}"}).json()["data"]
    assert len(found) == 1
    actor = found[0]
    assert actor["kind"] == "person"
    assert {e["scheme"]: e["value"] for e in actor["external_ids"]} == {
        "un_sc": reference,
        "un_sc_dataid": (entry.findtext("DATAID") or "").strip(),
    }
    original = (entry.findtext("NAME_ORIGINAL_SCRIPT") or "").strip()
    script = SCRIPTS[unicodedata.name(next(c for c in original if c.isalpha())).split()[0]]
    assert {"name": original, "language": None, "script": script, "strength": "strong"} in actor[
        "aliases"
    ]
    claims = client.get("/v1/claims", params={"actor": actor["id"]}).json()["data"]
    assert len(claims) == 1
    designation = claims[0]
    assert designation["predicate"] == "designation"
    assert designation["status"] == "published"
    assert designation["programs"] == [(entry.findtext("UN_LIST_TYPE") or "").strip()]
    listed_on = (entry.findtext("LISTED_ON") or "").strip()[:10]
    assert [(d["kind"], d["value"], d["precision"]) for d in designation["dates"]] == [
        ("start", listed_on, "day")
    ]
    (evidence,) = designation["evidence"]
    assert evidence["source"]["kind"] == "official_list"
    assert evidence["source"]["url"].endswith(f"consolidated.xml#{reference}")
    assert evidence["quote"].startswith(f"Reference: {reference}\n")
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Claim)) == total


def _sdn_excerpt(path: Path, lines: int = SDN_LINES) -> Path:
    with SDN_FILE.open("rb") as file:
        path.write_bytes(b"".join(file.readline() for _ in range(lines)))
    return path


def test_ofac_lists_import_as_actors_aliases_and_links(
    settings: Settings, engine: Engine, client: TestClient, tmp_path: Path
) -> None:
    sdn = _sdn_excerpt(tmp_path / "sdn.csv")
    _import(
        settings, "--format", "ofac-csv", str(sdn), "--alt", str(ALT_FILE), "--as-of", "2021-04-21"
    )
    with sdn.open(newline="", encoding="utf-8") as file:
        rows = [row for row in csv.reader(file) if len(row) > 1]
    numbers = {row[0] for row in rows}
    with ALT_FILE.open(newline="", encoding="utf-8") as file:
        alts = [row for row in csv.reader(file) if len(row) > 1 and row[0] in numbers]
    kinds = Counter({"individual": "person", "vessel": "vessel", "aircraft": "aircraft"}.get(
        row[2].strip(), "organisation") for row in rows)  # fmt: skip
    strengths = Counter("weak" if row[2] == "fka" else "strong" for row in alts)
    programs: Counter[str] = Counter()
    for row in rows:
        for program in row[3].strip().strip("[]").split("] ["):
            programs[re.sub(r"\s*-\s*|\s+", "-", program.strip())] += 1
    names = Counter(row[1] for row in rows)
    links = sum(
        1
        for row in rows
        for target in re.findall(r"Linked To: ([^;]+?)\.?(?:;|$)", row[11])
        if names[target.strip()] == 1 and target.strip() != row[1]
    )

    stored = _stored_counts(engine, "ofac")
    # An alias that repeats its entry's name is stored once (the name); none does here.
    assert stored == {**kinds, **strengths}
    assert _designations_per_program(client) == dict(programs)
    with Session(engine) as session:
        linked = session.scalar(
            select(func.count()).select_from(Claim).where(col(Claim.predicate) == "linked_to")
        )
    assert linked == links > 0

    entry = next(row for row in rows if row[0] == "306")
    found = client.get("/v1/actors", params={"external_id": "ofac:306"}).json()["data"]
    assert [
        {k: a[k] for k in ("kind", "name", "aliases", "external_ids", "merged_into_id")}
        for a in found
    ] == [
        {
            "kind": "organisation",
            "name": entry[1],
            "aliases": [
                {"name": row[3], "language": None, "script": None, "strength": "strong"}
                for row in alts
                if row[0] == "306"
            ],
            "external_ids": [{"scheme": "ofac", "value": "306"}],
            "merged_into_id": None,
        }
    ]


def test_reimport_writes_nothing_and_a_newer_list_ends_what_it_dropped(
    settings: Settings, engine: Engine, client: TestClient, tmp_path: Path
) -> None:
    path, root = _un_excerpt(tmp_path / "un.xml", per_kind=10)
    _import(settings, "--format", "un-xml", str(path))
    before = _last_seq(engine)
    again = _import(settings, "--format", "un-xml", str(path))
    assert _last_seq(engine) == before
    assert "wrote 0," in again

    # A newer list: one entity's alias spelled anew, the last entity gone.
    newer_path, newer = _un_excerpt(tmp_path / "newer.xml", per_kind=10, drop=1)
    changed = next(e for e in newer.iter("ENTITY") if e.find("ENTITY_ALIAS/ALIAS_NAME") is not None
                   and (e.findtext("ENTITY_ALIAS/ALIAS_NAME") or "").strip())  # fmt: skip
    alias = changed.find("ENTITY_ALIAS/ALIAS_NAME")
    assert alias is not None
    alias.text = (alias.text or "") + " (renamed)"
    ET.ElementTree(newer).write(newer_path, encoding="UTF-8", xml_declaration=True)
    gone = list(root.iter("ENTITY"))[-1]
    changed_ref = (changed.findtext("REFERENCE_NUMBER") or "").strip()
    gone_ref = (gone.findtext("REFERENCE_NUMBER") or "").strip()

    dry = _import(settings, "--format", "un-xml", str(newer_path), "--as-of", "2020-04-01",
                  "--dry-run")  # fmt: skip
    assert _last_seq(engine) == before
    un_list = "https://scsanctions.un.org/resources/xml/en/consolidated.xml"
    assert f"- designation {un_list}#{gone_ref} ended 2020-04-01" in dry.splitlines()
    assert f"~ actor un_sc:{changed_ref.casefold()}" in dry

    _import(settings, "--format", "un-xml", str(newer_path), "--as-of", "2020-04-01")
    with Session(engine) as session:
        written = session.execute(
            select(
                col(Revision.entity_type), col(Revision.operation), col(Revision.version),
                col(Revision.cause),
            ).where(col(Revision.seq) > before).order_by(col(Revision.seq))
        ).all()  # fmt: skip
        actor_of = dict(
            session.execute(
                select(col(ActorExternalId.value), col(ActorExternalId.actor_id)).where(
                    col(ActorExternalId.scheme) == "un_sc"
                )
            )
            .tuples()
            .all()
        )
        ended = session.execute(
            select(col(ClaimActor.actor_id), col(ClaimDate.value), col(ClaimDate.precision))
            .join(ClaimDate, col(ClaimDate.claim_id) == col(ClaimActor.claim_id))
            .where(col(ClaimDate.kind) == "end")
        ).all()
    kinds = [(t, op, v) for t, op, v, _ in written]
    # The changed entry: its actor's new version, its entry text as a new source, its
    # designation citing that text (a new version); the dropped one: its designation ended.
    assert sorted(kinds) == sorted(
        [("actor", "updated", 2), ("source", "created", 1), ("claim", "updated", 2),
         ("claim", "updated", 2)]
    )  # fmt: skip
    causes = [cause["kind"] for t, _, _, cause in written if t == "claim" and cause]
    assert causes == ["delisted"]
    assert ended == [(actor_of[gone_ref], "2020-04-01", "day")]
    # Still published: a delisting is history, not a retraction.
    claims = client.get("/v1/claims", params={"actor": actor_of[gone_ref]}).json()["data"]
    assert [c["status"] for c in claims] == ["published"]

    # The same newer list again: nothing more.
    after = _last_seq(engine)
    _import(settings, "--format", "un-xml", str(newer_path), "--as-of", "2020-04-01")
    assert _last_seq(engine) == after


def test_ndjson_lines_refused_are_reported_and_the_rest_applied(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "records.ndjson"
    path.write_text(
        '{"type": "actor", "actor": {"kind": "person", "name": "A Person",'
        ' "external_ids": [{"scheme": "ofac", "value": "1"}]}}\n'
        "not json\n"
        '{"type": "actor", "actor": {"kind": "wizard", "name": "B"}}\n'
        '{"type": "claim", "claim": {"predicate": "designation", "statement": "s",'
        ' "modality": "occurred", "actors": [{"actor": "ofac:2", "role": "subject"}],'
        ' "evidence": [{"source": "sha256:00", "start": 0, "end": 1, "quote": "x"}]}}\n',
        encoding="utf-8",
    )
    runner = CliRunner()
    get_settings.cache_clear()
    try:
        result = runner.invoke(
            cli.cli, ["import", str(path)], env={"DATABASE_URL": settings.database_url}
        )
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.startswith("line ")]
    assert lines[0].startswith("line 2 /: The line is not JSON")
    assert lines[1:] == [
        "line 3 /actor/kind: Unknown actor_kind 'wizard'; see GET /v1/vocabularies for the "
        "terms in use, or add one with POST /v1/vocabularies.",
        "line 4 /claim/actors/0/actor: No actor 'ofac:2'.",
        "line 4 /claim/evidence/0/source: No source 'sha256:00'.",
    ]
    assert "read 4, wrote 1, unchanged 0, failed 3" in result.output
    with Session(engine) as session:
        assert session.scalars(select(col(Actor.name))).all() == ["A Person"]


@pytest.mark.parametrize("missing", ["--as-of"])
def test_ofac_needs_the_lists_date(settings: Settings, missing: str, tmp_path: Path) -> None:
    sdn = _sdn_excerpt(tmp_path / "sdn.csv", lines=2)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(
            cli.cli,
            ["import", "--format", "ofac-csv", str(sdn)],
            env={"DATABASE_URL": settings.database_url},
        )
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2
    assert missing in result.output


def test_an_alias_longer_than_a_name_stays_in_the_entrys_text() -> None:
    """The real UN list holds an alias of 324 characters (QDe.137), longer than a name may
    be: the actor goes without it, its entry's held text keeps it."""
    records = un_xml.translate(UN_FILE)
    root = ET.parse(UN_FILE).getroot()
    entry = next(
        e
        for e in root.iter("ENTITY")
        if (e.findtext("REFERENCE_NUMBER") or "").strip() == "QDe.137"
    )
    # The name in its own script first, then the aliases; stray spaces and line breaks
    # inside a value are one space.
    names = [
        " ".join((text or "").split())
        for text in [entry.findtext("NAME_ORIGINAL_SCRIPT")]
        + [a.findtext("ALIAS_NAME") for a in entry.findall("ENTITY_ALIAS")]
    ]
    long_name = next(name for name in names if len(name) > 300)
    actor = next(
        r["actor"]
        for r in records
        if r["type"] == "actor"
        and {"scheme": "un_sc", "value": "QDe.137"} in r["actor"]["external_ids"]
    )
    assert [a["name"] for a in actor["aliases"]] == [n for n in names if n and len(n) <= 300]
    source = next(
        r["source"]
        for r in records
        if r["type"] == "source" and r["source"]["url"].endswith("#QDe.137")
    )
    assert f"Alias: {long_name} (strong)" in source["text"].splitlines()
