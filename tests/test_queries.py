"""Compliance questions over hand-built claims, answered through GET /v1/claims."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import create, quote_of

TEXT = (
    "A 2017 U.N. Security Council resolution, which Russia backed, demanded that all "
    "countries repatriate all North Korean workers by December 2019. "
    "Officials from North Korea, Russia, and the breakaway regions have discussed eventually "
    "sending North Korean labourers. "
    "In July, North Korea recognised the Donetsk (DPR) and Luhansk People's Republics (LPR). "
    "Ukraine immediately severed relations with Pyongyang over the move. "
    "A later resolution required the return of the remaining workers by 2021. "
    "In 2019 North Korea denied that its workers were still abroad. "
    "North Korean workers were reported in Lugansk last spring."
)


class Analyst:
    """Actors, an instrument, a source and seven claims about North Korean labour."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.source = create(
            client,
            "/v1/sources",
            {"kind": "news_article", "title": "Donbas leader urges cooperation with North Korea",
             "publisher": "Reuters", "author": "Josh Smith", "published": "2022-08-17",
             "url": "https://www.reuters.com/world/x", "text": TEXT},
        )  # fmt: skip
        self.state_media = create(
            client,
            "/v1/sources",
            {"kind": "state_media_report", "title": "KCNA report", "publisher": "KCNA",
             "published": "2019-05", "text": TEXT, "allow_duplicate_source": True},
        )  # fmt: skip
        self.north_korea = self.actor(
            "state",
            "North Korea",
            [("DPRK", "strong"), ("Democratic People's Republic of Korea", "strong"),
             ("Pyongyang", "weak")],
            [{"scheme": "ofac", "value": "20157"}],
        )  # fmt: skip
        self.russia = self.actor("state", "Russia", [("Russian Federation", "strong")])
        self.ukraine = self.actor("state", "Ukraine", [("Kyiv", "weak")])
        self.lpr = self.actor(
            "de_facto_authority",
            "Luhansk People's Republic",
            [("Lugansk People’s Republic", "strong"), ("LPR", "strong"), ("Lugansk", "strong"),
             ("Luhansk", "strong")],
        )  # fmt: skip
        self.unsc = self.actor("international_organisation", "UN Security Council", [])
        self.resolution = create(
            client,
            "/v1/instruments",
            {"symbol": "S/RES/2397 (2017)", "adopted": "2017-12-22", "issuer_id": self.unsc},
        )["id"]
        nk, ru, ua, lpr = self.north_korea, self.russia, self.ukraine, self.lpr
        self.deadline_2019 = self.claim(
            "obligation", "required", "demanded that all countries repatriate",
            [(self.unsc, "issuer"), (nk, "subject")],
            [("adopted", "2017-12-22"), ("deadline", "2019-12"), ("reported", "2022-08-17")],
            instruments=[{"instrument_id": self.resolution, "provision": "para 8"}],
            programs=["DPRK3"],
        )  # fmt: skip
        self.labourers = self.claim(
            "labour_deployment", "discussed",
            "have discussed eventually sending North Korean labourers",
            [(nk, "participant"), (ru, "participant"), (lpr, "participant")],
            [("reported", "2022-08-17")], programs=["DPRK3"],
        )  # fmt: skip
        self.recognition = self.claim(
            "recognition", "occurred", "North Korea recognised the Donetsk",
            [(nk, "agent"), (lpr, "recipient")],
            [("occurred", "2022-07"), ("reported", "2022-07-13")],
        )  # fmt: skip
        self.rupture = self.claim(
            "severing_of_relations", "occurred", "Ukraine immediately severed relations",
            [(ua, "agent"), (nk, "recipient")],
            [("occurred", "2022-07-13"), ("reported", "2022-07-14")],
        )  # fmt: skip
        self.deadline_2021 = self.claim(
            "obligation", "required", "required the return of the remaining workers",
            [(self.unsc, "issuer"), (nk, "subject")],
            [("deadline", "2021"), ("reported", "2022-08-17")],
            instruments=[{"instrument_id": self.resolution, "provision": "para 7"}],
        )  # fmt: skip
        self.denial_2019 = self.claim(
            "statement", "denied", "North Korea denied that its workers",
            [(nk, "claimant")], [("occurred", "2019"), ("reported", "2019-05-02")],
            source=self.state_media,
        )  # fmt: skip
        self.retracted = self.claim(
            "labour_deployment", "occurred", "North Korean workers were reported in Lugansk",
            [(nk, "agent"), (lpr, "location")], [("reported", "2023-04-02")],
        )  # fmt: skip
        response = client.get(f"/v1/claims/{self.retracted}")
        retract = client.post(
            f"/v1/claims/{self.retracted}/retract",
            json={"reason": "Misread."},
            headers={"If-Match": response.headers["ETag"]},
        )
        assert retract.status_code == 200, retract.text

    def actor(
        self,
        kind: str,
        name: str,
        aliases: list[tuple[str, str]],
        external_ids: list[dict[str, str]] | None = None,
        allow_duplicate_name: bool = False,
    ) -> str:
        body = {
            "kind": kind,
            "name": name,
            "aliases": [{"name": n, "strength": s} for n, s in aliases],
            "external_ids": external_ids or [],
            "allow_duplicate_name": allow_duplicate_name,
        }
        return str(create(self.client, "/v1/actors", body)["id"])

    def claim(
        self,
        predicate: str,
        modality: str,
        quote: str,
        actors: list[tuple[str, str]],
        dates: list[tuple[str, str]],
        *,
        source: dict[str, Any] | None = None,
        **more: Any,
    ) -> str:
        body = {
            "predicate": predicate,
            "statement": quote[:1].upper() + quote[1:] + ".",
            "modality": modality,
            "status": "published",
            "actors": [{"actor_id": a, "role": r} for a, r in actors],
            "dates": [{"kind": k, "value": v} for k, v in dates],
            "evidence": [{"source_id": (source or self.source)["id"], **quote_of(TEXT, quote)}],
            **more,
        }
        return str(create(self.client, "/v1/claims", body)["id"])

    def ids(self, **params: Any) -> set[str]:
        response = self.client.get("/v1/claims", params={"limit": 500, **params})
        assert response.status_code == 200, response.text
        assert response.json()["next_cursor"] is None
        return {claim["id"] for claim in response.json()["data"]}


@pytest.fixture
def analyst(client: TestClient) -> Analyst:
    return Analyst(client)


def test_claims_involving_north_korea_reported_after_2022(analyst: Analyst) -> None:
    found = analyst.ids(actor="North Korea", date_kind="reported", date_from="2022-01-01")
    assert found == {
        analyst.deadline_2019,
        analyst.labourers,
        analyst.recognition,
        analyst.rupture,
        analyst.deadline_2021,
    }


def test_obligations_with_a_deadline_before_2020_and_their_instrument(analyst: Analyst) -> None:
    response = analyst.client.get(
        "/v1/claims",
        params={"predicate": "obligation", "date_kind": "deadline", "date_to": "2019-12-31"},
    )
    claims = response.json()["data"]
    assert [claim["id"] for claim in claims] == [analyst.deadline_2019]
    assert claims[0]["instruments"][0]["symbol"] == "S/RES/2397 (2017)"
    assert claims[0]["instruments"][0]["provision"] == "para 8"


def test_claims_citing_an_instrument_by_symbol_or_id(analyst: Analyst) -> None:
    expected = {analyst.deadline_2019, analyst.deadline_2021}
    assert analyst.ids(instrument="S/RES/2397 (2017)") == expected
    assert analyst.ids(instrument="s/res/2397  (2017)") == expected
    assert analyst.ids(instrument=analyst.resolution) == expected
    assert analyst.ids(instrument=analyst.resolution, provision="PARA 8") == {analyst.deadline_2019}


def test_claims_whose_evidence_mentions_labourers(analyst: Analyst) -> None:
    assert analyst.ids(q="labourers") == {analyst.labourers}
    assert analyst.ids(q="LABOURERS sending") == {analyst.labourers}
    workers = {analyst.denial_2019, analyst.deadline_2021}  # the retracted one is hidden
    assert analyst.ids(q="workers") == workers
    assert analyst.ids(q="workers", status=["published", "retracted"]) == workers | {
        analyst.retracted
    }


ALIASES_OF_NORTH_KOREA = [
    "North Korea",
    "north   KOREA",
    "Korea, North",
    "DPRK",
    "Democratic People's Republic of Korea",
    "Democratic People’s Republic of Korea",
    "democratic peoples republic of korea",
    "Pyongyang",
]


def test_alias_variants_give_identical_results(analyst: Analyst) -> None:
    by_id = analyst.ids(actor=analyst.north_korea)
    assert len(by_id) == 6
    for name in ALIASES_OF_NORTH_KOREA:
        assert analyst.ids(actor=name) == by_id, name
    by_lpr = analyst.ids(actor=analyst.lpr)
    assert by_lpr == {analyst.labourers, analyst.recognition}
    for name in [
        "Lugansk",
        "Luhansk",
        "LPR",
        "Lugansk People's Republic",
        "republic luhansk peoples",
    ]:
        assert analyst.ids(actor=name) == by_lpr, name


def test_actor_role_and_repeated_actors(analyst: Analyst) -> None:
    assert analyst.ids(actor="DPRK", actor_role="agent") == {analyst.recognition}
    assert analyst.ids(actor=["Ukraine", "Russia"]) == {analyst.rupture, analyst.labourers}
    assert analyst.ids(actor_role="claimant") == {analyst.denial_2019}


def test_strong_alias_beats_weak_and_ties_are_422(analyst: Analyst, client: TestClient) -> None:
    # A city whose strong name is Pyongyang: North Korea's weak alias yields to it.
    city = analyst.actor("region", "Pyongyang", [])
    assert analyst.ids(actor="Pyongyang") == set()  # the city itself is cited by nothing
    assert city
    twin = analyst.actor("state", "Korea DPR", [("DPRK", "strong")], allow_duplicate_name=True)
    response = client.get("/v1/claims", params={"actor": "dprk"})
    assert response.status_code == 422
    problem = response.json()
    assert problem["errors"][0]["parameter"] == "actor"
    (candidates,) = problem["candidates"]
    assert candidates["reason"] == "ambiguous"
    assert {actor["id"] for actor in candidates["actors"]} == {analyst.north_korea, twin}
    assert {actor["name"] for actor in candidates["actors"]} == {"North Korea", "Korea DPR"}


def test_unknown_name_is_422_with_closest_names(client: TestClient, analyst: Analyst) -> None:
    response = client.get("/v1/claims", params={"actor": "Nort Koreia"})
    assert response.status_code == 422
    problem = response.json()
    (unknown,) = problem["candidates"]
    assert unknown["reason"] == "no_match"
    assert unknown["actors"][0]["id"] == analyst.north_korea
    assert "North Korea" in problem["detail"]


def test_merged_actor_id_resolves_to_its_survivor(client: TestClient, analyst: Analyst) -> None:
    duplicate = analyst.actor("state", "Korea (North)", [], allow_duplicate_name=True)
    etag = client.get(f"/v1/actors/{duplicate}").headers["ETag"]
    merged = client.post(
        f"/v1/actors/{duplicate}/merge",
        json={"into": analyst.north_korea},
        headers={"If-Match": etag},
    )
    assert merged.status_code == 200, merged.text
    assert analyst.ids(actor=duplicate) == analyst.ids(actor=analyst.north_korea)
    assert analyst.ids(actor="Korea (North)") == analyst.ids(actor=analyst.north_korea)


def test_dates_match_by_overlap(analyst: Analyst) -> None:
    # Deadline "2019-12" is the whole of December: any day of it overlaps.
    assert analyst.deadline_2019 in analyst.ids(date_kind="deadline", date_from="2019-12-22")
    assert analyst.deadline_2019 in analyst.ids(date_kind="deadline", date_to="2019-12-01")
    assert analyst.deadline_2019 not in analyst.ids(date_kind="deadline", date_from="2020")
    # "occurred" is the default date kind; the recognition happened in July 2022.
    assert analyst.ids(date_from="2022-07-31") == {analyst.recognition}
    assert analyst.ids(date_from="2022-07-13", date_to="2022-07") == {
        analyst.recognition,
        analyst.rupture,
    }
    assert analyst.ids(date_from="2019", date_to="2019") == {analyst.denial_2019}
    # A year-only value overlaps a window starting on its last day (SQLite's scan floor,
    # a year before `date_from`, must not cut it), and a window from year 1 is valid.
    assert analyst.denial_2019 in analyst.ids(date_from="2019-12-31", date_to="2020-06")
    assert analyst.ids(date_from="0001") >= {analyst.denial_2019, analyst.recognition}


def test_other_filters(analyst: Analyst) -> None:
    assert analyst.ids(program="DPRK3") == {analyst.deadline_2019, analyst.labourers}
    assert analyst.ids(modality=["denied", "discussed"]) == {
        analyst.denial_2019,
        analyst.labourers,
    }
    assert analyst.ids(source=analyst.state_media["id"]) == {analyst.denial_2019}
    assert analyst.ids(source_kind="state_media_report") == {analyst.denial_2019}
    assert analyst.ids(publisher="KCNA") == {analyst.denial_2019}
    assert analyst.ids(publisher="reuters", source_kind="state_media_report") == set()
    assert analyst.ids(status="retracted") == {analyst.retracted}
    everything = analyst.ids(status=["draft", "published", "disputed", "retracted"])
    assert len(everything) == 7
    assert analyst.ids(updated_since="2000-01-01T00:00:00Z") == everything - {analyst.retracted}
    assert analyst.ids(updated_since="2999-01-01T00:00:00") == set()


def test_sorts(analyst: Analyst, client: TestClient) -> None:
    def order(**params: Any) -> list[str]:
        response = client.get("/v1/claims", params={"limit": 500, **params})
        assert response.status_code == 200, response.text
        return [claim["id"] for claim in response.json()["data"]]

    created = [
        analyst.deadline_2019,
        analyst.labourers,
        analyst.recognition,
        analyst.rupture,
        analyst.deadline_2021,
        analyst.denial_2019,
    ]
    assert order() == created
    assert order(sort="id") == created
    by_report = [
        analyst.denial_2019,  # 2019-05-02
        analyst.recognition,  # 2022-07-13
        analyst.rupture,  # 2022-07-14
        *sorted([analyst.deadline_2019, analyst.labourers, analyst.deadline_2021]),
    ]
    assert order(sort="date", date_kind="reported") == by_report
    assert order(sort="-date", date_kind="reported") == list(reversed(by_report))
    # Claims without a date of the kind come last, by id, in both directions.
    undated = sorted([analyst.deadline_2019, analyst.labourers, analyst.deadline_2021])
    by_event = [analyst.denial_2019, analyst.recognition, analyst.rupture]
    assert order(sort="date") == [*by_event, *undated]
    assert order(sort="-date") == [*reversed(by_event), *undated]
    assert order(sort="updated_at") == created
    assert order(sort="-updated_at") == list(reversed(created))
    assert order(sort="relevance", q="denied workers") == [analyst.denial_2019]
    assert set(order(sort="relevance", q="workers")) == {
        analyst.denial_2019,
        analyst.deadline_2021,
    }


@pytest.mark.parametrize(
    ("params", "status", "parameter"),
    [
        ({"predicate": "invasion"}, 422, "predicate"),
        ({"modality": "maybe"}, 422, "modality"),
        ({"actor_role": "villain"}, 422, "actor_role"),
        ({"source_kind": "tweet"}, 422, "source_kind"),
        ({"status": "deleted"}, 422, "status"),
        ({"date_kind": "someday"}, 422, "date_kind"),
        ({"date_from": "2019-13"}, 422, "date_from"),
        ({"date_from": "22-01-2019"}, 422, "date_from"),
        ({"date_to": "2019-02-30"}, 422, "date_to"),
        ({"date_from": "2020", "date_to": "2019"}, 422, "date_to"),
        ({"updated_since": "yesterday"}, 422, "updated_since"),
        ({"min_confidence": "1.5"}, 422, "min_confidence"),
        ({"instrument": "S/RES/9999 (2099)"}, 422, "instrument"),
        ({"source": "0190a000-0000-7000-8000-00000000dead"}, 422, "source"),
        ({"sort": "relevance"}, 422, "sort"),
        ({"sort": "random"}, 422, "sort"),
        ({"limit": "0"}, 422, "limit"),
        ({"limit": "501"}, 422, "limit"),
        ({"actr": "DPRK"}, 422, "actr"),
        ({"actor": "x" * 301}, 422, "actor"),
        ({"cursor": "garbage"}, 400, None),
        ({"cursor": "eyJ4IjoxfQ.AAAA"}, 400, None),
    ],
)
def test_bad_filter_values_are_problems(
    analyst: Analyst, params: dict[str, str], status: int, parameter: str | None
) -> None:
    for path in ["/v1/claims", "/v1/claims/facets"]:
        if path.endswith("facets") and {"sort", "limit", "cursor"} & set(params):
            continue
        response = analyst.client.get(path, params=params)
        assert response.status_code == status, (path, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        if parameter:
            assert parameter in {error.get("parameter") for error in response.json()["errors"]}


def test_cursor_is_bound_to_filters_and_sort(analyst: Analyst, client: TestClient) -> None:
    first = client.get("/v1/claims", params={"limit": 2, "actor": "DPRK"}).json()
    cursor = first["next_cursor"]
    assert cursor
    same = client.get("/v1/claims", params={"limit": 3, "actor": "North Korea", "cursor": cursor})
    assert same.status_code == 200  # the same actor, by another name; another page size
    for other in [
        {"actor": "Russia"},
        {"actor": "DPRK", "predicate": "obligation"},
        {"actor": "DPRK", "sort": "updated_at"},
        {"actor": "DPRK", "q": "workers"},
        {},
    ]:
        response = client.get("/v1/claims", params={**other, "cursor": cursor})
        assert response.status_code == 400, other
        assert response.headers["content-type"] == "application/problem+json"
    tampered = cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB")
    assert client.get("/v1/claims", params={"actor": "DPRK", "cursor": tampered}).status_code == 400


def test_list_etag_follows_query_and_writes(analyst: Analyst, client: TestClient) -> None:
    first = client.get("/v1/claims", params={"actor": "DPRK"})
    etag = first.headers["ETag"]
    again = client.get("/v1/claims", params={"actor": "DPRK"}, headers={"If-None-Match": etag})
    assert again.status_code == 304
    other = client.get("/v1/claims", params={"actor": "Russia"}, headers={"If-None-Match": etag})
    assert other.status_code == 200
    analyst.actor("state", "Syria", [])  # not on the page: the page is unchanged
    unrelated = client.get("/v1/claims", params={"actor": "DPRK"}, headers={"If-None-Match": etag})
    assert (unrelated.status_code, unrelated.headers["ETag"]) == (304, etag)
    on_the_page = first.json()["data"][0]
    edited = client.patch(
        f"/v1/claims/{on_the_page['id']}",
        content=b'{"confidence": 0.5}',
        headers={
            "Content-Type": "application/merge-patch+json",
            "If-Match": client.get(f"/v1/claims/{on_the_page['id']}").headers["ETag"],
        },
    )
    assert edited.status_code == 200, edited.text
    after = client.get("/v1/claims", params={"actor": "DPRK"}, headers={"If-None-Match": etag})
    assert after.status_code == 200
    assert after.headers["ETag"] != etag
