"""Mutable mock state: the request journal (every request received, in order) and the mock's settings."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request


@dataclass(frozen=True)
class JournalEntry:
    """One received request: `path` is relative to the mock app (a mount prefix is left out), `json` the
    parsed body (null when absent or not JSON), `body` its text."""

    seq: int
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: str
    json: Any

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq, "method": self.method, "path": self.path, "query": self.query,
            "headers": self.headers, "body": self.body, "json": self.json,
        }


class Journal:
    """Thread-safe, append-only until `clear()`; read in-process or via `GET /__mock__/journal`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[JournalEntry] = []
        self._seq = 0

    async def record(self, request: Request) -> JournalEntry:
        raw = await request.body()
        text = raw.decode("utf-8", errors="replace")
        try:
            parsed: Any = json.loads(raw) if raw else None
        except ValueError:
            parsed = None
        headers: dict[str, str] = {}
        for name, value in request.headers.items():
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        path, root = request.url.path, request.scope.get("root_path", "")
        path = path[len(root):] if root and path.startswith(root) else path
        with self._lock:
            self._seq += 1
            entry = JournalEntry(self._seq, request.method, path, request.url.query, headers, text, parsed)
            self._entries.append(entry)
        return entry

    def entries(self) -> list[JournalEntry]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> int:
        """Forget every entry (sequence numbers keep counting); returns how many there were."""
        with self._lock:
            count, self._entries = len(self._entries), []
            return count


@dataclass
class MockState:
    """What one mock app instance holds: its settings and its journal."""

    api_key: str | None
    models: dict[str, int]
    strict: bool = True
    journal: Journal = field(default_factory=Journal)
