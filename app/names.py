"""Normalised keys: of names (alias storage, name lookups, duplicate checks), of external ids,
instrument symbols and source URLs.

Each key is computed by one function here and stored beside the value it is the key of
(kept on every write, indexed), so a lookup or a duplicate check is an indexed equality.
Both sides of a comparison go through the same function, so `Lugansk People’s Republic`,
`LUGANSK PEOPLES REPUBLIC` and `republic, lugansk people's` meet on one key.
"""

import re
from urllib.parse import urlsplit, urlunsplit

from normality import normalize

_APOSTROPHES = str.maketrans(dict.fromkeys("'’‘ʼ`´ʻ"))
_SPACES = re.compile(r"\s+")
# Marks are dropped and spaces collapsed; punctuation stays (see `spelling_key`).
_SPELLING_CATEGORIES: dict[str, str | None] = {
    "Mn": None,
    "Me": None,
    "Cf": None,
    "Cc": " ",
    "Zs": " ",
    "Zl": " ",
    "Zp": " ",
}
# Schemes whose identifiers are the same whatever their case: the UN Security Council's
# permanent references (`KPi.034`, also printed `KPI.034`) and OFAC's entity numbers.
CASE_INSENSITIVE_SCHEMES = frozenset({"un_sc", "ofac"})


def normalise(name: str) -> str:
    """Casefolded words without diacritics, apostrophes or punctuation, in their order.

    normality does the Unicode work (decomposition, dropping marks, punctuation to spaces);
    apostrophes go first so that `People's` stays one word. Scripts are not transliterated:
    a transliteration is a guess, and a guessed key would merge names that differ.
    """
    return normalize(name.casefold().translate(_APOSTROPHES)) or ""


def spelling_key(name: str) -> str:
    """The name as spelled, but for case, accents and runs of spaces: two aliases of one
    actor with this key are one alias (`Sao Tome` and `SÃO TOMÉ`; not `KIM, Jong Un` and
    `Kim Jong Un`, which is how a list writes it)."""
    return normalize(name.casefold(), replace_categories=_SPELLING_CATEGORIES) or ""


def match_key(name: str) -> str:
    """The normalised words sorted, so word order does not matter (`KIM, Jong Un`)."""
    return " ".join(sorted(normalise(name).split()))


def external_id_key(scheme: str, value: str) -> str:
    """`scheme:value` as the scheme compares it: trimmed, and casefolded where case does not
    distinguish identifiers (`un_sc:KPi.034` is `un_sc:KPI.034`)."""
    value = value.strip()
    return f"{scheme}:{value.casefold() if scheme in CASE_INSENSITIVE_SCHEMES else value}"


def symbol_key(symbol: str) -> str:
    """An instrument symbol without spaces, casefolded: `S/RES/2397 (2017)` is
    `S/RES/2397(2017)` and `s/res/2397 (2017)`."""
    return _SPACES.sub("", symbol).casefold()


def url_key(url: str) -> str:
    """A URL as a document address: scheme and host in lower case, no fragment, no trailing
    slash (`https://Example.org/a/#top` is `https://example.org/a`)."""
    parts = urlsplit(url.strip())
    path = parts.path.rstrip("/")
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, parts.query, ""))
