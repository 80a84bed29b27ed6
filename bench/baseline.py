"""The baseline peer: the API of an older commit, from a git worktree, on the same data.

`prepare(rev)` makes (or reuses) a detached worktree of `rev` under
bench/.cache/baseline-<sha>/ and removes the worktrees of other baselines there. The
baseline runs with the harness's virtualenv, whose editable install points at the current
tree; so its process runs with cwd = the worktree and PYTHONPATH = the worktree, and
`verify` asks a Python with that same environment where `app` comes from (and which
migration heads that code has) before anything is timed. The server itself prints
`app.__file__` first thing (see `command`), and `assert_served_from` reads it back.
"""

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / ".cache"
PREFIX = "baseline-"
APP_FILE_MARK = "BASELINE_APP_FILE "

# Run in the baseline's environment: where `app` is imported from and the heads of its
# migrations (through its own alembic configuration, so its own migrations folder).
_PROBE = """
import json, app
from alembic.script import ScriptDirectory
from app.cli import alembic_config
heads = sorted(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())
print(json.dumps({"app_file": app.__file__, "heads": heads}))
"""

# The server command: print where `app` comes from, then run `claims serve` as users do.
_SERVE = (
    "import sys, app; print('" + APP_FILE_MARK + "' + app.__file__, flush=True); "
    "from app.cli import main; sys.argv = ['claims', *sys.argv[1:]]; main()"
)


class BaselineError(RuntimeError):
    pass


@dataclass(frozen=True)
class Baseline:
    rev: str
    sha: str
    path: Path
    app_file: str = ""
    heads: tuple[str, ...] = ()

    @property
    def short(self) -> str:
        return self.sha[:10]

    def env(self) -> dict[str, str]:
        """What the baseline's processes get on top of the harness's environment."""
        return {"PYTHONPATH": str(self.path)}

    def command(self, args: list[str]) -> list[str]:
        """`claims <args>` from the baseline's code, with the harness's interpreter."""
        return [sys.executable, "-c", _SERVE, *args]

    def as_dict(self) -> dict[str, object]:
        return {
            "rev": self.rev,
            "sha": self.sha,
            "worktree": str(self.path.relative_to(ROOT)),
            "app_file": self.app_file,
            "alembic_heads": list(self.heads),
        }


def _git(*args: str, cwd: Path = ROOT) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BaselineError(f"git {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout.strip()


def _remove(path: Path) -> None:
    """Remove a worktree of ours (or what is left of one), then let git forget it."""
    try:
        _git("worktree", "remove", "--force", str(path))
    except BaselineError:
        shutil.rmtree(path, ignore_errors=True)
    _git("worktree", "prune")


def prepare(rev: str) -> Baseline:
    """The worktree of `rev` (a detached checkout), made or reused; others removed."""
    sha = _git("rev-parse", "--verify", f"{rev}^{{commit}}")
    path = CACHE / f"{PREFIX}{sha[:12]}"
    CACHE.mkdir(parents=True, exist_ok=True)
    _git("worktree", "prune")
    for other in CACHE.glob(f"{PREFIX}*"):
        if other != path:
            _remove(other)
    if path.exists():
        try:
            at = _git("rev-parse", "HEAD", cwd=path)
        except BaselineError:
            at = ""
        if at != sha or _git("status", "--porcelain", cwd=path):
            _remove(path)
    if not path.exists():
        _git("worktree", "add", "--detach", str(path), sha)
    return Baseline(rev=rev, sha=sha, path=path)


def verify(baseline: Baseline) -> Baseline:
    """Ask a Python with the baseline's environment which `app` it imports and which
    migration heads it has; stop unless `app` is the worktree's."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE],
        cwd=baseline.path,
        env={**os.environ, **baseline.env()},
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise BaselineError(f"baseline {baseline.short} does not import: {done.stderr.strip()}")
    found = json.loads(done.stdout.strip().splitlines()[-1])
    app_file = Path(found["app_file"]).resolve()
    if not app_file.is_relative_to(baseline.path.resolve()):
        raise BaselineError(
            f"baseline {baseline.short} would import app from {app_file}, "
            f"not from its worktree {baseline.path}"
        )
    return Baseline(baseline.rev, baseline.sha, baseline.path, str(app_file), tuple(found["heads"]))


def check_schema(baseline: Baseline, data_revision: str, what: str) -> None:
    """The baseline must know the migration the data is at (same migrations for now)."""
    if data_revision not in baseline.heads:
        raise BaselineError(
            f"the baseline {baseline.short}'s alembic head is {', '.join(baseline.heads)} but "
            f"{what} is at {data_revision}: the migrations differ, so the baseline cannot "
            "serve the same database; pick a baseline with this schema"
        )


def assert_served_from(baseline: Baseline, log_path: Path) -> None:
    """The running server printed which `app` it imported: it must be the worktree's."""
    lines = [
        line.removeprefix(APP_FILE_MARK).strip()
        for line in log_path.read_text(errors="replace").splitlines()
        if line.startswith(APP_FILE_MARK)
    ]
    if not lines or not Path(lines[0]).resolve().is_relative_to(baseline.path.resolve()):
        raise BaselineError(
            f"the baseline server ({log_path}) imported app from {lines[:1] or 'nowhere'}, "
            f"not from {baseline.path}"
        )


def remove_all() -> list[Path]:
    """Remove every baseline worktree under bench/.cache and prune git's records of them."""
    removed = sorted(CACHE.glob(f"{PREFIX}*"))
    for path in removed:
        _remove(path)
    _git("worktree", "prune")
    return removed


if __name__ == "__main__":
    # `python -m bench.baseline remove`: the worktrees are kept between runs otherwise.
    if sys.argv[1:] != ["remove"]:
        sys.exit("usage: python -m bench.baseline remove")
    for gone in remove_all():
        print(f"removed {gone}")


# Mints deep-page cursors with the baseline's own cursor code: a cursor is bound to the
# normalised query, whose form may differ between versions (a606fe8 binds its
# `ClaimFilters`, later versions `ClaimCriteria`), so the current version's cursors are not
# the baseline's.
_MINT = """
import json, sys
from app.pagination import encode_cursor
try:
    from app.claims.criteria import ClaimCriteria as Query
except ImportError:
    from app.claims.filters import ClaimFilters as Query
secret, ids = json.loads(sys.stdin.read())
scope = Query().scope(sort="id")
print(json.dumps([encode_cursor(secret, scope, [after]) for after in ids]))
"""


def mint_cursors(baseline: Baseline, secret: str, after_ids: list[str]) -> list[str]:
    """The cursors the baseline's API hands out after each of `after_ids` in its default
    list (sort=id, no filter)."""
    done = subprocess.run(
        [sys.executable, "-c", _MINT],
        cwd=baseline.path,
        env={**os.environ, **baseline.env()},
        input=json.dumps([secret, after_ids]),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise BaselineError(f"baseline {baseline.short} cannot mint cursors: {done.stderr}")
    minted: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return minted
