"""Running wrk with the request-replay Lua script and reading its result line."""

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from bench.cpu import CpuPlan

LUA_SCRIPT = Path(__file__).parent / "lua" / "requests.lua"
RESULT_MARK = "BENCH_RESULT "
TIMEOUT_S = 30
LONGEST_S = 30.0


class WrkMissing(RuntimeError):
    pass


class BadResponses(RuntimeError):
    """Some answers were errors or not the expected status: the run is invalid."""


@dataclass(frozen=True)
class WrkResult:
    requests: int
    duration_s: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    mean_ms: float
    bytes: int
    timeouts: int

    def as_dict(self) -> dict[str, float]:
        return {
            "requests": self.requests,
            "rps": round(self.rps, 1),
            "p50_ms": round(self.p50_ms, 3),
            "p90_ms": round(self.p90_ms, 3),
            "p99_ms": round(self.p99_ms, 3),
            "max_ms": round(self.max_ms, 3),
            "mean_ms": round(self.mean_ms, 3),
            "bytes_per_request": round(self.bytes / max(self.requests, 1)),
            "timeouts": self.timeouts,
        }


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise WrkMissing(
            "wrk is not installed: the benchmark needs it to generate load "
            "(Debian/Ubuntu: `apt-get install wrk`; macOS: `brew install wrk`)."
        )
    return found


def run_wrk(
    base_url: str,
    requests_file: Path,
    *,
    connections: int,
    duration_s: float,
    seed: int,
    expected_status: int,
    cpu: CpuPlan,
    label: str,
) -> WrkResult:
    """One timed wrk run against `base_url`; raises `BadResponses` on any unexpected answer."""
    command = [
        *cpu.client_prefix(),
        wrk_binary(),
        "-t1",
        f"-c{connections}",
        f"-d{max(1, round(duration_s))}s",
        "--timeout",
        f"{TIMEOUT_S}s",
        "-s",
        str(LUA_SCRIPT),
        base_url,
        "--",
        str(requests_file),
        str(seed),
        str(expected_status),
    ]
    finished = subprocess.run(command, capture_output=True, text=True, check=False)
    if finished.returncode == 0 and '"requests":0,' in finished.stdout and duration_s < LONGEST_S:
        # No answer within the run: measure once more over the longest run, rather than
        # report nothing (a request that outlasts it is a timeout).
        return run_wrk(
            base_url,
            requests_file,
            connections=connections,
            duration_s=LONGEST_S,
            seed=seed,
            expected_status=expected_status,
            cpu=cpu,
            label=label,
        )
    if finished.returncode != 0:
        raise RuntimeError(f"wrk failed for {label}: {finished.stderr.strip()}")
    lines = [line for line in finished.stdout.splitlines() if line.startswith(RESULT_MARK)]
    if not lines:
        raise RuntimeError(f"wrk printed no result for {label}:\n{finished.stdout}")
    raw = json.loads(lines[-1].removeprefix(RESULT_MARK))
    # A timeout is no answer at all (a peer too slow for 30 s): counted and reported, while
    # any answer that is not the expected status fails the run.
    errors = sum(
        raw[key] for key in ("connect_errors", "read_errors", "write_errors", "status_errors")
    )
    if raw["unexpected_status"] or errors:
        raise BadResponses(
            f"{label}: {raw['unexpected_status']} answers were not {expected_status} and "
            f"{errors} requests failed (first: {raw['first_unexpected']!r})"
        )
    duration = raw["duration_us"] / 1e6
    if raw["requests"] == 0:  # slower than the longest run: report the timeout as latency
        raw.update(p50_us=TIMEOUT_S * 1e6, p90_us=TIMEOUT_S * 1e6, p99_us=TIMEOUT_S * 1e6)
    return WrkResult(
        requests=raw["requests"],
        duration_s=duration,
        rps=raw["requests"] / duration,
        p50_ms=raw["p50_us"] / 1000,
        p90_ms=raw["p90_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        max_ms=raw["max_us"] / 1000,
        mean_ms=raw["mean_us"] / 1000,
        bytes=raw["bytes"],
        timeouts=raw["timeouts"],
    )
