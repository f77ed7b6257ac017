"""The client's SSE body: the AI API relay's events, under the output guardrail, with usage kept for the quota."""

from __future__ import annotations

import json
from collections.abc import AsyncIterable, AsyncIterator, Callable
from typing import Any

from aigw_conformance.mocks.openai.wire import DONE
from aigw_conformance.mocks.reference.client.guardrails import OutputGuard
from aigw_conformance.mocks.reference.settings import GatewaySettings
from aigw_conformance.mocks.reference.streaming import Framer

Piece = str | bytes | memoryview


def _data(piece: Piece) -> str | None:
    """The `data` of one relayed event (the relay yields one event per piece, maybe after a comment)."""
    text = piece if isinstance(piece, str) else bytes(piece).decode("utf-8")
    lines = [line[5:].removeprefix(" ") for line in text.splitlines() if line.startswith("data:")]
    return "\n".join(lines) if lines else None


def _filtered(last: dict[str, Any], indexes: list[int]) -> dict[str, Any]:
    """The closing chunk of a stream cut by the output guardrail."""
    chunk: dict[str, Any] = {key: last[key] for key in ("id", "object", "created", "model") if key in last}
    chunk["choices"] = [{"index": index, "delta": {}, "finish_reason": "content_filter"} for index in indexes]
    return chunk


class GuardedStream:
    """Re-frames each relayed chunk after the guard has seen it; ends with content_filter on PII."""

    def __init__(self, settings: GatewaySettings, guard: OutputGuard, *, keep_usage: bool,
                 on_end: Callable[[int], None]) -> None:
        self.settings, self.guard, self.keep_usage, self.on_end = settings, guard, keep_usage, on_end
        self.framer = Framer(settings)
        self.total_tokens: int | None = None  # from the upstream's usage chunk (always requested upstream)
        self.deltas = 0  # content deltas relayed: the charge when no usage arrived

    def _chunk(self, chunk: dict[str, Any]) -> tuple[dict[str, Any] | None, bool]:
        """The chunk to send (None: drop it) and whether some choice's text now holds PII."""
        usage = chunk.get("usage")
        if isinstance(usage, dict) and isinstance(usage.get("total_tokens"), int):
            self.total_tokens = usage["total_tokens"]
        if not self.keep_usage:
            chunk.pop("usage", None)
            if not chunk.get("choices"):
                return None, False
        tripped = False
        for choice in chunk.get("choices") or []:
            delta = choice.get("delta") if isinstance(choice, dict) else None
            if not isinstance(delta, dict) or not isinstance(delta.get("content"), str) or not delta["content"]:
                continue
            index = choice.get("index")
            index = index if isinstance(index, int) else 0
            delta["content"], found = self.guard.feed(index, delta["content"])
            self.deltas += 1
            tripped = tripped or found
        return chunk, tripped

    async def body(self, source: AsyncIterable[Piece]) -> AsyncIterator[bytes]:
        try:
            async for piece in source:
                data = _data(piece)
                try:
                    chunk = json.loads(data) if data is not None and data != DONE else None
                except ValueError:
                    chunk = None
                if not isinstance(chunk, dict) or "choices" not in chunk:
                    yield piece.encode() if isinstance(piece, str) else bytes(piece)  # [DONE], errors, comments
                    continue
                sent, tripped = self._chunk(chunk)
                if tripped:  # the chunk with the PII is withheld; every choice ends here
                    yield self.framer.event(json.dumps(_filtered(chunk, sorted(self.guard.texts)), ensure_ascii=False))
                    if not self.settings.has("no-done"):
                        yield self.framer.event(DONE)
                    return
                if sent is not None:
                    yield self.framer.event(json.dumps(sent, ensure_ascii=False))
        finally:
            self.on_end(self.total_tokens if self.total_tokens is not None else self.deltas)
            closer = getattr(source, "aclose", None)
            if closer is not None:
                await closer()  # stops the relay, which closes the upstream reply
