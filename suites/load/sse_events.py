"""Incremental SSE parsing and chunk classification: which event is a token, the terminator or an error."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

DONE = "[DONE]"
REASONING_FIELDS = ("reasoning_content", "reasoning")
_EOL = re.compile(rb"\r\n|\r|\n")


class EventReader:
    """Feed it bytes as they arrive; it returns the `data` of each event completed by them.

    Lines may end in CR, LF or CRLF (a CRLF split across two reads is handled); `:` comments and fields
    other than `data` are ignored, as SSE clients must."""

    def __init__(self) -> None:
        self._partial = b""
        self._skip_lf = False
        self._data: list[str] = []

    def feed(self, block: bytes) -> list[str]:
        if self._skip_lf and block.startswith(b"\n"):
            block = block[1:]
        self._skip_lf = False
        buffer = self._partial + block
        events: list[str] = []
        start = 0
        for end in _EOL.finditer(buffer):
            self._line(buffer[start:end.start()].decode("utf-8", errors="replace"), events)
            start = end.end()
        self._skip_lf = buffer.endswith(b"\r")
        self._partial = buffer[start:]
        return events

    def _line(self, line: str, events: list[str]) -> None:
        if line == "":
            if self._data:
                events.append("\n".join(self._data))
            self._data = []
            return
        if line.startswith(":"):
            return
        name, _, value = line.partition(":")
        if name == "data":
            self._data.append(value[1:] if value.startswith(" ") else value)


@dataclass(frozen=True)
class Chunk:
    """What one event means for timing: `token` (content, a tool call or reasoning), `done`, `error`."""

    token: bool = False
    done: bool = False
    error: str | None = None
    completion_tokens: int | None = None


def _has_output(delta: Any) -> bool:
    if not isinstance(delta, dict):
        return False
    if delta.get("content") or delta.get("tool_calls") or delta.get("refusal") or delta.get("function_call"):
        return True
    return any(delta.get(name) for name in REASONING_FIELDS)


def classify(data: str) -> Chunk:
    """A role-only delta (`{"role": "assistant", "content": ""}`) is not a token; a usage chunk reports
    `completion_tokens`; malformed JSON or an `error` object is an error."""
    if data.strip() == DONE:
        return Chunk(done=True)
    try:
        chunk = json.loads(data)
    except ValueError:
        return Chunk(error=f"malformed chunk {data[:80]!r}")
    if not isinstance(chunk, dict):
        return Chunk(error=f"chunk is not an object: {data[:80]!r}")
    if "error" in chunk:
        detail = chunk["error"]
        message = detail.get("message") if isinstance(detail, dict) else detail
        return Chunk(error=f"error event: {str(message)[:200]}")
    choices = chunk.get("choices")
    token = isinstance(choices, list) and any(
        isinstance(c, dict) and _has_output(c.get("delta")) for c in choices
    )
    usage = chunk.get("usage")
    tokens = usage.get("completion_tokens") if isinstance(usage, dict) else None
    return Chunk(token=token, completion_tokens=tokens if isinstance(tokens, int) else None)
