"""Write the rows of a database as an earlier version of the API left it (tests/data/legacy/).

Run with that version's code first on the import path, from a git worktree of it, e.g.

    git worktree add /tmp/legacy a606fe8
    PYTHONPATH=/tmp/legacy .venv/bin/python devtools/legacy_fixture.py \
        tests/data/legacy/a606fe8.json

It migrates a scratch SQLite database with that version's migrations, loads its seeds, and
makes the writes a real database has seen (an actor renamed, aliases added, a claim edited and
one retracted, two actors merged, a source created and deleted), all through its HTTP API;
then it writes every table's rows as JSON. tests/legacy.py loads them into a database of
either kind at that version's schema head, for the upgrade tests.
"""

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import orjson
from fastapi.testclient import TestClient
from sqlalchemy import MetaData, create_engine, select


def _writes(client: TestClient) -> None:
    def etag(path: str) -> str:
        return client.get(path).headers["etag"]

    def ok(response: Any) -> Any:
        assert response.status_code < 300, (response.status_code, response.text)
        return response

    merge_patch = {"content-type": "application/merge-patch+json"}
    actors = client.get("/v1/actors", params={"limit": 50}).json()["data"]
    claims = client.get("/v1/claims", params={"limit": 50}).json()["data"]
    first, second = actors[0]["id"], actors[1]["id"]
    path = f"/v1/actors/{first}"
    ok(
        client.patch(
            path,
            content=orjson.dumps({"name": actors[0]["name"] + " (renamed)"}),
            headers={"if-match": etag(path), **merge_patch},
        )
    )
    claim_path = f"/v1/claims/{claims[0]['id']}"
    ok(
        client.patch(
            claim_path,
            content=orjson.dumps({"confidence": 0.5}),
            headers={"if-match": etag(claim_path), **merge_patch},
        )
    )
    retract_path = f"/v1/claims/{claims[1]['id']}"
    ok(
        client.post(
            f"{retract_path}/retract",
            json={"reason": "The report was corrected."},
            headers={"if-match": etag(retract_path)},
        )
    )
    created = ok(
        client.post(
            "/v1/actors", json={"kind": "person", "name": "Legacy Duplicate of a Seeded Actor"}
        )
    ).json()
    ok(
        client.post(
            f"/v1/actors/{created['id']}/merge",
            json={"into": second},
            headers={"if-match": etag(f"/v1/actors/{created['id']}")},
        )
    )
    source = ok(
        client.post(
            "/v1/sources",
            json={"kind": "news_article", "title": "Cited by nobody", "text": "Nothing cited."},
        )
    ).json()
    ok(
        client.delete(
            f"/v1/sources/{source['id']}", headers={"if-match": etag(f"/v1/sources/{source['id']}")}
        )
    )


def main(out: Path) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{scratch}/legacy.db"
        os.environ["DATABASE_URL"] = url
        from alembic import command

        from app.cli import alembic_config
        from app.main import create_app
        from app.seeding import load_seeds

        command.upgrade(alembic_config(url), "head")
        engine = create_engine(url)
        load_seeds(engine, Path(sys.modules["app"].__file__ or "").parents[1] / "seeds")
        with TestClient(create_app()) as client:
            _writes(client)
        metadata = MetaData()
        metadata.reflect(engine)
        tables: dict[str, list[dict[str, Any]]] = {}
        with engine.connect() as connection:
            for table in metadata.sorted_tables:
                if table.name.startswith("claim_fts") or table.name == "alembic_version":
                    continue
                rows = connection.execute(select(table)).mappings().all()
                tables[table.name] = [dict(row) for row in rows]
            version = connection.exec_driver_sql("SELECT version_num FROM alembic_version")
            head = version.scalar_one()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(
        orjson.dumps(
            {"alembic_head": head, "tables": tables},
            option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS,
            default=str,
        )
        + b"\n"
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]))
