"""schemathesis against a live server: every check, positive and negative data, all phases.

The server is the app under uvicorn on a loopback port (tests/live.py), its database seeded
with the project's seeds so that links and hooks have real data to use. Writes need an API
key, so the run authenticates with an admin key issued in that database (the document's
`apiKey` bearer scheme, sent as `Authorization: Bearer …`; `ignored_auth` then checks that
each write it got through is refused without the key and with a wrong one). schemathesis
runs from the committed document with every check, both generation modes and the examples,
coverage, fuzzing and stateful phases, within a fixed time budget; the test passes only when
it reports no failure at all (so no 5xx either).

A second, short run sends no key and only well-formed writes (positive data, every write
operation of the document): each must be refused with a 401 and a Bearer challenge (the
`write_without_key_is_refused` check of the hooks, which also lists what it saw, so the
test knows that every write operation was tried), and the answers must conform to the
document (status codes, headers, content types, bodies). It runs first: nothing it sends
may change the data.

Test data is made realistic in tests/schemathesis_hooks.py (ids that exist, terms of the
vocabularies, evidence that quotes its source, no made-up cursors, the current ETag in
If-Match, drafts that an analyst wrote where the admin key publishes: four eyes);
tests/schemathesis.toml sets the 428 this API answers for a missing If-Match.
Nothing is left out: every check runs, and generated strings may hold NUL characters.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

from app.models import Role
from app.settings import Settings
from tests.live import COMMITTED, ROOT, running_server, server_key

SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
CLAIMS = Path(sys.executable).parent / "claims"
BUDGET_SECONDS = 75
# Every write operation must be reached within it; the Idempotency-Key header of the POSTs
# adds cases to theirs.
UNAUTHENTICATED_BUDGET_SECONDS = 45
SEED = "20261202"
WRITE_METHODS = ("POST", "PATCH", "DELETE")
# What a response to a request without a key is checked for, besides the 401 itself.
UNAUTHENTICATED_CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "write_without_key_is_refused",
)


def _write_operations() -> set[str]:
    document = json.loads(COMMITTED.read_text())
    return {
        f"{method.upper()} {path}"
        for path, item in document["paths"].items()
        for method in item
        if method.upper() in WRITE_METHODS
    }


def _schemathesis(
    base_url: str, tmp_path: Path, options: list[str], env: dict[str, str], budget: int
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(SCHEMATHESIS),
            "--config-file",
            str(ROOT / "tests" / "schemathesis.toml"),
            "run",
            str(COMMITTED),
            "--url",
            base_url,
            *options,
            "--max-time",
            str(budget),
            "--seed",
            SEED,
            "--workers",
            "1",
            "--suppress-health-check",
            "too_slow",
            "--no-color",
        ],
        cwd=tmp_path,
        env={
            **os.environ,
            "CLAIMS_BASE_URL": base_url,
            "SCHEMATHESIS_HOOKS": "tests.schemathesis_hooks",
            "PYTHONPATH": str(ROOT),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=budget + 240,
        check=False,
    )


def _report(result: subprocess.CompletedProcess[str]) -> str:
    return result.stdout[-20000:] + result.stderr[-5000:]


def test_schemathesis_finds_nothing(settings: Settings, tmp_path: Path) -> None:
    env = {"DATABASE_URL": settings.database_url}
    seeded = subprocess.run(
        [str(CLAIMS), "seed"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert seeded.returncode == 0, seeded.stdout + seeded.stderr
    admin = server_key(settings, "schemathesis-admin")
    # The hooks read the data (drafts too) with the admin key, and draft the claims the
    # admin key publishes with an analyst's (four eyes: a key may not publish its own).
    keys = {
        "CLAIMS_API_KEY": admin,
        "CLAIMS_ANALYST_KEY": server_key(settings, "schemathesis-analyst", Role.analyst),
    }
    writes_log = tmp_path / "writes-without-key.jsonl"
    with running_server(settings, tmp_path) as base_url:
        unauthenticated = _schemathesis(
            base_url,
            tmp_path,
            [
                "--checks",
                ",".join(UNAUTHENTICATED_CHECKS),
                "--mode",
                "positive",
                # Fuzzing reaches every write within the budget; the coverage phase (a case
                # per constraint of each field) would spend it on a few.
                "--phases",
                "examples,fuzzing",
                "--max-examples",
                "10",
                *(f"--include-method={method}" for method in WRITE_METHODS),
            ],
            {**keys, "CLAIMS_UNAUTHENTICATED_LOG": str(writes_log)},
            UNAUTHENTICATED_BUDGET_SECONDS,
        )
        authenticated = _schemathesis(
            base_url,
            tmp_path,
            [
                "--header",
                f"Authorization: Bearer {admin}",
                "--checks",
                "all",
                "--mode",
                "all",
                "--phases",
                "examples,coverage,fuzzing,stateful",
            ],
            keys,
            BUDGET_SECONDS,
        )

    report = _report(unauthenticated) + "\n\n" + _report(authenticated)
    assert unauthenticated.returncode == 0, report
    seen = [json.loads(line) for line in writes_log.read_text().splitlines()]
    assert {entry["status"] for entry in seen} == {401}, report
    assert {entry["operation"] for entry in seen} == _write_operations(), report
    # Schemathesis fills the `apiKey` scheme with a made-up token, or leaves it out, as its
    # generation goes (in practice it always sends one): either way every write is a 401.
    # tests/test_keys.py covers missing, unknown and revoked keys case by case.

    assert authenticated.returncode == 0, report
    assert "No issues found" in authenticated.stdout or " passed" in authenticated.stdout, report
