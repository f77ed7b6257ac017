"""SQLite storage of the store's records, keyed by (tenant, collection, key), behind one connection and lock."""

from __future__ import annotations

import functools
import json
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import anyio.to_thread

T = TypeVar("T")
MEMORY = ":memory:"
URL_PREFIX = "sqlite:///"
SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    tenant TEXT NOT NULL, collection TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
    created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant, collection, key)
) WITHOUT ROWID
"""
COLUMNS = "collection, key, value, created_at, updated_at"
# `?1 IS NULL` matches every tenant: only the store-* defects pass no tenant.
TENANT_MATCH = "(?1 IS NULL OR tenant = ?1)"


@dataclass(frozen=True)
class Record:
    """One stored record, as the StoreRecord schema shows it (the tenant is never shown)."""

    collection: str
    key: str
    value: dict[str, Any]
    created_at: int
    updated_at: int

    @classmethod
    def from_row(cls, row: tuple[str, str, str, int, int]) -> Record:
        collection, key, value, created_at, updated_at = row
        return cls(collection, key, json.loads(value), created_at, updated_at)

    def to_json(self) -> dict[str, Any]:
        return {"collection": self.collection, "key": self.key, "value": self.value,
                "created_at": self.created_at, "updated_at": self.updated_at}


def database_path(url: str | None) -> str:
    """`:memory:` for None; the file of a path or a `sqlite:///path` URL (`sqlite:////abs/path` is absolute)."""
    if url is None or url in (MEMORY, "sqlite://", URL_PREFIX + MEMORY):
        return MEMORY
    if url.startswith(URL_PREFIX):
        url = url[len(URL_PREFIX):]
    elif "://" in url:
        raise ValueError(f"store_url must be a file path or sqlite:///path, got {url!r}")
    if not url:
        raise ValueError("store_url names no file")
    return url


class StoreBackend:
    """All methods but `run` block; call them through `run`, which moves them to a worker thread."""

    def __init__(self, url: str | None) -> None:
        self.path = database_path(url)
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None

    async def run(self, method: Callable[..., T], *args: Any) -> T:
        return await anyio.to_thread.run_sync(functools.partial(method, *args))

    def _open(self) -> sqlite3.Connection:
        if self._db is None:
            if self.path != MEMORY:
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=5, isolation_level=None, check_same_thread=False)
            if self.path != MEMORY:
                db.execute("PRAGMA journal_mode=WAL")
            db.execute(SCHEMA)
            self._db = db
        return self._db

    def open(self) -> None:
        with self._lock:
            self._open()

    def close(self) -> None:
        """Close the connection (an in-memory store is gone then; a file store reopens on the next call)."""
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    def _select(self, db: sqlite3.Connection, tenant: str, collection: str, key: str) -> Record | None:
        row = db.execute(f"SELECT {COLUMNS} FROM records WHERE tenant = ? AND collection = ? AND key = ?",
                         (tenant, collection, key)).fetchone()
        return None if row is None else Record.from_row(row)

    def get(self, tenant: str | None, collection: str, key: str) -> Record | None:
        """The record, or None; tenant None reads the first tenant's record under the key (a defect)."""
        with self._lock:
            db = self._open()
            if tenant is not None:
                return self._select(db, tenant, collection, key)
            row = db.execute(f"SELECT {COLUMNS} FROM records WHERE collection = ? AND key = ? ORDER BY tenant LIMIT 1",
                             (collection, key)).fetchone()
            return None if row is None else Record.from_row(row)

    def insert(self, tenant: str, collection: str, key: str, value: dict[str, Any], now: int) -> Record | None:
        """The new record, or None when the tenant already has this key in the collection."""
        with self._lock:
            db = self._open()
            cursor = db.execute("INSERT OR IGNORE INTO records VALUES (?, ?, ?, ?, ?, ?)",
                                (tenant, collection, key, json.dumps(value), now, now))
            return self._select(db, tenant, collection, key) if cursor.rowcount == 1 else None

    def put(self, tenant: str, collection: str, key: str, value: dict[str, Any], now: int) -> Record:
        """Create or replace; a replaced record keeps its created_at."""
        with self._lock:
            db = self._open()
            db.execute("INSERT INTO records VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (tenant, collection, key) "
                       "DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                       (tenant, collection, key, json.dumps(value), now, now))
            record = self._select(db, tenant, collection, key)
            assert record is not None
            return record

    def delete(self, tenant: str | None, collection: str, key: str) -> bool:
        """Whether a record was deleted; tenant None deletes the key for every tenant (a defect)."""
        with self._lock:
            cursor = self._open().execute(
                f"DELETE FROM records WHERE {TENANT_MATCH} AND collection = ?2 AND key = ?3",
                (tenant, collection, key))
            return cursor.rowcount > 0

    def page(self, tenant: str | None, collection: str, after: str | None, limit: int) -> tuple[list[Record], bool]:
        """Up to `limit` records with keys after `after`, in key order, and whether more follow."""
        with self._lock:
            rows = self._open().execute(
                f"SELECT {COLUMNS} FROM records WHERE {TENANT_MATCH} AND collection = ?2 AND (?3 IS NULL OR key > ?3) "
                "ORDER BY key, tenant LIMIT ?4", (tenant, collection, after, limit + 1)).fetchall()
        return [Record.from_row(row) for row in rows[:limit]], len(rows) > limit
