"""A provider-neutral, bounded, thread-safe journal of exactly what a mock received."""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from starlette.requests import Request
from starlette.types import Scope

MAX_ENTRIES = 10_000
"""How many entries a journal keeps by default: the oldest are dropped first."""
MAX_BODY_BYTES = 1 << 20
"""How much of each body an entry keeps (1 MiB; `size` is always the whole body's length)."""
MAX_BYTES = 32 << 20
"""How many bytes (kept bodies, headers, paths, queries) a journal keeps by default: the oldest entries are dropped
first, so four mocks in one process hold at most 128 MiB of journal however large the requests."""
ENTRY_OVERHEAD = 512
"""What an entry costs besides its bytes (the tuple or entry object, its strings' headers), for the byte bound."""

_SCOPE_KEY = "mocks.journal"


def route_path(scope: Scope) -> str:
    """The request path relative to the app: a mount prefix (`root_path`) is left out."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return (path[len(root):] or "/") if root and path.startswith(root) else path


@dataclass(frozen=True)
class JournalEntry:
    """One received request: `path` is relative to the mock app (a mount prefix is left out); `headers`
    joins repeated names with ", "; `body` is the body's text and `json` the parsed body (null when absent
    or not JSON), both derived lazily from `raw_body`, off the request's hot path; `size` is the received
    body's length (`raw_body` keeps its first MAX_BODY_BYTES)."""

    seq: int
    method: str
    path: str
    query: str
    raw_headers: tuple[tuple[bytes, bytes], ...]
    raw_body: bytes
    size: int

    @cached_property
    def headers(self) -> dict[str, str]:
        headers: dict[str, str] = {}
        for raw_name, raw_value in self.raw_headers:
            name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        return headers

    @cached_property
    def body(self) -> str:
        return self.raw_body.decode("utf-8", errors="replace")

    @cached_property
    def json(self) -> Any:
        try:
            return json.loads(self.raw_body) if self.raw_body else None
        except ValueError:
            return None

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq, "method": self.method, "path": self.path, "query": self.query,
            "headers": self.headers, "body": self.body, "json": self.json, "size": self.size,
        }


def _entry(
    seq: int, method: str, path: str, query: str, headers: tuple[tuple[bytes, bytes], ...], body: bytes, size: int
) -> JournalEntry:
    """`JournalEntry(...)` without the frozen dataclass's per-field `object.__setattr__` (twice as fast: the
    journal records every request a mock receives)."""
    entry: JournalEntry = object.__new__(JournalEntry)
    entry.__dict__.update(seq=seq, method=method, path=path, query=query, raw_headers=headers, raw_body=body,
                          size=size)
    return entry


_Raw = tuple[int, str, str, str, tuple[tuple[bytes, bytes], ...], bytes, int]
"""An entry as `Journal.append` keeps it, until `Journal.entries` makes it a `JournalEntry` (the same fields)."""


def _made(item: JournalEntry | _Raw) -> JournalEntry:
    return item if isinstance(item, JournalEntry) else _entry(*item)


def cost(method: str, path: str, query: str, headers: tuple[tuple[bytes, bytes], ...], kept: bytes) -> int:
    """What an entry counts against the journal's byte bound."""
    return ENTRY_OVERHEAD + len(kept) + len(method) + len(path) + len(query) + sum(
        len(name) + len(value) for name, value in headers)


class Journal:
    """Every request a mock received, in order, the last `max_entries` kept and at most `max_bytes` of them
    (`cost`; the newest entry is always kept); safe to use from any thread or task. A request is recorded once:
    recording it again (by scope) returns the first entry."""

    def __init__(self, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES) -> None:
        if max_entries < 1 or max_bytes < 1:
            raise ValueError("a journal keeps at least one entry and one byte")
        self._lock = threading.Lock()
        self._entries: deque[JournalEntry | _Raw] = deque()
        self._costs: deque[int] = deque()
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self.bytes = 0  # the kept entries' `cost`, summed
        self._seq = 0
        self._raw = False  # whether `_entries` holds `append`ed tuples not yet made entries

    def _keep(self, item: JournalEntry | _Raw, size: int) -> None:
        """Append `item` and drop the oldest entries beyond either bound (call with the lock held)."""
        entries, costs = self._entries, self._costs
        entries.append(item)
        costs.append(size)
        self.bytes += size
        while len(entries) > self.max_entries or (self.bytes > self.max_bytes and len(entries) > 1):
            entries.popleft()
            self.bytes -= costs.popleft()

    def recorded(self, scope: Scope) -> JournalEntry | None:
        """The entry already recorded for this request's scope, if any."""
        entry: JournalEntry | None = scope.get(_SCOPE_KEY, {}).get(id(self))
        return entry

    def record_scope(self, scope: Scope, body: bytes) -> JournalEntry:
        """Record the request of an ASGI `scope` whose whole body is `body` (once per scope)."""
        marks: dict[int, JournalEntry] | None = scope.get(_SCOPE_KEY)
        if marks is not None and (entry := marks.get(id(self))) is not None:
            return entry
        query = scope.get("query_string", b"").decode("latin-1")
        entry = self.add(scope["method"], route_path(scope), query, scope.get("headers", ()), body)
        if marks is None:
            scope[_SCOPE_KEY] = {id(self): entry}
        else:
            marks[id(self)] = entry
        return entry

    async def record(self, request: Request) -> JournalEntry:
        """Record a Starlette request (reads its body; once per request, see `recorded`)."""
        if (entry := self.recorded(request.scope)) is not None:
            return entry
        return self.record_scope(request.scope, await request.body())

    def add(
        self, method: str, path: str, query: str, headers: Iterable[tuple[bytes, bytes]], body: bytes
    ) -> JournalEntry:
        headers = tuple(headers)
        kept = body[:MAX_BODY_BYTES]
        size = cost(method, path, query, headers, kept)
        with self._lock:
            self._seq += 1
            entry = _entry(self._seq, method, path, query, headers, kept, len(body))
            self._keep(entry, size)
        return entry

    def append(
        self, method: str, path: str, query: str, headers: Iterable[tuple[bytes, bytes]], body: bytes
    ) -> None:
        """`add` without building the entry now (a tuple is kept; `entries` builds it): for a hot path."""
        headers = tuple(headers)
        kept = body[:MAX_BODY_BYTES]
        size = cost(method, path, query, headers, kept)
        with self._lock:
            self._seq += 1
            self._keep((self._seq, method, path, query, headers, kept, len(body)), size)
            self._raw = True

    def entries(self, since: int = 0) -> list[JournalEntry]:
        """The kept entries in order; with `since`, only those whose `seq` is greater."""
        with self._lock:
            if self._raw:
                self._entries = deque(map(_made, self._entries))
                self._raw = False
            entries = list(map(_made, self._entries))  # all made already: the same objects every time
            return [e for e in entries if e.seq > since] if since else entries

    def clear(self) -> int:
        """Forget every entry (sequence numbers keep counting); returns how many there were."""
        with self._lock:
            count = len(self._entries)
            self._entries.clear()
            self._costs.clear()
            self.bytes = 0
            return count

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
