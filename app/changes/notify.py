"""Commit notices on PostgreSQL: every write transaction NOTIFYs, each process LISTENs.

A long poll must wake within a second of a write made through any process, and an idle
one must cost at most one query a second per process. Polling the counter alone cannot do
both. So on PostgreSQL each write transaction sends `NOTIFY claims_commits`
(app.revisions.service.next_sequence) (delivered at
commit, never for a rollback), and each API process keeps one connection LISTENing in a
thread: a notice tells its waiting polls to read the counter now, and between notices they
read it at most once a second (a notice lost while the listener reconnects costs a second,
not a missed change). SQLite has no notices; there the polls read the counter every half
interval (app/changes/service.py), the existing mechanism, which also serves several
processes on one file.
"""

import logging
import threading
import weakref

import psycopg
from sqlalchemy import Engine

from app.revisions.service import COMMIT_CHANNEL

# How long the listener waits for a notice before it checks whether to stop.
_WAKE_SECONDS = 0.5
logger = logging.getLogger(__name__)


class CommitListener:
    """A thread with one LISTENing connection; `notices` counts what it heard (and each
    reconnection, after which anything may have been missed)."""

    def __init__(self, engine: Engine) -> None:
        self.conninfo = engine.url.set(drivername="postgresql").render_as_string(
            hide_password=False
        )
        self.notices = 0
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._listen, name="commit-listener", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=5)

    def _listen(self) -> None:
        while not self._stopping.is_set():
            try:
                with psycopg.connect(self.conninfo, autocommit=True) as connection:
                    connection.execute(f"LISTEN {COMMIT_CHANNEL}")
                    self.notices += 1
                    while not self._stopping.is_set():
                        for _ in connection.notifies(timeout=_WAKE_SECONDS):
                            self.notices += 1
            except psycopg.Error:
                if not self._stopping.is_set():
                    logger.warning("commit listener lost its connection", exc_info=True)
                    self._stopping.wait(1.0)


# The listener of each engine while an app on it runs (app.main starts and stops it), and
# how many apps use it: apps that share an engine (as tests do) share its listener.
listeners: "weakref.WeakKeyDictionary[Engine, CommitListener]" = weakref.WeakKeyDictionary()
_users: "weakref.WeakKeyDictionary[Engine, int]" = weakref.WeakKeyDictionary()
_guard = threading.Lock()


def start_listening(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        return
    with _guard:
        _users[engine] = _users.get(engine, 0) + 1
        if engine not in listeners:
            listeners[engine] = CommitListener(engine)
            listeners[engine].start()


def stop_listening(engine: Engine) -> None:
    with _guard:
        if engine not in _users:
            return
        _users[engine] -= 1
        if _users[engine] > 0:
            return
        del _users[engine]
        listener = listeners.pop(engine)
    listener.stop()
