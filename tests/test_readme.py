"""The README's shell examples do what their comments say, run as a reader runs them.

Every `sh` block of the README that talks to the server (`127.0.0.1:8000`) is run with bash
and the real curl against a seeded API process on a loopback port, one bash per block so
that a block's variables carry from line to line. Each example is a comment ending in
`→ outcome` and the lines up to the next comment or blank line; the outcome is checked on
the last response of its lines:

- `→ 304`, `→ 201`, … : that HTTP status;
- `→ claim 302`, `→ claims 310, 313`, `→ actors 108`: a 200 whose item (or page of items)
  has exactly these seeded ids, in this order.

curl is wrapped by a shell function that only adds `-D <file>` (each call's headers to a file
of its own), so every command runs with the options the README gives it.
"""

import os
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest
from sqlalchemy import Engine

from app.models import Role
from app.seeding import load_seeds
from app.settings import Settings
from bench.servers import api_process
from tests.conftest import issue_key

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BLOCK = re.compile(r"^```sh\n(?P<body>.*?)^```", re.MULTILINE | re.DOTALL)
OUTCOME = re.compile(r"^# (?P<what>.+?) → (?P<expect>.+)$")
IDS = re.compile(r"^(?P<kind>claims?|actors?) (?P<numbers>\d+(?:, \d+)*)$")
SEEDED_PREFIX = "0190a000-0000-7000-8000-000000000"
DOCUMENTED = "http://127.0.0.1:8000"


@dataclass(frozen=True)
class Example:
    what: str
    expect: str
    lines: tuple[str, ...]


def _setup(block: str) -> list[str]:
    """The lines before a block's first example (e.g. `. ./.dev-keys.env`): run, not checked."""
    lines: list[str] = []
    for line in block.splitlines():
        if OUTCOME.match(line):
            break
        if line.strip() and not line.startswith("#"):
            lines.append(line)
    return lines


def _examples(block: str) -> list[Example]:
    examples: list[Example] = []
    current: Example | None = None
    for line in block.splitlines():
        found = OUTCOME.match(line)
        if found:
            current = Example(found["what"], found["expect"], ())
            examples.append(current)
        elif not line.strip() or line.startswith("#"):
            current = None
        elif current is not None:
            examples[-1] = current = Example(current.what, current.expect, (*current.lines, line))
    return [e for e in examples if e.lines]


def _blocks() -> list[tuple[list[str], list[Example]]]:
    readme = README.read_text(encoding="utf-8")
    return [
        (_setup(m["body"]), _examples(m["body"]))
        for m in BLOCK.finditer(readme)
        if DOCUMENTED in m["body"]
    ]


def test_every_example_says_its_outcome() -> None:
    """A command line in a runnable block belongs to an example with an outcome."""
    readme = README.read_text(encoding="utf-8")
    for match in BLOCK.finditer(readme):
        body = match["body"]
        if DOCUMENTED not in body:
            continue
        covered = {line for e in _examples(body) for line in e.lines} | set(_setup(body))
        commands = [c for c in body.splitlines() if c.strip() and not c.startswith("#")]
        assert [c for c in commands if c not in covered] == []
    assert sum(len(examples) for _, examples in _blocks()) >= 20


@pytest.fixture
def server(settings: Settings, engine: Engine, tmp_path: Path) -> Iterator[str]:
    """A seeded API process, and in `tmp_path` the `.dev-keys.env` that `make run` writes."""
    load_seeds(engine, ROOT / "seeds")
    keys = [
        f"export CLAIMS_{role.value.upper()}_KEY="
        + issue_key(engine, settings, f"dev-{role.value}", role)
        for role in (Role.admin, Role.analyst, Role.reviewer)
    ]
    (tmp_path / ".dev-keys.env").write_text("\n".join(keys) + "\n")
    # The blocks run "from the project folder": its command and data files are there too.
    for name in (".venv", "tests"):
        (tmp_path / name).symlink_to(ROOT / name)
    with api_process(settings.database_url, settings.cursor_secret, tmp_path) as running:
        yield running.base_url


def _status(headers: Path) -> int:
    statuses = re.findall(r"^HTTP/\S+ (\d{3})", headers.read_text(), re.MULTILINE)
    return int(statuses[-1])


def _check(example: Example, status: int, output: str) -> None:
    ids = IDS.match(example.expect)
    if ids is None:
        assert example.expect.isdigit(), f"unknown outcome {example.expect!r}"
        assert status == int(example.expect), (example.what, status, output)
        return
    assert status == 200, (example.what, status, output)
    body = orjson.loads(output)
    found = [item["id"] for item in body["data"]] if "data" in body else [body["id"]]
    wanted = [SEEDED_PREFIX + n for n in ids["numbers"].split(", ")]
    assert found == wanted, example.what


@pytest.mark.parametrize("index", range(len(_blocks())))
def test_readme_block(server: str, settings: Settings, tmp_path: Path, index: int) -> None:
    setup, examples = _blocks()[index]
    headers = tmp_path / "headers"
    headers.mkdir()
    # The count of calls is kept in a file, not a variable: `x=$(curl …)` runs in a subshell.
    count = headers / "count"
    count.write_text("0")
    script = [
        "set -euo pipefail",
        f'curl() {{ local n=$(( $(cat "{count}") + 1 )); echo "$n" > "{count}"; '
        f'command curl -D "{headers}/$n" "$@"; }}',
        *setup,
    ]
    for number, example in enumerate(examples):
        script += [f'echo "@@example {number} $(cat "{count}")"', *example.lines, "echo"]
    text = "\n".join(script).replace(DOCUMENTED, server)
    result = subprocess.run(
        ["bash", "-c", text],
        capture_output=True,
        text=True,
        timeout=60,
        # `claims import` writes to the database the server serves, as `make run` sets it up.
        env={**os.environ, "DATABASE_URL": settings.database_url},
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    parts = re.split(r"^@@example (\d+) (\d+)\n", result.stdout, flags=re.MULTILINE)[1:]
    # (example number, calls made before it, its output)
    chunks = [(int(n), int(before), out) for n, before, out in zip(*[iter(parts)] * 3, strict=True)]
    assert [n for n, _, _ in chunks] == list(range(len(examples)))
    ends = [before for _, before, _ in chunks[1:]] + [int(count.read_text())]
    for (number, before, output), last_call in zip(chunks, ends, strict=True):
        assert last_call > before, f"example {number} made no request"
        _check(examples[number], _status(headers / str(last_call)), output.strip())
