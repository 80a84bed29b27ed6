"""The seeds say exactly what their sources say.

Each seeded claim is read beside its evidence for the words that carry its scope: a
condition ("for DPRK-related activity"), a hedge ("among other potential restrictions"), a
criterion of a list, a party, a deadline. Every such phrase must be in the claim's statement
(said the same way, or as the named paraphrase) and in one of its quotes, so a statement
cannot widen, narrow or drop what its passage says without failing here. The table names
every seeded claim: a new seed needs its row.
"""

import json
import re
from pathlib import Path

import pytest

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
CLAIMS = {c["id"][-3:]: c for c in json.loads((SEEDS / "40_claims.json").read_text())["claims"]}


def _words(text: str) -> str:
    """Compare words, not typography: curly and straight quotes, dashes, spacing."""
    text = text.replace("’", "'").replace("“", '"').replace("”", '"').replace("—", " ")
    return re.sub(r"\s+", " ", text).lower()


# claim → [(phrase in the statement, phrase in a quote)]; one string when both say it alike.
SCOPE: dict[str, list[str | tuple[str, str]]] = {
    "301": [("expressed the conviction", "expressed the conviction"), "equally beneficial"],
    "302": [("in july 2022", "in july"), ("third country", "third country")],
    "303": ["russia and syria"],
    "304": ["immediately severed relations"],
    "305": [("two days before", "two days after"), "putin"],
    "306": ['"special military operation"', '"genocide"'],
    "307": ["imperial-style war of conquest"],
    "308": ['"fruitful cooperation"', "increased trade", ("donetsk", "pushilin")],
    "309": ["discussed eventually sending north korean labourers", "russia"],
    "310": ["which russia backed", "all north korean workers by december 2019", "foreign currency"],
    "311": ["2321, 2371", "nuclear weapons and ballistic missile programs"],
    "312": [
        "new work authorizations",
        ("unless the 1718 committee approves in advance", "unless approved in advance"),
    ],
    "313": [
        "by december 22, 2019",
        "regardless of when or whether work authorizations were issued",
    ],
    "314": [
        "among other things",
        "undermine cybersecurity",
        "operated on behalf of the dprk in the it industry",
        "certain other malicious cyber-enabled activities",
        "of any goods, services, or technology",
        "software, where any revenue or goods received may benefit",
        "materially assisted, sponsored",
    ],
    "315": ["in 2018", "china-based technology firm"],
    "316": ["nominally a chinese it company", "managed and controlled by north koreans"],
    "317": ["russia-based front company", "circumvent identification requirements"],
    "318": [
        "in consultation with the secretary of state",
        "knowingly conducted or facilitated significant trade",
        "on behalf of a person designated under a dprk-related executive order",
        "13382",
        "for dprk-related activity",
        "among other potential restrictions",
        "correspondent or payable-through account",
    ],
    "319": ["31 c.f.r. part 510", "twice the value of the underlying transaction"],
    "320": [("rebuttably", "rebuttable presumption"), "wholly or in part", "anywhere in the world"],
    "321": ["willful", "20 years", "twice the gross gain", "forfeiture of all funds"],
    "322": [
        "among other things",
        "anti-money laundering programs",
        "file certain reports with fincen",
    ],
    "323": ["5 years", "$250,000", "forfeiture of property", "criminally prosecuted"],
    "324": ["written notice", "within ten business days", "daily civil penalties"],
}


def test_every_seeded_claim_has_its_scope_row() -> None:
    assert sorted(SCOPE) == sorted(CLAIMS)


@pytest.mark.parametrize("claim_id", sorted(CLAIMS))
def test_statement_keeps_the_scope_of_its_quotes(claim_id: str) -> None:
    claim = CLAIMS[claim_id]
    statement = _words(claim["statement"])
    quotes = _words(" ".join(e["quote"] for e in claim["evidence"]))
    for phrase in SCOPE[claim_id]:
        said, quoted = (phrase, phrase) if isinstance(phrase, str) else phrase
        assert said in statement, f"claim {claim_id}: the statement lacks {said!r}"
        assert quoted in quotes, f"claim {claim_id}: no quote says {quoted!r}"


def test_an_expressed_conviction_is_an_expectation() -> None:
    # "The message expressed the conviction that ... will be achieved": Pushilin cannot
    # promise for North Korea.
    assert CLAIMS["301"]["modality"] == "expected"
