"""The queries each scenario asks, drawn from the loaded data with a fixed seed.

Cases are abstract (a claim id, an actor and a date window, a word): each peer turns them
into its own URL (bench/scenarios.py). They are drawn so that most find something: a
filtered list takes an actor and an `occurred` date of one real claim and a window around
that date; a search word comes from a real claim's searchable text.
"""

import random
import sqlite3
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

DATE_KIND = "occurred"


@dataclass(frozen=True)
class ListCase:
    actor: str
    date_from: str
    date_to: str


@dataclass(frozen=True)
class FacetCase:
    date_from: str
    date_to: str


@dataclass(frozen=True)
class Cases:
    claim_ids: list[str]
    lists: list[ListCase]
    words: list[str]
    facets: list[FacetCase]


def _sample_rowids(db: sqlite3.Connection, rng: random.Random, count: int) -> list[int]:
    (highest,) = db.execute("SELECT max(rowid) FROM claim").fetchone()
    return [rng.randint(1, int(highest or 1)) for _ in range(count)]


def _claim_ids(db: sqlite3.Connection, rowids: list[int]) -> list[str]:
    found = []
    for rowid in rowids:
        row = db.execute("SELECT id FROM claim WHERE rowid >= ? LIMIT 1", (rowid,)).fetchone()
        if row:
            found.append(row[0])
    return found


def _list_cases(db: sqlite3.Connection, ids: list[str], rng: random.Random) -> list[ListCase]:
    cases = []
    for claim_id in ids:
        actors = [
            row[0]
            for row in db.execute(
                "SELECT actor_id FROM claim_actor WHERE claim_id = ?", (claim_id,)
            )
        ]
        dates = db.execute(
            "SELECT earliest FROM claim_date WHERE claim_id = ? AND kind = ?",
            (claim_id, DATE_KIND),
        ).fetchall()
        if not actors or not dates:
            continue
        day = date.fromisoformat(rng.choice(dates)[0])
        before, after = rng.randint(30, 730), rng.randint(30, 730)
        cases.append(
            ListCase(
                actor=rng.choice(actors),
                date_from=(day - timedelta(days=before)).isoformat(),
                date_to=(day + timedelta(days=after)).isoformat(),
            )
        )
    return cases


def _words(db: sqlite3.Connection, ids: list[str], rng: random.Random) -> list[str]:
    words = []
    for claim_id in ids:
        row = db.execute("SELECT search_text FROM claim WHERE id = ?", (claim_id,)).fetchone()
        candidates = [word for word in (row[0] if row else "").split() if len(word) >= 5]
        if candidates:
            words.append(rng.choice(candidates))
    return words


def _facet_cases(db: sqlite3.Connection, rng: random.Random, count: int) -> list[FacetCase]:
    first, last = db.execute(
        "SELECT min(substr(earliest, 1, 4)), max(substr(latest, 1, 4)) FROM claim_date "
        "WHERE kind = ?",
        (DATE_KIND,),
    ).fetchone()
    low, high = int(first or 2000), int(last or 2024)
    cases = []
    for _ in range(count):
        start = rng.randint(low, high)
        end = min(high, start + rng.randint(0, 2))
        cases.append(FacetCase(f"{start}-01-01", f"{end}-12-31"))
    return cases


def draw(database: Path, seed: int, count: int = 400) -> Cases:
    """The scenario cases for `database`; the same seed and data give the same cases."""
    rng = random.Random(seed)
    db = sqlite3.connect(f"file:{database}?immutable=1", uri=True)
    try:
        claim_ids = _claim_ids(db, _sample_rowids(db, rng, count))
        listed_from = _claim_ids(db, _sample_rowids(db, rng, count))
        return Cases(
            claim_ids=claim_ids,
            lists=_list_cases(db, listed_from, rng),
            words=_words(db, _claim_ids(db, _sample_rowids(db, rng, count)), rng),
            facets=_facet_cases(db, rng, max(8, count // 10)),
        )
    finally:
        db.close()
