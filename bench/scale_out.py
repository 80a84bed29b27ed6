"""What the idempotency check costs a create, and the rate limiter a claim lookup.

The same build, in-process (httpx over ASGI, with the app's lifespan running, so the
limiter's once-a-second count sharing runs too), on a fresh SQLite database:

- create: `POST /v1/actors` with a fresh `Idempotency-Key` on each (claimed, then kept:
  two short write transactions more) against the same POST without one;
- lookup: `GET /v1/claims/{id}` with an API key, rate limits on (a limit no run reaches)
  against rate limits off.

Rounds alternate on and off in the same run, so both see the same machine; prints each
round's requests a second, the medians and the ratios on/off, and writes them to
bench/results/scale_out.json. In-process, so the ratios are of the app's own time: over
HTTP the server's share dilutes them.

    .venv/bin/python -m bench.scale_out [--requests 300] [--rounds 5] [--database-url URL]
"""

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import orjson
from alembic import command
from fastapi import FastAPI
from rich.console import Console
from rich.table import Table
from sqlmodel import Session

from app.cli import alembic_config
from app.db import make_engine
from app.keys.schemas import KeyCreate
from app.keys.service import create_key
from app.main import create_app
from app.models import Role
from app.settings import Settings
from tests.factories import PASSAGE, actor_body, claim_body, source_body

RESULTS = Path(__file__).resolve().parent / "results" / "scale_out.json"


async def _timed(app: FastAPI, secret: str, requests: list[dict[str, Any]]) -> float:
    """Requests a second for `requests` (httpx.Client.request keyword arguments)."""
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {secret}"}
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://bench", headers=headers) as http,
    ):
        started = time.perf_counter()
        for request in requests:
            answer = await http.request(**request)
            assert answer.status_code in (200, 201), answer.text
        return len(requests) / (time.perf_counter() - started)


def _creates(tag: str, count: int, keyed: bool) -> list[dict[str, Any]]:
    return [
        {
            "method": "POST",
            "url": "/v1/actors",
            "json": actor_body(name=f"Actor {tag} {n}", aliases=[], external_ids=[]),
            "headers": {"Idempotency-Key": f"{tag}-{n}"} if keyed else {},
        }
        for n in range(count)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.scale_out", description=__doc__)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--database-url", default="", help="Default: a fresh SQLite file.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="scale-out-") as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'claims.db'}"
        command.upgrade(alembic_config(url), "head")
        base = Settings(database_url=url, rate_limits=False, telemetry=False)
        engine = make_engine(url)
        with Session(engine) as session:
            _, secret = create_key(
                session, KeyCreate(name="bench", role=Role.admin), base.api_key_pepper, None
            )
        limited = base.model_copy(
            update={
                "rate_limits": True,
                "rate_limit_per_key": 10**9,
                "rate_limit_per_address": 10**9,
            }
        )
        apps = {"off": create_app(base, engine), "on": create_app(limited, engine)}
        claim_id = asyncio.run(_claim(apps["off"], secret))
        lookups = [{"method": "GET", "url": f"/v1/claims/{claim_id}"}] * args.requests
        rps: dict[str, list[float]] = {
            name: [] for name in ("create-on", "create-off", "lookup-on", "lookup-off")
        }
        for round_number in range(args.rounds):
            for state in ("on", "off") if round_number % 2 == 0 else ("off", "on"):
                tag = f"{state}{round_number}"
                creates = _creates(tag, args.requests, keyed=state == "on")
                rps[f"create-{state}"].append(asyncio.run(_timed(apps["off"], secret, creates)))
                rps[f"lookup-{state}"].append(asyncio.run(_timed(apps[state], secret, lookups)))
        engine.dispose()
    medians = {name: statistics.median(values) for name, values in rps.items()}
    ratios = {
        "idempotency_create_on_over_off": medians["create-on"] / medians["create-off"],
        "rate_limit_lookup_on_over_off": medians["lookup-on"] / medians["lookup-off"],
    }
    table = Table("case", *(f"round {n + 1}" for n in range(args.rounds)), "median req/s")
    for name, values in rps.items():
        table.add_row(name, *(f"{v:.0f}" for v in values), f"{medians[name]:.0f}")
    console = Console(width=120)
    console.print(table)
    for name, ratio in ratios.items():
        console.print(f"{name}: {ratio:.3f} (req/s on / req/s off)")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_bytes(
        orjson.dumps(
            {
                "database": url.split(":")[0],
                "requests": args.requests,
                "rps": rps,
                "ratios": ratios,
            },
            option=orjson.OPT_INDENT_2,
        )
    )


async def _claim(app: FastAPI, secret: str) -> str:
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {secret}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://x", headers=headers) as http:
        source = (await http.post("/v1/sources", json=source_body(text=PASSAGE))).json()
        actor = (await http.post("/v1/actors", json=actor_body())).json()
        claim = await http.post("/v1/claims", json=claim_body(source["id"], actor["id"]))
        assert claim.status_code == 201, claim.text
        return str(claim.json()["id"])


if __name__ == "__main__":
    main()
