"""A TypeScript client typed from the committed document works against a live server.

openapi-typescript turns `openapi/openapi.json` into types, `tests/clients/claims.ts` uses
them through openapi-fetch, `tsc --strict` compiles it (so a parameter or field typed
wrongly, or as `unknown`, fails here) and node runs it: a list with `sort` and `date_kind`,
a get, a patch with If-Match and a stale one. It sends an admin key, issued in the server's
database, as its bearer token (`CLAIMS_API_KEY`).
"""

import json
import os
import shutil
from pathlib import Path

from app.settings import Settings
from tests.live import COMMITTED, make_claims, running_server, server_key
from tests.node_tools import CLIENTS, NODE_MODULES, run, tool


def test_typescript_client_lists_gets_and_patches(settings: Settings, tmp_path: Path) -> None:
    build = tmp_path / "ts"
    build.mkdir()
    for name in ("claims.ts", "tsconfig.json"):
        shutil.copy(CLIENTS / name, build / name)
    (build / "package.json").write_text(json.dumps({"type": "module", "private": True}))
    (build / "node_modules").symlink_to(NODE_MODULES)
    run([str(tool("openapi-typescript")), str(COMMITTED), "-o", "schema.d.ts"], build)
    run([str(tool("tsc")), "--project", "tsconfig.json"], build)
    key = server_key(settings, "typescript-admin")
    with running_server(settings, tmp_path) as base_url:
        claims = make_claims(base_url, key)
        env = {
            **os.environ,
            "CLAIMS_BASE_URL": base_url,
            "CLAIMS_API_KEY": key,
            "CLAIM_LATER": claims.later["id"],
            "CLAIM_EARLIER": claims.earlier["id"],
        }
        output = run(["node", str(build / "build" / "claims.js")], build, env)
    assert json.loads(output) == {
        "listed": [claims.later["id"], claims.earlier["id"]],
        "patched": claims.later["id"],
    }
