"""SSE relay: read the upstream's events, rewrite each chunk, re-emit them in the gateway's own framing."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx

from mocks.reference.errors import GatewayError, envelope, provider_error
from mocks.reference.settings import GatewaySettings
from mocks.reference.translate import ChunkRewriter

KEEP_ALIVE = ": keep-alive"


async def upstream_events(lines: AsyncIterator[str]) -> AsyncIterator[str]:
    """The `data` of each upstream SSE event (comments, other fields and CR/LF/CRLF endings tolerated)."""
    data: list[str] = []
    async for line in lines:
        if line == "":
            if data:
                yield "\n".join(data)
            data = []
        elif line.startswith("data:"):
            value = line[5:]
            data.append(value[1:] if value.startswith(" ") else value)
    if data:
        yield "\n".join(data)


class Framer:
    """Encodes events in the configured framing (quirks `crlf` and `comments`)."""

    def __init__(self, settings: GatewaySettings) -> None:
        self.eol = "\r\n" if "crlf" in settings.quirks else "\n"
        self.comments = "comments" in settings.quirks

    def comment(self) -> bytes:
        return (KEEP_ALIVE + self.eol + self.eol).encode() if self.comments else b""

    def event(self, data: str) -> bytes:
        return self.comment() + f"data: {data}{self.eol}{self.eol}".encode()

    def error(self, error: GatewayError, settings: GatewaySettings) -> bytes:
        return self.event(json.dumps(envelope(error, settings)))


def _upstream_error(chunk: Any, provider: str) -> GatewayError | None:
    if not isinstance(chunk, dict) or "error" not in chunk:
        return None
    detail = chunk["error"]
    message = detail.get("message") if isinstance(detail, dict) else detail
    return provider_error(provider, str(message or "error event in stream"))


async def relay(
    reply: httpx.Response, rewriter: ChunkRewriter, settings: GatewaySettings, provider: str
) -> AsyncIterator[bytes]:
    """The gateway's SSE body; upstream failures after the first byte become an in-stream error event."""
    framer = Framer(settings)
    try:
        async for data in upstream_events(reply.aiter_lines()):
            if data.strip() == "[DONE]":
                break
            try:
                chunk = json.loads(data)
            except ValueError:
                problem = provider_error(provider, f"malformed stream chunk {data[:100]!r}")
                yield framer.error(problem, settings)
                return
            problem = _upstream_error(chunk, provider)
            if problem is not None or not isinstance(chunk, dict):
                problem = problem or provider_error(provider, f"chunk is not an object: {data[:100]!r}")
                yield framer.error(problem, settings)
                return
            rewritten = rewriter.rewrite(chunk)
            if rewritten is not None:
                yield framer.event(json.dumps(rewritten, ensure_ascii=False))
        else:
            yield framer.error(provider_error(provider, "stream ended before [DONE]"), settings)
            return
        if not settings.has("no-done"):
            yield framer.event("[DONE]")
    except httpx.HTTPError as exc:
        problem = provider_error(provider, f"stream interrupted: {type(exc).__name__}: {exc}")
        yield framer.error(problem, settings)
    finally:
        await reply.aclose()
