"""A persistent look-up cache (SQLite) shared by every worker of a machine.

One row per look-up key (``"sparql <endpoint>\\x1f<literal>"``) holding the JSON answer and when it
was stored; rows older than the time-to-live are ignored and refreshed. "Nothing found" is cached
too, so a NIL costs one request per TTL, not one per article.

Safe under concurrent processes: WAL journal (readers never block the writer), a busy time-out,
and writes as short single transactions of ``INSERT OR REPLACE``; the last writer wins, which is
harmless because every writer stores the same kind of fresh answer.
"""
from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..errors import LinkingError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS lookup (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    stored_at REAL NOT NULL
)
"""


class LookupCache:
    """Key -> JSON value with a time-to-live, in SQLite, plus an in-process memo."""

    def __init__(self, path: Path | str, *, ttl_days: float = 30.0, busy_timeout: float = 30.0) -> None:
        self.path = str(path)
        self.ttl = ttl_days * 86400.0
        self._memo: dict[str, tuple[float, Any]] = {}
        self._lock = threading.Lock()
        try:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=busy_timeout, isolation_level=None,
                                       check_same_thread=False)
            self._db.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            if self.path != ":memory:":
                self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = NORMAL")
            self._db.execute(_SCHEMA)
        except (sqlite3.Error, OSError) as exc:
            raise LinkingError(f"link cache {self.path} cannot be opened: {exc}") from exc

    def _fresh(self, stored_at: float, now: float) -> bool:
        return self.ttl <= 0 or now - stored_at < self.ttl

    def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        """The fresh cached values among ``keys``."""
        now = time.time()
        out: dict[str, Any] = {}
        todo = []
        for k in dict.fromkeys(keys):
            hit = self._memo.get(k)
            if hit is not None and self._fresh(hit[0], now):
                out[k] = hit[1]
            else:
                todo.append(k)
        with self._lock:
            for i in range(0, len(todo), 500):
                chunk = todo[i:i + 500]
                marks = ",".join("?" * len(chunk))
                try:
                    rows = self._db.execute(
                        f"SELECT key, value, stored_at FROM lookup WHERE key IN ({marks})", chunk).fetchall()
                except sqlite3.Error as exc:
                    raise LinkingError(f"link cache {self.path}: {exc}") from exc
                for key, value, stored_at in rows:
                    if self._fresh(stored_at, now):
                        try:
                            val = json.loads(value)
                        except ValueError:  # a damaged row is a miss; the next answer replaces it
                            continue
                        self._memo[key] = (stored_at, val)
                        out[key] = val
        return out

    def put_many(self, items: dict[str, Any]) -> None:
        if not items:
            return
        now = time.time()
        rows = [(k, json.dumps(v, ensure_ascii=False), now) for k, v in items.items()]
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.executemany("INSERT OR REPLACE INTO lookup (key, value, stored_at) VALUES (?, ?, ?)",
                                     rows)
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                try:
                    self._db.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
                raise LinkingError(f"link cache {self.path}: {exc}") from exc
            for k, v in items.items():
                self._memo[k] = (now, v)

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM lookup").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()
