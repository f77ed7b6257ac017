"""SSE relay: an adapter's chunks, rewritten by the gateway, re-emitted in the gateway's own framing."""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing
from typing import Any

import httpx
from starlette.responses import StreamingResponse
from starlette.types import Send

from aigw_conformance.mocks.openai.wire import DONE
from aigw_conformance.mocks.reference.errors import GatewayError, envelope, provider_error
from aigw_conformance.mocks.reference.settings import GatewaySettings
from aigw_conformance.mocks.reference.translate import ChunkRewriter
from aigw_conformance.mocks.reference.transport import Body

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


def swallowed(framer: Framer, last: dict[str, Any]) -> bytes:
    """The stream-failure-swallowed defect: a provider failure closed as a whole answer would be, a `stop` finish
    chunk (named as the last chunk sent) and `[DONE]`."""
    chunk: dict[str, Any] = {key: last[key] for key in ("id", "object", "created", "model") if key in last}
    chunk["choices"] = [{"index": 0, "delta": {}, "logprobs": None, "finish_reason": "stop"}]
    return framer.event(json.dumps(chunk)) + framer.event(DONE)


async def relay(
    reply: httpx.Response, chunks: AsyncGenerator[dict[str, Any], None], rewriter: ChunkRewriter,
    settings: GatewaySettings, provider: str,
) -> AsyncIterator[bytes]:
    """The gateway's SSE body from an adapter's OpenAI chunks; a provider failure after the first byte (an
    error event, a malformed or cut stream, a broken connection) becomes an in-stream error event."""
    framer = Framer(settings)
    late: list[bytes] = []  # the usage-after-done defect: usage-only chunks held back until after [DONE]
    after_done = settings.has("usage-after-done")
    last: dict[str, Any] = {}  # the last chunk sent (the stream-failure-swallowed defect closes the stream with it)
    try:
        async with aclosing(chunks):
            async for chunk in chunks:
                rewritten = rewriter.rewrite(chunk)
                if rewritten is None:
                    continue
                last = rewritten
                event = framer.event(json.dumps(rewritten, ensure_ascii=False))
                if after_done and "usage" in rewritten and not rewritten.get("choices"):
                    late.append(event)
                else:
                    yield event
        if not settings.has("no-done"):
            yield framer.event(DONE)
        for event in late:
            yield event
    except GatewayError as problem:
        yield swallowed(framer, last) if settings.has("stream-failure-swallowed") else framer.error(problem, settings)
    except httpx.HTTPError as exc:
        cut = provider_error(provider, f"stream interrupted: {type(exc).__name__}: {exc}")
        yield swallowed(framer, last) if settings.has("stream-failure-swallowed") else framer.error(cut, settings)
    finally:
        await reply.aclose()


class CoalescedStreamingResponse(StreamingResponse):
    """A StreamingResponse that sends the events of one upstream read as one ASGI message (one write to the
    client) instead of one message per event: the same bytes, flushed whenever the upstream body is about to
    read again (`transport.Body.before_read`), so no event waits for the network. An upstream body that cannot
    say so (not the gateway's transport) gets one message per event, as StreamingResponse sends them.
    `buffered` (the stream-buffered defect): nothing is flushed before the upstream stream ends, one write."""

    def __init__(self, content: AsyncIterator[bytes], upstream: object, *, headers: dict[str, str],
                 media_type: str, buffered: bool = False) -> None:
        super().__init__(content, headers=headers, media_type=media_type)
        self.upstream = upstream if isinstance(upstream, Body) else None
        self.buffered = buffered

    async def stream_response(self, send: Send) -> None:
        upstream = self.upstream
        if upstream is None and not self.buffered:
            await super().stream_response(send)
            return
        pending: list[bytes] = []

        async def flush() -> None:
            if pending:
                body = b"".join(pending)
                pending.clear()
                await send({"type": "http.response.body", "body": body, "more_body": True})

        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        if upstream is not None and not self.buffered:
            upstream.before_read = flush
        try:
            async for chunk in self.body_iterator:
                pending.append(chunk.encode(self.charset) if isinstance(chunk, str) else bytes(chunk))
        finally:
            if upstream is not None:
                upstream.before_read = None
        await send({"type": "http.response.body", "body": b"".join(pending), "more_body": False})
