"""openapi-generator's `python` client, generated from the committed document, works
against a live server.

This generator reads a `$ref` that has sibling keywords as Any and names enum values
`VALUE_2`; the calls below (a list with `sort` and `date_kind`, a get, a patch with
If-Match) are the ones that broke; the client sends an admin key as the bearer token of the
document's `apiKey` scheme (`Configuration(access_token=…)`). The generator is the PyPI
`openapi-generator-cli` package (its jar on the machine's Java); if it cannot run, or warns
about the document beyond its standing notice that OpenAPI 3.1 support is in beta, the test
fails.
"""

import importlib
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from app.settings import Settings
from tests.live import COMMITTED, make_claims, running_server, server_key

GENERATOR = Path(sys.executable).parent / "openapi-generator-cli"
PACKAGE = "claims_openapi_generator_sdk"
# Printed on every run for any 3.1 document, and an internal lookup it logs while walking
# the `links` of a response; neither is about this document's content.
KNOWN_NOTICES = (
    "OpenAPI 3.1 support is still in beta",
    "Failed to get the schema name: null",
)


@pytest.fixture(scope="module")
def sdk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    assert GENERATOR.exists(), f"{GENERATOR} is missing: install the dev requirements"
    output = tmp_path_factory.mktemp("openapi-generator")
    result = subprocess.run(
        [
            str(GENERATOR),
            "generate",
            "--generator-name",
            "python",
            "--input-spec",
            str(COMMITTED),
            "--output",
            str(output),
            "--package-name",
            PACKAGE,
            "--global-property",
            "apiTests=false,modelTests=false,apiDocs=false,modelDocs=false",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    report = f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert result.returncode == 0, f"client generation failed\n{report}"
    warnings = [
        line
        for line in (result.stdout + result.stderr).splitlines()
        if re.search(r"\b(WARN|ERROR)\b", line) and not any(n in line for n in KNOWN_NOTICES)
    ]
    assert not warnings, "\n".join(warnings)
    sys.path.insert(0, str(output))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(output))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def etag_of(answer: Any) -> str:
    """The ETag of an `ApiResponse` (its headers are a plain dict, in the server's case)."""
    headers = {name.lower(): value for name, value in answer.headers.items()}
    etag: str = headers["etag"]
    return etag


def test_generated_client_lists_gets_and_patches(
    sdk: ModuleType, settings: Settings, tmp_path: Path
) -> None:
    key = server_key(settings, "openapi-generator-admin")
    with running_server(settings, tmp_path) as base_url:
        claims = make_claims(base_url, key)
        api = sdk.ClaimsApi(sdk.ApiClient(sdk.Configuration(host=base_url, access_token=key)))

        # Typed parameters: enum members carry the names the server gives them (`date_desc`,
        # from `x-enum-varnames`), and a plain value works too.
        assert sdk.ClaimSort("-date") is sdk.ClaimSort.date_desc
        page = api.claims_list(sort="-date", date_kind=sdk.DateKind.occurred, limit=10)
        assert isinstance(page, sdk.ClaimPage)
        assert [claim.id for claim in page.data] == [claims.later["id"], claims.earlier["id"]]
        ascending = api.claims_list(sort=sdk.ClaimSort.date, date_kind="occurred")
        assert [claim.id for claim in ascending.data] == [
            claims.earlier["id"],
            claims.later["id"],
        ]
        assert ascending.next_cursor is None

        fetched = api.claims_get_with_http_info(claims.later["id"])
        assert fetched.status_code == 200
        assert isinstance(fetched.data, sdk.ClaimRead)
        assert fetched.data.statement == claims.later["statement"]
        assert fetched.data.status is sdk.ClaimStatus.published
        assert fetched.data.dates[0].precision is sdk.Precision.month
        etag = etag_of(fetched)

        updated = api.claims_update_with_http_info(
            claims.later["id"], etag, sdk.ClaimPatch(confidence=0.5, programs=["DPRK2"])
        )
        assert updated.status_code == 200
        assert (updated.data.confidence, updated.data.programs) == (0.5, ["DPRK2"])
        assert updated.data.version == claims.later["version"] + 1
        assert etag_of(updated) != etag

        # A stale ETag is a 412 problem, parsed with its typed members.
        with pytest.raises(sdk.ApiException) as stale:
            api.claims_update(claims.later["id"], etag, sdk.ClaimPatch(confidence=0.1))
        assert stale.value.status == 412
        problem = sdk.Problem.from_json(stale.value.body)
        assert problem.current_etag == etag_of(updated)
        assert problem.current_version == updated.data.version
