"""Name normalisation shared by alias storage and name lookups.

Both sides go through the same function, so `Lugansk People’s Republic`, `LUGANSK PEOPLES
REPUBLIC` and `republic, lugansk people's` meet on one key.
"""

import re
import unicodedata

_APOSTROPHES = "'’‘ʼ`´ʻ"
_NON_WORD = re.compile(r"[^\w]+")


def normalise(name: str) -> str:
    """Casefolded words without diacritics, apostrophes or punctuation, in their order."""
    decomposed = unicodedata.normalize("NFKD", name)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    for apostrophe in _APOSTROPHES:
        stripped = stripped.replace(apostrophe, "")
    words = _NON_WORD.sub(" ", stripped.casefold()).split()
    return " ".join(words)


def match_key(name: str) -> str:
    """The normalised words sorted, so word order does not matter (`KIM, Jong Un`)."""
    return " ".join(sorted(normalise(name).split()))
