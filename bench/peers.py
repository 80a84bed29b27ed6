"""Starting the servers under test: our API (on SQLite or PostgreSQL), datasette, PocketBase.

Each runs as its users would run it, on a free loopback port, pinned to the server CPU, and
is stopped when its block ends, whatever happens inside it.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench import canned
from bench.baseline import Baseline, assert_served_from
from bench.cpu import CpuPlan
from bench.servers import Server, free_port, running

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


@contextmanager
def api(
    name: str,
    database_url: str,
    log_dir: Path,
    cpu: CpuPlan,
    *,
    cursor_secret: str,
    baseline: Baseline | None = None,
) -> Iterator[Server]:
    """`claims serve`, the command the README gives users (uvicorn, one process), without
    uvicorn's access log (`ACCESS_LOG=false`), as behind a proxy that logs requests.

    With `baseline`, the same command from the baseline's worktree (its cwd, its code first
    on PYTHONPATH, the same virtualenv); the server must say it imported that code."""
    port = free_port()
    serve = ["serve", "--host", "127.0.0.1", "--port", str(port)]
    claims = baseline.command(serve) if baseline else [str(VENV_BIN / "claims"), *serve]
    command = [*cpu.server_prefix(), *claims]
    env = {"DATABASE_URL": database_url, "CURSOR_SECRET": cursor_secret, "ACCESS_LOG": "false"}
    cwd = ROOT
    if baseline is not None:
        env.update(baseline.env())
        cwd = baseline.path
    with running(
        name, command, port=port, ready_path="/readyz", log_dir=log_dir, env=env, cwd=cwd
    ) as server:
        if baseline is not None:
            assert_served_from(baseline, server.log_path)
        yield server


@contextmanager
def datasette(database: Path, work_dir: Path, log_dir: Path, cpu: CpuPlan) -> Iterator[Server]:
    """datasette serving the same file, immutable, with our canned queries."""
    metadata = canned.write_metadata(work_dir / f"datasette-{database.stem}.json", database.stem)
    port = free_port()
    command = [
        *cpu.server_prefix(),
        str(VENV_BIN / "datasette"),
        "serve",
        "-i",
        str(database),
        "--metadata",
        str(metadata),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        # Its default 1 s limit would turn the slowest facets at 1M claims into errors.
        "--setting",
        "sql_time_limit_ms",
        "60000",
    ]
    with running(
        "datasette", command, port=port, ready_path="/-/versions.json", log_dir=log_dir
    ) as server:
        yield server
