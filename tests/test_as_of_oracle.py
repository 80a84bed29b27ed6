"""As-of lists and `valid_at` against oracles that know nothing of the version tables.

A seeded run of random claim writes (creates, edits, review transitions, an actor merge);
then random filter combinations at random moments, each list walked page by page, are
compared whole with what a replay of the revision log selects: each claim's last snapshot
at the moment, filtered and sorted here in Python. The event-time oracle computes the day
bounds of each date value itself (calendar months, intervals, ongoing spans).
"""

import calendar
import random
from datetime import date, datetime
from typing import Any

import orjson
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from tests.factories import World, actor_body, claim_body, create

SEED = 15
PREDICATES = ["recognition", "severing_of_relations", "obligation"]
MODALITIES = ["occurred", "discussed", "demanded"]
PROGRAMS = ["DPRK3", "UKRAINE-EO13660"]
ROLES = ["agent", "recipient"]
DATE_SETS: list[list[tuple[str, str]]] = [
    [],
    [("occurred", "2019")],
    [("occurred", "2019-06")],
    [("occurred", "2019-06-01")],
    [("occurred", "2019-01-24/2019-02-03")],
    [("occurred", "2019-02/2019-03-15")],
    [("start", "2019-03"), ("end", "2019-09")],
    [("start", "2018-11")],  # ongoing
    [("end", "2019-05")],  # no span: when it began is not known
    [("reported", "2022-08-01")],
    [("occurred", "2019-06"), ("reported", "2022-08-01")],
    [("start", "2019-03-15"), ("end", "2019-03-20"), ("reported", "2019-04")],
]
DAYS = [
    "2018-10-31", "2018-11-01", "2019-01-01", "2019-01-23", "2019-01-24", "2019-02-03",
    "2019-02-04", "2019-03-01", "2019-03-14", "2019-03-15", "2019-03-16", "2019-03-20",
    "2019-03-21", "2019-05-31", "2019-06-01", "2019-06-02", "2019-06-30", "2019-07-01",
    "2019-09-30", "2019-10-01", "2019-12-31", "2020-01-01", "2026-01-01",
]  # fmt: skip
ONGOING = date.max


def _bounds(value: str) -> tuple[date, date]:
    """The first and last day a date value means: a year, a month, a day, or an interval."""
    if "/" in value:
        start, end = value.split("/")
        return _bounds(start)[0], _bounds(end)[1]
    parts = [int(part) for part in value.split("-")]
    if len(parts) == 1:
        return date(parts[0], 1, 1), date(parts[0], 12, 31)
    if len(parts) == 2:
        year, month = parts
        return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
    return date(*parts), date(*parts)


def _dated(document: dict[str, Any], kind: str) -> list[tuple[date, date]]:
    """The claim's dates of `kind` in order; of `occurred`, its event-time span."""
    dates = document["dates"]
    found = [_bounds(d["value"]) for d in dates if d["kind"] == kind]
    if kind == "occurred" and not found:
        starts = [_bounds(d["value"]) for d in dates if d["kind"] == "start"]
        ends = [_bounds(d["value"]) for d in dates if d["kind"] == "end"]
        if starts:
            found = [(min(s for s, _ in starts), max(e for _, e in ends) if ends else ONGOING)]
    return found


def _covers(document: dict[str, Any], day: date) -> bool:
    return any(first <= day <= last for first, last in _dated(document, "occurred"))


def _random_body(rng: random.Random, world: World, actors: list[str]) -> dict[str, Any]:
    cited = rng.sample(actors, rng.randint(1, min(2, len(actors))))
    return claim_body(
        world.source["id"],
        world.actor["id"],
        predicate=rng.choice(PREDICATES),
        modality=rng.choice(MODALITIES),
        confidence=rng.choice([None, 0.3, 0.6, 0.9]),
        programs=rng.sample(PROGRAMS, rng.randint(0, 2)),
        actors=[{"actor_id": actor, "role": rng.choice(ROLES)} for actor in cited],
        dates=[{"kind": kind, "value": value} for kind, value in rng.choice(DATE_SETS)],
    )


def _etag(client: TestClient, path: str) -> str:
    return client.get(path).headers["etag"]


def _write_history(client: TestClient, rng: random.Random) -> dict[str, str]:
    """Random claim writes through the API; the actors by name."""
    world = World(client)
    russia = create(client, "/v1/actors", actor_body(name="Russia", aliases=[], external_ids=[]))
    duplicate = create(
        client, "/v1/actors", actor_body(name="N. Korea", aliases=[], external_ids=[])
    )
    actors = [world.actor["id"], russia["id"], duplicate["id"]]
    claims = [world.claim["id"]]
    for step in range(28):
        if step == 18:  # the duplicate is merged into North Korea
            path = f"/v1/actors/{duplicate['id']}"
            merged = client.post(
                f"{path}/merge",
                json={"into": world.actor["id"]},
                headers={"If-Match": _etag(client, path)},
            )
            assert merged.status_code == 200, merged.text
            actors.remove(duplicate["id"])
        choice = rng.random()
        if choice < 0.4:
            claims.append(create(client, "/v1/claims", _random_body(rng, world, actors))["id"])
            continue
        claim_id = rng.choice(claims)
        path = f"/v1/claims/{claim_id}"
        current = client.get(path).json()
        if choice < 0.75:
            body = _random_body(rng, world, actors)
            change = {key: body[key] for key in rng.sample(sorted(body), 3) if key != "status"}
            response = client.patch(
                path,
                json=change,
                headers={
                    "If-Match": _etag(client, path),
                    "Content-Type": "application/merge-patch+json",
                },
            )
        else:
            transition = {
                "published": rng.choice(["retract", "dispute"]),
                "disputed": "retract",
                "retracted": "reinstate",
            }[current["status"]]
            response = client.post(
                f"{path}/{transition}",
                json={"reason": "Checked."},
                headers={"If-Match": _etag(client, path)},
            )
        assert response.status_code == 200, response.text
    return {"North Korea": world.actor["id"], "Russia": russia["id"], "merged": duplicate["id"]}


def _revision_log(engine: Engine) -> list[tuple[int, datetime, str, dict[str, Any]]]:
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT seq, recorded_at, entity_id, snapshot FROM revision "
                "WHERE entity_type = 'claim' ORDER BY seq"
            )
        ).all()
    log = []
    for seq, recorded_at, entity_id, snapshot in rows:
        moment = (
            recorded_at
            if isinstance(recorded_at, datetime)
            else datetime.fromisoformat(recorded_at)
        )
        document = orjson.loads(snapshot) if isinstance(snapshot, str | bytes) else snapshot
        log.append((seq, moment.replace(tzinfo=None), entity_id, document))
    return log


def _as_of(
    log: list[tuple[int, datetime, str, dict[str, Any]]], moment: datetime
) -> list[dict[str, Any]]:
    """Each claim's last snapshot recorded at or before `moment`: a replay of the log."""
    state: dict[str, dict[str, Any]] = {}
    for _, recorded_at, claim_id, document in log:
        if recorded_at <= moment:
            state[claim_id] = document
    return list(state.values())


def _updated(document: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(document["updated_at"].replace("Z", "+00:00"))


def _select(
    documents: list[dict[str, Any]], query: dict[str, Any], ids: dict[str, str]
) -> list[dict[str, Any]]:
    """The list `query` asks for, over `documents`, by the rules the API documents."""
    statuses = query.get("status", ["published", "disputed"])
    kind = query.get("date_kind", "occurred")
    actor_ids = set()
    if "actor" in query:
        actor_ids = {ids[query["actor"]]} | (
            {ids["merged"]} if query["actor"] == "North Korea" else set()
        )

    def selected(d: dict[str, Any]) -> bool:
        links = [(a["actor_id"], a["role"]) for a in d["actors"]]
        roles = query.get("actor_role", [])
        window = [
            (first, last)
            for first, last in _dated(d, kind)
            if ("date_from" not in query or last >= _bounds(query["date_from"])[0])
            and ("date_to" not in query or first <= _bounds(query["date_to"])[1])
        ]
        return (
            d["status"] in statuses
            and ("predicate" not in query or d["predicate"] in query["predicate"])
            and ("modality" not in query or d["modality"] in query["modality"])
            and (
                "min_confidence" not in query
                or (d["confidence"] is not None and d["confidence"] >= query["min_confidence"])
            )
            and (
                not (actor_ids or roles)
                or any(
                    (not actor_ids or a in actor_ids) and (not roles or r in roles)
                    for a, r in links
                )
            )
            and ("program" not in query or bool(set(d["programs"]) & set(query["program"])))
            and (("date_from" not in query and "date_to" not in query) or bool(window))
            and ("valid_at" not in query or _covers(d, date.fromisoformat(query["valid_at"])))
        )

    chosen = sorted((d for d in documents if selected(d)), key=lambda d: d["id"])
    sort = query.get("sort", "id")
    if sort == "updated_at":
        return sorted(chosen, key=lambda d: (_updated(d), d["id"]))
    if sort in ("date", "-date"):
        placed = [(min(_dated(d, kind))[0], d) for d in chosen if _dated(d, kind)]
        undated = [d for d in chosen if not _dated(d, kind)]
        placed.sort(key=lambda pair: (pair[0], pair[1]["id"]), reverse=sort == "-date")
        return [d for _, d in placed] + undated
    return chosen


def _random_query(rng: random.Random) -> dict[str, Any]:
    query: dict[str, Any] = {}
    if rng.random() < 0.3:
        query["predicate"] = rng.sample(PREDICATES, rng.randint(1, 2))
    if rng.random() < 0.3:
        query["modality"] = rng.sample(MODALITIES, rng.randint(1, 2))
    if rng.random() < 0.2:
        query["min_confidence"] = rng.choice([0.5, 0.9])
    if rng.random() < 0.35:
        query["actor"] = rng.choice(["North Korea", "Russia"])
    if rng.random() < 0.2:
        query["actor_role"] = [rng.choice(ROLES)]
    if rng.random() < 0.2:
        query["program"] = [rng.choice(PROGRAMS)]
    if rng.random() < 0.25:
        query["status"] = rng.sample(["published", "disputed", "retracted"], rng.randint(1, 3))
    if rng.random() < 0.3:
        query["date_kind"] = rng.choice(["occurred", "reported"])
    if rng.random() < 0.3:
        query["date_from"] = rng.choice(["2019-02", "2019-06-01", "2019"])
    if rng.random() < 0.2:
        query["date_to"] = rng.choice(["2019-06", "2019-12-31", "2022"])
    if rng.random() < 0.3:
        query["valid_at"] = rng.choice(DAYS)
    query["sort"] = rng.choice(["id", "date", "-date", "updated_at"])
    return query


def _walk(client: TestClient, **params: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {**params, "limit": 2, **({"cursor": cursor} if cursor else {})}
        response = client.get("/v1/claims", params=query)
        assert response.status_code == 200, (params, response.text)
        found += response.json()["data"]
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return found


def test_as_of_lists_match_a_replay_of_the_revision_log(client: TestClient, engine: Engine) -> None:
    rng = random.Random(SEED)
    ids = _write_history(client, rng)
    log = _revision_log(engine)
    moments = sorted({recorded_at for _, recorded_at, _, _ in log})
    asked = [
        moments[0].replace(microsecond=0) if moments[0].microsecond else moments[0],
        *rng.sample(moments, 12),
    ]
    compared = differs = 0
    latest = _as_of(log, moments[-1])
    for moment in asked:
        documents = _as_of(log, moment)
        for _ in range(4):
            query = _random_query(rng)
            expected = _select(documents, query, ids)
            answered = _walk(client, **query, as_of=moment.isoformat() + "Z")
            assert answered == expected, (moment, query)
            compared += len(expected)
            differs += expected != _select(latest, query, ids)
    # The combinations select claims, not only empty lists, and the past is not the present.
    assert compared > 50
    assert differs > 10


def test_valid_at_matches_the_event_time_oracle(client: TestClient) -> None:
    """Day, month, year and interval spans, start/end spans (ongoing without an end), and
    claims without a span, by every boundary day; the facets count the same claims."""
    world = World(client)
    documents = [world.claim]
    for dates in DATE_SETS:
        body = claim_body(
            world.source["id"],
            world.actor["id"],
            dates=[{"kind": kind, "value": value} for kind, value in dates],
        )
        documents.append(create(client, "/v1/claims", body))
    for day in DAYS:
        expected = sorted(
            (d for d in documents if _covers(d, date.fromisoformat(day))), key=lambda d: d["id"]
        )
        assert _walk(client, valid_at=day) == expected, day
        facets = client.get("/v1/claims/facets", params={"valid_at": day})
        assert facets.status_code == 200, facets.text
        assert facets.json()["total"] == len(expected)
    assert {len(_walk(client, valid_at=day)) for day in DAYS} > {0, 1}
    refused = client.get("/v1/claims", params={"valid_at": "2019-06"})
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["parameter"] == "valid_at"
