"""Starting a server process on a free loopback port, waiting for it, and always stopping it.

The one place that does this: the benchmark peers, bench/poll_304.py and the SDK test
(tests/test_sdk_client.py) all use `running`; the last two start the API through
`api_process`. Keep it to the standard library, so that the
tests can import it without the bench extras installed.
"""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Server:
    name: str
    base_url: str
    pid: int
    log_path: Path


def free_port() -> int:
    """A port nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def _log_tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def wait_ready(
    url: str, process: subprocess.Popen[bytes], log_path: Path, timeout_s: float
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"{url}: the server exited ({process.returncode}):\n" + _log_tail(log_path)
            )
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} was not ready after {timeout_s:.0f}s:\n" + _log_tail(log_path))


def stop(process: subprocess.Popen[bytes], grace_s: float = 10) -> None:
    """SIGTERM to the server's own process group (it was started in a new session)."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=grace_s)
    except ProcessLookupError:
        pass


@contextmanager
def running(
    name: str,
    command: list[str],
    *,
    port: int,
    ready_path: str,
    log_dir: Path,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    ready_timeout_s: float = 120,
) -> Iterator[Server]:
    """Run `command` (which must listen on `port`) until the block ends, however it ends.

    Ready when `ready_path` answers 200; its output goes to `log_dir/name.log`, whose tail
    is in the error if it exits or is not ready in time. Stopped with SIGTERM, then SIGKILL
    after a grace period."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}.log"
    base_url = f"http://{HOST}:{port}"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **(env or {})},
            cwd=cwd,
            start_new_session=True,
        )
        try:
            wait_ready(base_url + ready_path, process, log_path, ready_timeout_s)
            yield Server(name=name, base_url=base_url, pid=process.pid, log_path=log_path)
        finally:
            stop(process)


def drain(server: Server, probe_path: str, timeout_s: float = 300) -> float:
    """Wait until `server` answers `probe_path` quickly again: wrk stops sending when its
    run ends, but a server may still be working through slow requests it queued, and the
    next run must not pay for them. Returns the seconds waited."""
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        asked = time.monotonic()
        try:
            with urllib.request.urlopen(server.base_url + probe_path, timeout=timeout_s):
                pass
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() - asked < 0.2:
            break
    return time.monotonic() - started


@contextmanager
def api_process(
    database_url: str,
    cursor_secret: str,
    log_dir: Path,
    *,
    access_log: bool = False,
    telemetry: bool = True,
    rate_limits: bool = False,
    name: str = "api",
    extra_env: dict[str, str] | None = None,
    prefix: list[str] | None = None,
) -> Iterator[Server]:
    """The API served as users serve it (`claims serve`: uvicorn with the app's protocol and
    log settings) in a process of its own (so a client in this process does not share its
    GIL), on a free loopback port, until the block ends; `prefix` goes before the command
    (`taskset -c N`, say)."""
    port = free_port()
    claims = Path(sys.executable).parent / "claims"
    command = [*(prefix or []), str(claims), "serve", "--host", HOST, "--port", str(port)]
    env = {
        "DATABASE_URL": database_url,
        "CURSOR_SECRET": cursor_secret,
        "ACCESS_LOG": str(access_log).lower(),
        "TELEMETRY": str(telemetry).lower(),
        # Off unless asked: benchmarks and tests make more requests than any limit allows.
        "RATE_LIMITS": str(rate_limits).lower(),
        **(extra_env or {}),
    }
    root = Path(__file__).resolve().parent.parent
    with running(
        name,
        command,
        port=port,
        ready_path="/healthz",
        log_dir=log_dir,
        env=env,
        cwd=root,
        ready_timeout_s=30,
    ) as server:
        yield server
