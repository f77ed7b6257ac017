"""Server-Sent Events: encode events, stream them with pacing and cuts, and decode an upstream's events."""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping
from typing import Any, NamedTuple

from starlette.responses import StreamingResponse
from starlette.types import Send

DONE = "[DONE]"
_LINE = re.compile(r"\r\n|\r|\n")


def dumps(payload: Any) -> str:
    """Compact JSON in insertion order, non-ASCII kept as UTF-8: how the mocks put JSON on the wire."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def encode_event(data: str, *, event: str | None = None, id: str | None = None) -> bytes:
    """One event terminated by a blank line; a multi-line `data` becomes several `data:` lines."""
    lines = [f"event: {event}"] if event is not None else []
    if id is not None:
        lines.append(f"id: {id}")
    lines += [f"data: {line}" for line in _LINE.split(data)]
    return ("\n".join(lines) + "\n\n").encode("utf-8")


def encode_json(payload: Any, *, event: str | None = None) -> bytes:
    """`data: <compact json>\\n\\n` (with an `event:` line first when given)."""
    return encode_event(dumps(payload), event=event)


def encode_done() -> bytes:
    """The `data: [DONE]` terminator of OpenAI-style streams."""
    return encode_event(DONE)


def encode_comment(text: str = "") -> bytes:
    """A comment (`: text`) followed by a blank line; clients must ignore it (keep-alives)."""
    return "".join(f": {line}\n" for line in _LINE.split(text)).encode("utf-8") + b"\n"


class Frame(NamedTuple):
    """One encoded event of a stream; `token` marks events carrying generated text, `final` the terminator."""

    data: bytes
    token: bool = False
    final: bool = False


Pacer = Callable[[int, Frame], Awaitable[bool]]
"""Awaited before frame `index` is sent (it may sleep); returning False cuts the stream there."""


class EventStreamResponse(StreamingResponse):
    """`text/event-stream` of pre-built frames; a cut leaves the body unfinished, so the server drops the
    connection (clients see a truncated chunked body, not a clean end)."""

    def __init__(
        self, frames: Iterable[Frame], *, pacer: Pacer | None = None, status_code: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.frames, self.pacer = list(frames), pacer
        super().__init__(self._bodies(), status_code, headers, media_type="text/event-stream")

    async def _bodies(self) -> AsyncIterator[bytes]:
        for frame in self.frames:
            yield frame.data

    async def stream_response(self, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        for index, frame in enumerate(self.frames):
            if self.pacer is not None and not await self.pacer(index, frame):
                return
            await send({"type": "http.response.body", "body": frame.data, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})


class SSEEvent(NamedTuple):
    data: str
    event: str = "message"
    id: str | None = None


class EventDecoder:
    """Incremental WHATWG event-stream parser. `str` input is taken as lines (one line each, a trailing
    CR/LF/CRLF optional, as httpx `iter_lines()` yields); `bytes` input as raw chunks split anywhere.
    Comments and unknown fields are skipped; an event is dispatched only by its blank line."""

    def __init__(self) -> None:
        self._utf8 = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._pending, self._started = "", False
        self._data: list[str] = []
        self._event = ""
        self._id: str | None = None

    def feed(self, item: str | bytes) -> list[SSEEvent]:
        if isinstance(item, bytes):
            text, hold = self._pending + self._utf8.decode(item), ""
            if text.endswith("\r"):  # maybe the first half of a CRLF split across chunks
                text, hold = text[:-1], "\r"
            lines = _LINE.split(text)
            self._pending = lines.pop() + hold
        else:
            for end in ("\r\n", "\n", "\r"):
                if item.endswith(end):
                    item = item[: -len(end)]
                    break
            lines = _LINE.split(item)
        return [event for line in lines if (event := self._line(line)) is not None]

    def close(self) -> list[SSEEvent]:
        """End of input: complete lines still buffered are processed; an unterminated event is dropped."""
        lines = _LINE.split(self._pending + self._utf8.decode(b"", final=True))
        self._pending = ""
        lines.pop()
        return [event for line in lines if (event := self._line(line)) is not None]

    def _line(self, line: str) -> SSEEvent | None:
        if not self._started:
            self._started, line = True, line.removeprefix("\ufeff")
        if line == "":
            data, self._data = self._data, []
            event, self._event = self._event or "message", ""
            return SSEEvent("\n".join(data), event, self._id) if data else None
        if line.startswith(":"):
            return None
        name, colon, value = line.partition(":")
        value = value[1:] if colon and value.startswith(" ") else value
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id" and "\0" not in value:
            self._id = value
        return None


def iter_events(items: Iterable[str | bytes]) -> Iterator[SSEEvent]:
    """Events of a stream given as lines (`str`) or raw chunks (`bytes`); see `EventDecoder`."""
    decoder = EventDecoder()
    for item in items:
        yield from decoder.feed(item)
    yield from decoder.close()


async def aiter_events(items: AsyncIterable[str | bytes]) -> AsyncIterator[SSEEvent]:
    """The async twin of `iter_events` (for `httpx.Response.aiter_lines()` / `aiter_bytes()`)."""
    decoder = EventDecoder()
    async for item in items:
        for event in decoder.feed(item):
            yield event
    for event in decoder.close():
        yield event
