"""The seed data: two real texts and the claims carefully modelled on them.

Every check reads back through the API, so what `make run` opens on is what is tested:
evidence spans equal the held text at their offsets, the copyrighted report is held only as
verbatim passages, the advisory without its page markup, reloading writes nothing, and an
edited seed writes exactly one new revision.
"""

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from app.seeding import load_seeds

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
DATA = Path(__file__).resolve().parent / "data"
ORIGINAL_ARTICLE = DATA / "news_report_000.txt"
ORIGINAL_ADVISORY = DATA / "us_dprk_it_worker_advisory_2022-05-16_part5.md"
SEPARATOR = "\n\n[…]\n\n"

NEWS = "0190a000-0000-7000-8000-000000000001"
ADVISORY = "0190a000-0000-7000-8000-000000000002"
NORTH_KOREA = "0190a000-0000-7000-8000-000000000101"
RUSSIA = "0190a000-0000-7000-8000-000000000102"
SYRIA = "0190a000-0000-7000-8000-000000000103"
UKRAINE = "0190a000-0000-7000-8000-000000000104"
DPR = "0190a000-0000-7000-8000-000000000107"
LPR = "0190a000-0000-7000-8000-000000000108"
UNSC = "0190a000-0000-7000-8000-000000000109"
PUSHILIN = "0190a000-0000-7000-8000-000000000110"
KIM = "0190a000-0000-7000-8000-000000000111"
PUTIN = "0190a000-0000-7000-8000-000000000112"
KCNA = "0190a000-0000-7000-8000-000000000113"
US_TREASURY = "0190a000-0000-7000-8000-000000000116"
YANBIAN = "0190a000-0000-7000-8000-000000000120"
RES_2397 = "0190a000-0000-7000-8000-000000000201"
RES_2375 = "0190a000-0000-7000-8000-000000000202"
PUSHILIN_LETTER = "0190a000-0000-7000-8000-000000000301"
RECOGNITION = "0190a000-0000-7000-8000-000000000302"
UKRAINE_SEVERS = "0190a000-0000-7000-8000-000000000304"
PUTIN_MESSAGE = "0190a000-0000-7000-8000-000000000305"
TRADE_HOPED = "0190a000-0000-7000-8000-000000000308"
LABOUR_DISCUSSED = "0190a000-0000-7000-8000-000000000309"
REPORT_2397 = "0190a000-0000-7000-8000-000000000310"
ADVISORY_2375 = "0190a000-0000-7000-8000-000000000312"
ADVISORY_2397 = "0190a000-0000-7000-8000-000000000313"
YANBIAN_DESIGNATED = "0190a000-0000-7000-8000-000000000315"


def _seed_ids(kind: str, directory: Path = SEEDS) -> list[str]:
    ids: list[str] = []
    for path in sorted(directory.glob("*.json")):
        ids += [body["id"] for body in json.loads(path.read_text(encoding="utf-8")).get(kind, [])]
    return ids


def _get(client: TestClient, path: str) -> dict[str, Any]:
    response = client.get(path)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _revision_count(engine: Engine) -> int:
    with engine.connect() as connection:
        # The revisions of records (the test client's key has one too).
        query = text("SELECT count(*) FROM revision WHERE entity_type != 'key'")
        return int(connection.execute(query).scalar_one())


def _etags(client: TestClient) -> dict[str, str]:
    paths = [f"/v1/sources/{i}" for i in _seed_ids("sources")]
    paths += [f"/v1/actors/{i}" for i in _seed_ids("actors")]
    paths += [f"/v1/instruments/{i}" for i in _seed_ids("instruments")]
    paths += [f"/v1/claims/{i}" for i in _seed_ids("claims")]
    paths += ["/v1/claims", "/v1/sources", "/v1/actors", "/v1/instruments"]
    etags: dict[str, str] = {}
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, response.text
        etags[path] = response.headers["etag"]
    return etags


@pytest.fixture
def seeded(engine: Engine, client: TestClient) -> TestClient:
    load_seeds(engine, SEEDS)
    return client


def _claim(client: TestClient, claim_id: str) -> dict[str, Any]:
    return _get(client, f"/v1/claims/{claim_id}")


def _roles(claim: dict[str, Any]) -> set[tuple[str, str]]:
    return {(a["actor_id"], a["role"]) for a in claim["actors"]}


def _dates(claim: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {d["kind"]: (d["value"], d["precision"]) for d in claim["dates"]}


# The texts.


def test_every_evidence_span_is_the_held_text_at_its_offsets(seeded: TestClient) -> None:
    texts: dict[str, str] = {}
    spans = 0
    for claim_id in _seed_ids("claims"):
        claim = _claim(seeded, claim_id)
        assert claim["evidence"], claim_id
        for span in claim["evidence"]:
            source_id = span["source_id"]
            if source_id not in texts:
                texts[source_id] = _get(seeded, f"/v1/sources/{source_id}")["text"]
            held = texts[source_id]
            assert held[span["start"] : span["end"]] == span["quote"], (claim_id, span)
            assert held[: span["start"]].endswith(span["prefix"])
            assert held[span["end"] :].startswith(span["suffix"])
            spans += 1
    assert spans >= 12


def test_the_news_report_is_held_only_as_verbatim_passages_in_article_order(
    seeded: TestClient,
) -> None:
    article = ORIGINAL_ARTICLE.read_text(encoding="utf-8")
    source = _get(seeded, f"/v1/sources/{NEWS}")
    assert source["kind"] == "news_article"
    assert (source["publisher"], source["author"], source["language"]) == (
        "Reuters",
        "Josh Smith",
        "en",
    )
    assert (source["published"], source["published_precision"]) == ("2022-08", "month")

    held = source["text"]
    passages = held.split(SEPARATOR)
    assert len(passages) >= 2
    position = 0
    for passage in passages:
        assert passage.strip(), "an empty passage"
        found = article.find(passage, position)
        assert found >= 0, f"not a verbatim passage of the article, in order: {passage[:80]!r}"
        position = found + len(passage)
    for boilerplate in ("Sign up to read", "FILE PHOTO", "inkl", "Reporting by"):
        assert boilerplate not in held

    # Only what the claims quote is held: between the quoted spans there is nothing but
    # paragraph breaks, separators and the odd joining word (", and").
    covered = [False] * len(held)
    for claim_id in _seed_ids("claims"):
        for span in _claim(seeded, claim_id)["evidence"]:
            if span["source_id"] == NEWS:
                covered[span["start"] : span["end"]] = [True] * (span["end"] - span["start"])
    gaps = "".join("\0" if hit else ch for ch, hit in zip(held, covered, strict=True))
    for gap in gaps.split("\0"):
        assert len(gap.replace(SEPARATOR, "").strip()) <= 5, f"held but not quoted: {gap!r}"


def test_the_advisory_is_held_whole_without_page_markup(seeded: TestClient) -> None:
    original = ORIGINAL_ADVISORY.read_text(encoding="utf-8")
    source = _get(seeded, f"/v1/sources/{ADVISORY}")
    assert source["kind"] == "government_advisory"
    assert (source["published"], source["published_precision"]) == ("2022-05-16", "day")
    held = source["text"]
    for markup in ("layout: default", "nav_order", "<style", "</style>", "<div", "</div>"):
        assert markup not in held
    for markup in ("{:toc}", "1. TOC", "Table of Contents", "<ul>", "<a href"):
        assert markup not in held
    assert not held.startswith("---")
    assert held.startswith("## CONSEQUENCES OF ENGAGING IN PROHIBITED OR SANCTIONABLE CONDUCT")
    assert held in original, "the held text is one byte-exact stretch of the original"
    assert held.rstrip().endswith("north-korea=north-korea.")
    for sentence in (
        "UN Security Council resolution 2397 requires all Member States to repatriate",
        "UN Security Council resolution 2375 prohibits UN Member States",
        "Rewards for Justice program",
    ):
        assert sentence in held


# What the seeds hold.


def test_the_seeds_hold_the_sources_instruments_actors_and_published_claims(
    seeded: TestClient,
) -> None:
    claim_ids = _seed_ids("claims")
    claims = [_claim(seeded, claim_id) for claim_id in claim_ids]
    assert len(claims) >= 12
    assert all(claim["status"] == "published" for claim in claims)
    listed: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"status": "published", "limit": 100}
        if cursor:
            params["cursor"] = cursor
        page = seeded.get("/v1/claims", params=params).json()
        listed += [claim["id"] for claim in page["data"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert set(claim_ids) <= set(listed)

    sources = {s["id"]: s for s in seeded.get("/v1/sources").json()["data"]}
    assert {NEWS, ADVISORY} <= set(sources)

    res_2397 = _get(seeded, f"/v1/instruments/{RES_2397}")
    assert res_2397["symbol"] == "S/RES/2397 (2017)"
    assert (res_2397["adopted"], res_2397["adopted_precision"]) == ("2017-12-22", "day")
    assert res_2397["issuer_id"] == UNSC
    assert res_2397["url"] == "https://undocs.org/S/RES/2397(2017)"
    res_2375 = _get(seeded, f"/v1/instruments/{RES_2375}")
    assert (res_2375["symbol"], res_2375["adopted"]) == ("S/RES/2375 (2017)", "2017-09-11")

    expected: dict[str, tuple[str, str, set[str], set[tuple[str, str]]]] = {
        NORTH_KOREA: (
            "North Korea",
            "state",
            {"DPRK", "Democratic People's Republic of Korea", "Pyongyang"},
            {("iso3166", "KP"), ("wikidata", "Q423")},
        ),
        RUSSIA: ("Russia", "state", {"Russian Federation"}, {("iso3166", "RU")}),
        SYRIA: ("Syria", "state", set(), {("iso3166", "SY"), ("wikidata", "Q858")}),
        UKRAINE: ("Ukraine", "state", set(), {("iso3166", "UA"), ("wikidata", "Q212")}),
        DPR: (
            "Donetsk People's Republic",
            "de_facto_authority",
            {"DPR", "DNR", "People's Republic of Donetsk"},
            {("ofac", "17065")},
        ),
        LPR: (
            "Luhansk People's Republic",
            "de_facto_authority",
            {"LPR", "LNR", "Lugansk People's Republic"},
            {("ofac", "17023")},
        ),
        UNSC: ("UN Security Council", "international_organisation", set(), set()),
        PUSHILIN: ("Denis Pushilin", "person", set(), {("ofac", "16958")}),
        KIM: ("Kim Jong Un", "person", {"KIM, Jong Un"}, {("ofac", "20157")}),
        PUTIN: ("Vladimir Putin", "person", set(), {("wikidata", "Q7747")}),
        KCNA: ("Korean Central News Agency", "media_outlet", {"KCNA"}, set()),
        YANBIAN: (
            "Yanbian Silverstar Network Technology Co., Ltd.",
            "company",
            {"YANBIAN SILVER STAR"},
            {("ofac", "24977")},
        ),
    }
    for actor_id, (name, kind, aliases, external_ids) in expected.items():
        actor = _get(seeded, f"/v1/actors/{actor_id}")
        assert (actor["name"], actor["kind"]) == (name, kind)
        assert aliases <= {alias["name"] for alias in actor["aliases"]}, name
        assert external_ids <= {(e["scheme"], e["value"]) for e in actor["external_ids"]}, name


def test_pyongyang_is_a_weak_alias_of_north_korea(seeded: TestClient) -> None:
    aliases = {
        a["name"]: a["strength"] for a in _get(seeded, f"/v1/actors/{NORTH_KOREA}")["aliases"]
    }
    assert aliases["Pyongyang"] == "weak"
    assert aliases["DPRK"] == "strong"


# Domain checks: predicate, modality, roles and dates as the words say.


def test_the_labour_talks_are_discussed_not_occurred(seeded: TestClient) -> None:
    claim = _claim(seeded, LABOUR_DISCUSSED)
    assert (claim["predicate"], claim["modality"]) == ("labour_deployment", "discussed")
    assert {actor_id for actor_id, _ in _roles(claim)} == {NORTH_KOREA, RUSSIA, DPR, LPR}
    assert claim["dates"] == []


def test_the_advisory_2397_claim_has_a_day_deadline_and_cites_para_8(seeded: TestClient) -> None:
    claim = _claim(seeded, ADVISORY_2397)
    assert (claim["predicate"], claim["modality"]) == ("obligation", "required")
    assert _dates(claim)["deadline"] == ("2019-12-22", "day")
    assert [(i["symbol"], i["provision"]) for i in claim["instruments"]] == [
        ("S/RES/2397 (2017)", "para 8")
    ]
    assert claim["evidence"][0]["source_id"] == ADVISORY
    assert "by December 22, 2019" in claim["evidence"][0]["quote"]


def test_the_report_2397_claim_is_a_demand_with_a_month_deadline(seeded: TestClient) -> None:
    claim = _claim(seeded, REPORT_2397)
    assert (claim["predicate"], claim["modality"]) == ("obligation", "demanded")
    dates = _dates(claim)
    assert dates["deadline"] == ("2019-12", "month")
    assert dates["adopted"] == ("2017", "year")
    deadline = next(d for d in claim["dates"] if d["kind"] == "deadline")
    assert (deadline["earliest"], deadline["latest"]) == ("2019-12-01", "2019-12-31")
    assert (RUSSIA, "supporter") in _roles(claim)
    assert (UNSC, "issuer") in _roles(claim)
    assert [(i["symbol"], i["provision"]) for i in claim["instruments"]] == [
        ("S/RES/2397 (2017)", None)
    ]
    assert claim["evidence"][0]["source_id"] == NEWS


def test_the_advisory_on_2397_supports_the_report(seeded: TestClient) -> None:
    # Support is mutual; one direction says it, so that each claim is written once.
    report = _claim(seeded, REPORT_2397)
    advisory = _claim(seeded, ADVISORY_2397)
    assert report["relations"] == []
    assert advisory["relations"] == [{"relation": "supports", "target_id": REPORT_2397}]


def test_ukraine_severing_relations_responds_to_the_recognition(seeded: TestClient) -> None:
    recognition = _claim(seeded, RECOGNITION)
    assert (recognition["predicate"], recognition["modality"]) == ("recognition", "occurred")
    assert _dates(recognition) == {"occurred": ("2022-07", "month")}
    assert _roles(recognition) == {(NORTH_KOREA, "agent"), (DPR, "recipient"), (LPR, "recipient")}

    severs = _claim(seeded, UKRAINE_SEVERS)
    assert severs["predicate"] == "severing_of_relations"
    assert {"relation": "responds_to", "target_id": RECOGNITION} in severs["relations"]
    assert _roles(severs) == {(UKRAINE, "agent"), (NORTH_KOREA, "target")}


def test_the_kcna_reported_statements_are_attributed(seeded: TestClient) -> None:
    letter = _claim(seeded, PUSHILIN_LETTER)
    assert (letter["predicate"], letter["modality"]) == ("statement", "expected")
    assert {(PUSHILIN, "claimant"), (KIM, "addressee"), (KCNA, "reporter")} <= _roles(letter)
    # "on Wednesday" in a report published in August 2022: the month, not a guessed day.
    assert _dates(letter) == {"reported": ("2022-08", "month")}
    assert any("equally beneficial bilateral cooperation" in e["quote"] for e in letter["evidence"])

    putin = _claim(seeded, PUTIN_MESSAGE)
    assert {(PUTIN, "claimant"), (KIM, "addressee"), (KCNA, "reporter")} <= _roles(putin)
    assert _dates(putin) == {"reported": ("2022-08", "month")}

    hoped = _claim(seeded, TRADE_HOPED)
    assert (hoped["predicate"], hoped["modality"]) == ("trade_cooperation", "hoped")


def test_the_advisory_sanctions_claims(seeded: TestClient) -> None:
    prohibition = _claim(seeded, ADVISORY_2375)
    assert (prohibition["predicate"], prohibition["modality"]) == ("prohibition", "prohibited")
    assert [(i["symbol"], i["provision"]) for i in prohibition["instruments"]] == [
        ("S/RES/2375 (2017)", "para 17")
    ]
    designation = _claim(seeded, YANBIAN_DESIGNATED)
    assert (designation["predicate"], designation["modality"]) == ("designation", "occurred")
    assert _dates(designation) == {"occurred": ("2018", "year")}
    assert (YANBIAN, "target") in _roles(designation)
    # The advisory says "the United States" designated it, not which department.
    assert all(actor_id != US_TREASURY for actor_id, _ in _roles(designation))


# Loading is idempotent, and an edit writes exactly one revision.


def test_loading_twice_changes_nothing(engine: Engine, client: TestClient) -> None:
    first = load_seeds(engine, SEEDS)
    revisions = _revision_count(engine)
    etags = _etags(client)
    second = load_seeds(engine, SEEDS)
    assert second.files == first.files
    assert _revision_count(engine) == revisions
    assert _etags(client) == etags
    # Every seeded record is written once: one revision each, at version 1.
    seeded = sum(len(_seed_ids(kind)) for kind in ("actors", "instruments", "sources", "claims"))
    assert revisions == seeded
    for claim_id in _seed_ids("claims"):
        assert _claim(client, claim_id)["version"] == 1, claim_id


def test_each_seeded_entity_is_written_once_with_its_final_status(
    engine: Engine, seeded: TestClient
) -> None:
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT entity_type, entity_id, version, operation FROM revision "
                "WHERE entity_type != 'key' ORDER BY seq"  # the test client's key
            )
        ).all()
    expected = {
        (kind, entity_id)
        for kind in ("source", "actor", "instrument", "claim")
        for entity_id in _seed_ids(f"{kind}s")
    }
    assert len(rows) == len(expected)
    assert {(kind, entity_id) for kind, entity_id, _, _ in rows} == expected
    assert {(version, operation) for _, _, version, operation in rows} == {(1, "created")}
    for claim_id in _seed_ids("claims"):
        (revision,) = _get(seeded, f"/v1/claims/{claim_id}/revisions")["data"]
        assert revision["snapshot"] == _claim(seeded, claim_id)


def test_claims_of_a_file_that_relate_both_ways_are_each_written_once(
    engine: Engine, client: TestClient, tmp_path: Path
) -> None:
    edited = tmp_path / "seeds"
    shutil.copytree(SEEDS, edited)
    claims_file = next(p for p in edited.glob("*.json") if REPORT_2397 in p.read_text("utf-8"))
    seed = json.loads(claims_file.read_text(encoding="utf-8"))
    report = next(c for c in seed["claims"] if c["id"] == REPORT_2397)
    # The report comes first in its file and supports the advisory, which supports it.
    report["relations"] = [{"relation": "supports", "target_id": ADVISORY_2397}]
    claims_file.write_text(json.dumps(seed, ensure_ascii=False, indent=2), encoding="utf-8")

    load_seeds(engine, edited)

    for claim_id, target in ((REPORT_2397, ADVISORY_2397), (ADVISORY_2397, REPORT_2397)):
        claim = _claim(client, claim_id)
        assert {"relation": "supports", "target_id": target} in claim["relations"]
        (revision,) = _get(client, f"/v1/claims/{claim_id}/revisions")["data"]
        assert (revision["operation"], revision["snapshot"]) == ("created", claim)


def test_reloading_the_seeds_leaves_a_reviewed_status_alone(
    engine: Engine, seeded: TestClient
) -> None:
    path = f"/v1/claims/{TRADE_HOPED}/dispute"
    etag = seeded.get(f"/v1/claims/{TRADE_HOPED}").headers["etag"]
    disputed = seeded.post(path, json={"reason": "Second source."}, headers={"If-Match": etag})
    assert disputed.status_code == 200, disputed.text
    before = _revision_count(engine)

    load_seeds(engine, SEEDS)

    assert _revision_count(engine) == before
    assert _claim(seeded, TRADE_HOPED) == disputed.json()


def test_an_edited_seed_writes_one_revision_for_that_claim(
    engine: Engine, client: TestClient, tmp_path: Path
) -> None:
    load_seeds(engine, SEEDS)
    before = _revision_count(engine)
    version = _claim(client, TRADE_HOPED)["version"]

    edited = tmp_path / "seeds"
    shutil.copytree(SEEDS, edited)
    claims_file = next(p for p in edited.glob("*.json") if TRADE_HOPED in p.read_text("utf-8"))
    seed = json.loads(claims_file.read_text(encoding="utf-8"))
    body = next(c for c in seed["claims"] if c["id"] == TRADE_HOPED)
    body["statement"] = (
        "Denis Pushilin has said he hoped for fruitful cooperation with North Korea."
    )
    claims_file.write_text(json.dumps(seed, ensure_ascii=False, indent=2), encoding="utf-8")

    load_seeds(engine, edited)
    assert _revision_count(engine) == before + 1
    with engine.connect() as connection:
        entity_type, entity_id, operation = connection.execute(
            text("SELECT entity_type, entity_id, operation FROM revision ORDER BY seq DESC")
        ).first() or (None, None, None)
    assert (entity_type, entity_id, operation) == ("claim", TRADE_HOPED, "updated")
    claim = _claim(client, TRADE_HOPED)
    assert claim["version"] == version + 1
    assert claim["statement"] == body["statement"]

    load_seeds(engine, edited)
    assert _revision_count(engine) == before + 1


# The mends of a careful read beside the sources.


def _ids(client: TestClient, **params: Any) -> set[str]:
    page = _get(client, "/v1/claims?" + "&".join(f"{k}={v}" for k, v in params.items()))
    return {c["id"][-3:] for c in page["data"]}


def test_the_parties_the_passages_name_are_on_their_claims(seeded: TestClient) -> None:
    assert (DPR, "participant") in _roles(_claim(seeded, TRADE_HOPED))
    control = _claim(seeded, "0190a000-0000-7000-8000-000000000316")
    assert _roles(control) == {
        (NORTH_KOREA, "agent"),
        (YANBIAN, "subject"),
        ("0190a000-0000-7000-8000-000000000106", "location"),
    }
    assert _dates(_claim(seeded, ADVISORY_2397)) == {
        "adopted": ("2017-12-22", "day"),
        "deadline": ("2019-12-22", "day"),
    }


def test_the_advisory_cites_the_us_instruments_and_programs(seeded: TestClient) -> None:
    assert _ids(seeded, instrument="E.O.%2013382") == {"318", "321"}
    assert _ids(seeded, instrument="50%20U.S.C.%201701") == {"321"}
    assert _ids(seeded, instrument="31%20CFR%20part%20510") == {"319", "321"}
    assert _ids(seeded, instrument="Public%20Law%20115-44") == {"320"}
    assert _ids(seeded, instrument="31%20U.S.C.%205318") == {"322", "323", "324"}
    assert _ids(seeded, program="DPRK3") == {"315"}
    facets = _get(seeded, "/v1/claims/facets?program=DPRK4")
    assert facets["total"] == 1


def test_the_duties_a_bank_acts_on(seeded: TestClient) -> None:
    duties = _ids(seeded, predicate="obligation", modality="required")
    assert {"322", "324"} <= duties
    assert _ids(seeded, predicate="penalty") >= {"318", "319", "321", "323"}


def test_ofac_aliases_resolve(seeded: TestClient) -> None:
    for alias, actor in (
        ("PUSHYLIN,%20Denis", PUSHILIN),
        ("PUSHYLIN,%20Denys", PUSHILIN),
        ("UNSONG%20INTERNET%20TECHNOLOGY%20CORPORATION", YANBIAN),
    ):
        page = _get(seeded, f"/v1/claims?actor={alias}")
        assert page["data"], alias
        assert all(actor in {a["actor_id"] for a in c["actors"]} for c in page["data"]), alias
