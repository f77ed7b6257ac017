"""The limits of `guard.py`'s connections, and how its refusals are worded (a server's own error contract)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

# (status, message, code, request path or None) → (headers, body) of the refusal
Render = Callable[[int, str, str, str | None], tuple[list[tuple[str, str]], bytes]]
FD_RESERVE = 256  # descriptors kept for the process's own use: its listening sockets, files, logs
FDS_PER_CONNECTION = 3  # a client's socket, the upstream one it may hold, and an in-process mock's end of that


def plain_json(status: int, message: str, code: str, path: str | None) -> tuple[list[tuple[str, str]], bytes]:
    """A refusal as an OpenAI-style JSON error (the default when a server has no contract of its own)."""
    kind = "api_error" if status >= 500 else "invalid_request_error"
    body = {"error": {"message": message, "type": kind, "param": None, "code": code}}
    return [("content-type", "application/json")], json.dumps(body).encode()


@dataclass(frozen=True)
class ServerLimits:
    """What one server lets its clients hold (enforced by guard.py); `render` words its refusals."""

    max_connections: int = 1024
    header_timeout_s: float = 10.0
    body_timeout_s: float = 60.0
    max_header_bytes: int = 64 * 1024  # request line plus every header line
    max_headers: int = 100
    render: Render = plain_json

    def __post_init__(self) -> None:
        numbers = (self.max_connections, self.header_timeout_s, self.body_timeout_s, self.max_header_bytes,
                   self.max_headers)
        if not all(0 < number < float("inf") for number in numbers):  # nan too
            raise ValueError(f"server limits must be positive and finite: {numbers}")

    def connection_cap(self) -> int:
        """`max_connections`, lowered to what the process's open-file limit leaves room for."""
        files = open_file_limit()
        room = (files - FD_RESERVE) // FDS_PER_CONNECTION if files is not None else self.max_connections
        return max(1, min(self.max_connections, room))

    def open_files_wanted(self) -> int:
        """The open-file limit under which `max_connections` is not lowered."""
        return self.max_connections * FDS_PER_CONNECTION + FD_RESERVE


def open_file_limit() -> int | None:
    """The process's soft limit on open files (`ulimit -n`), or None where there is none (or no `resource`)."""
    try:
        import resource
    except ImportError:  # Windows
        return None
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return None if soft == resource.RLIM_INFINITY else soft
