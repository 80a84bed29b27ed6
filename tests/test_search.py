"""Full-text search (`q`): our grammar, the same answers on SQLite and PostgreSQL, and no
user input ever reaching the engine as syntax."""

import pytest
from fastapi.testclient import TestClient

from app.claims.search import SearchQuery, fts5_expression, parse_query, search_text
from app.errors import InvalidInput
from tests.factories import create, quote_of

TEXT = (
    "Denis Pušilin wrote to Kim Jong Un promising cooperation. "
    "The Lugansk People’s Republic hosted the talks near Alchevsk. "
    "Resolution S/RES/2397 (2017) demanded the repatriation of workers. "
    "Officials discussed sending North Korean labourers to Donetsk. "
    "Workers were seen at a construction site (NEAR the border) & paid in cash."
)
QUOTES = {
    "pushilin": "Denis Pušilin wrote to Kim Jong Un promising cooperation",
    "lugansk": "The Lugansk People’s Republic hosted the talks near Alchevsk",
    "resolution": "Resolution S/RES/2397 (2017) demanded the repatriation of workers",
    "labourers": "Officials discussed sending North Korean labourers to Donetsk",
    "site": "Workers were seen at a construction site (NEAR the border) & paid in cash",
}


@pytest.fixture
def claims(client: TestClient) -> dict[str, str]:
    source = create(client, "/v1/sources", {"kind": "news_article", "title": "T", "text": TEXT})
    actor = create(client, "/v1/actors", {"kind": "state", "name": "North Korea"})
    made = {}
    for number, (name, quote) in enumerate(QUOTES.items()):
        body = {
            "predicate": "statement",
            "statement": f"Claim number {number}.",
            "modality": "occurred",
            "status": "published",
            "actors": [{"actor_id": actor["id"], "role": "subject"}],
            "evidence": [{"source_id": source["id"], **quote_of(TEXT, quote)}],
        }
        made[name] = create(client, "/v1/claims", body)["id"]
    return made


def _found(client: TestClient, q: str, **params: str) -> set[str]:
    response = client.get("/v1/claims", params={"q": q, "limit": 500, **params})
    assert response.status_code == 200, response.text
    return {claim["id"] for claim in response.json()["data"]}


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("workers", {"resolution", "site"}),
        ("WORKERS", {"resolution", "site"}),
        ("workers -border", {"resolution"}),
        ('workers -"construction site"', {"resolution"}),
        ("pushilin", set()),  # no stemming or transliteration: š is s, not sh
        ("Pusilin", {"pushilin"}),
        ("Pušilin", {"pushilin"}),
        ("Lugansk People's Republic", {"lugansk"}),
        ("lugansk peoples", {"lugansk"}),
        ('"people’s republic"', {"lugansk"}),
        ('"republic people\'s"', set()),  # a phrase keeps its word order
        ("S/RES/2397", {"resolution"}),
        ('"2397 2017"', {"resolution"}),
        ("labourer", set()),  # no stemming
        ("north korean labourers", {"labourers"}),
        ("near", {"lugansk", "site"}),
        ("NEAR", {"lugansk", "site"}),
        ("claim", set(QUOTES)),  # statements are searched too
        ('"claim number 3"', {"labourers"}),
        ("claim number -workers -cooperation", {"lugansk", "labourers"}),
        ('"unbalanced phrase', set()),
        ('"construction site', {"site"}),
        ("(NEAR)", {"lugansk", "site"}),
        ("cash & paid", {"site"}),
        ("paid | cash", {"site"}),
        ("!cash", {"site"}),
        ("workers:*", {"resolution", "site"}),
        ("NEAR(workers border)", set()),  # `NEAR(workers` is the phrase "near workers"
        ("NEAR( workers border)", {"site"}),
        ("workers OR Pusilin", set()),  # OR is a word here, and no text has it
        ("AND", set()),
        ("'; DROP TABLE claim; --", set()),
        ("drop", set()),
    ],
)
def test_search_answers(
    client: TestClient, claims: dict[str, str], q: str, expected: set[str]
) -> None:
    assert _found(client, q) == {claims[name] for name in expected}


@pytest.mark.parametrize(
    "q",
    ["", "-", "--", "-workers", '-"construction site"', '"', '""', "!!!", "&|!:*()", " ", "-(x)"],
)
def test_queries_with_nothing_to_find_are_422(client: TestClient, q: str) -> None:
    response = client.get("/v1/claims", params={"q": q})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["parameter"] == "q"


HOSTILE = [
    '"',
    "'",
    '"a" "b',
    "((((",
    "))",
    "NEAR(a b, 2)",
    "*",
    "a*",
    ":",
    "title:workers",
    "&",
    "a & b",
    "|",
    "!",
    "!a",
    "a <-> b",
    "a:* & !b",
    "\\",
    "%_%",
    "a\x00b",
    "workers\tborder\n",
    "\u202eworkers",
    "ｗｏｒｋｅｒｓ",
    "x" * 500,
    " ".join(["w"] * 40),
    "-a -b -c",
    "\"'`´’",
]


@pytest.mark.parametrize("q", HOSTILE)
def test_hostile_input_is_an_answer_or_a_422_never_a_500(
    client: TestClient, claims: dict[str, str], q: str
) -> None:
    for params in ({"q": q}, {"q": q, "sort": "relevance"}):
        response = client.get("/v1/claims", params=params)
        assert response.status_code in (200, 422), response.text
        facets = client.get("/v1/claims/facets", params={"q": q})
        assert facets.status_code in (200, 422), facets.text


def test_full_width_letters_are_the_same_words(client: TestClient, claims: dict[str, str]) -> None:
    assert _found(client, "ｗｏｒｋｅｒｓ") == _found(client, "workers")


def test_parse_query() -> None:
    assert parse_query('Luhansk "people’s republic" -Donetsk -"S/RES/2397"') == SearchQuery(
        required=(("luhansk",), ("peoples", "republic")),
        excluded=(("donetsk",), ("s", "res", "2397")),
    )
    assert parse_query("a a a").required == (("a",),)
    with pytest.raises(InvalidInput):
        parse_query("-only -exclusions")
    with pytest.raises(InvalidInput):
        parse_query(" ".join(f"w{i}" for i in range(33)))


def test_fts5_expression_quotes_every_word() -> None:
    expression = fts5_expression(parse_query('NEAR(a b) "x y" -NOT -"AND OR" c:*'))
    assert expression == '("near a" AND "b" AND "x y" AND "c") NOT "not" NOT "and or"'


def test_search_text_is_normalised_words() -> None:
    assert search_text("Pušilin’s letter", ["S/RES/2397 (2017)", "snake_case"]) == (
        "pusilins letter s res 2397 2017 snake case"
    )
