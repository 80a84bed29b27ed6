"""The Node tools of tests/clients/, installed there by `make clients` (`npm ci`)."""

import subprocess
from pathlib import Path

CLIENTS = Path(__file__).resolve().parent / "clients"
NODE_MODULES = CLIENTS / "node_modules"


def tool(name: str) -> Path:
    """The path of an installed tool; fails loudly when the packages are not installed."""
    path = NODE_MODULES / ".bin" / name
    assert path.exists(), f"{path} is missing: run `make clients` (npm ci in {CLIENTS})"
    return path


def run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    """Run a command to completion; its output on success, a failed test otherwise."""
    result = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    output = f"$ {' '.join(command)}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert result.returncode == 0, output
    return result.stdout
