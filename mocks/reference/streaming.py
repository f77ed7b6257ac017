"""SSE relay: read the upstream's events, rewrite each chunk, re-emit them in the gateway's own framing."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx

from mocks.openai.wire import DONE, aiter_sse_data
from mocks.reference.errors import GatewayError, envelope, provider_error
from mocks.reference.settings import GatewaySettings
from mocks.reference.translate import ChunkRewriter

KEEP_ALIVE = ": keep-alive"


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


def _parse_chunk(data: str, provider: str) -> tuple[dict[str, Any] | None, GatewayError | None]:
    """The upstream chunk, or the provider error it is (malformed JSON, not an object, an error event)."""
    try:
        chunk = json.loads(data)
    except ValueError:
        return None, provider_error(provider, f"malformed stream chunk {data[:100]!r}")
    if not isinstance(chunk, dict):
        return None, provider_error(provider, f"stream chunk is not an object: {data[:100]!r}")
    if "error" in chunk:
        detail = chunk["error"]
        message = detail.get("message") if isinstance(detail, dict) else detail
        return None, provider_error(provider, str(message or "error event in stream"))
    return chunk, None


async def relay(
    reply: httpx.Response, rewriter: ChunkRewriter, settings: GatewaySettings, provider: str
) -> AsyncIterator[bytes]:
    """The gateway's SSE body; upstream failures after the first byte become an in-stream error event."""
    framer = Framer(settings)
    try:
        async for data in aiter_sse_data(reply.aiter_lines()):
            if data.strip() == DONE:
                break
            chunk, problem = _parse_chunk(data, provider)
            if chunk is None:
                yield framer.error(problem or provider_error(provider, "empty chunk"), settings)
                return
            rewritten = rewriter.rewrite(chunk)
            if rewritten is not None:
                yield framer.event(json.dumps(rewritten, ensure_ascii=False))
        else:
            yield framer.error(provider_error(provider, "stream ended before [DONE]"), settings)
            return
        if not settings.has("no-done"):
            yield framer.event(DONE)
    except httpx.HTTPError as exc:
        problem = provider_error(provider, f"stream interrupted: {type(exc).__name__}: {exc}")
        yield framer.error(problem, settings)
    finally:
        await reply.aclose()
