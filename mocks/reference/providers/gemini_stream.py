"""Gemini's answer → OpenAI's: finish reasons, usage, call ids, and `streamGenerateContent?alt=sse` as chunks."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from aigw_conformance.mocks.openai import wire as oa
from aigw_conformance.mocks.reference.errors import provider_error
from aigw_conformance.mocks.reference.providers.base import compact
from aigw_conformance.mocks.reference.settings import GatewaySettings

# Gemini finishReason → OpenAI finish_reason: STOP → stop (tool_calls when the candidate called functions),
# MAX_TOKENS → length, the safety family → content_filter, anything else (OTHER, MALFORMED_FUNCTION_CALL...) → stop.
FINISH_REASONS: dict[str, oa.FinishReason] = {
    "STOP": "stop", "MAX_TOKENS": "length", "SAFETY": "content_filter", "RECITATION": "content_filter",
    "LANGUAGE": "content_filter", "BLOCKLIST": "content_filter", "PROHIBITED_CONTENT": "content_filter",
    "SPII": "content_filter", "IMAGE_SAFETY": "content_filter",
}


def finish_reason(native: Any, has_calls: bool, settings: GatewaySettings) -> oa.FinishReason:
    if settings.has("xlate-gemini-finish-reason-raw") and isinstance(native, str):
        return native  # type: ignore[return-value]
    reason = FINISH_REASONS.get(native, "stop") if isinstance(native, str) else "stop"
    if settings.has("tool-calls-finish-stop"):
        return reason  # Gemini says STOP after function calls too: mapped without looking at the calls
    return "tool_calls" if has_calls and reason == "stop" else reason


def blocked_finish(settings: GatewaySettings) -> oa.FinishReason:
    """A blocked prompt's finish: content_filter (000: 'Content filtered by provider safety systems'); `stop` under
    the refusal-as-empty-stop defect."""
    return "stop" if settings.has("refusal-as-empty-stop") else "content_filter"


def call_arguments(args: Any, settings: GatewaySettings) -> str:
    """A functionCall's `args` as OpenAI's `arguments`: compact JSON text (Python's str() under a defect)."""
    return str(args or {}) if settings.has("tool-args-invalid-json") else compact(args or {})


def usage(meta: Mapping[str, Any]) -> oa.Usage:
    """promptTokenCount → prompt_tokens; candidates + thoughts → completion_tokens, thoughts → reasoning_tokens
    (OpenAI counts reasoning inside completion_tokens); cachedContentTokenCount → cached_tokens."""
    thoughts = int(meta.get("thoughtsTokenCount") or 0)
    return oa.usage(int(meta.get("promptTokenCount") or 0), int(meta.get("candidatesTokenCount") or 0) + thoughts,
                    cached_tokens=int(meta.get("cachedContentTokenCount") or 0), reasoning_tokens=thoughts)


def call_id(call: Mapping[str, Any], response_id: str, candidate: int, k: int) -> str:
    """Gemini's own call id if it sent one, else `call_<24 hex>` derived from the response, candidate and call
    position (so the streamed and whole answers name their calls alike)."""
    given = call.get("id")
    return given if isinstance(given, str) and given else \
        "call_" + hashlib.sha256(f"{response_id}/{candidate}/{k}".encode()).hexdigest()[:24]


def parts(candidate: Mapping[str, Any]) -> list[dict[str, Any]]:
    content = candidate.get("content")
    found = content.get("parts") if isinstance(content, dict) else None
    return [part for part in found or [] if isinstance(part, dict)]


def blocked(response: Mapping[str, Any]) -> bool:
    """A prompt Gemini refused: no candidates, `promptFeedback.blockReason` set."""
    feedback = response.get("promptFeedback")
    return not response.get("candidates") and isinstance(feedback, dict) and bool(feedback.get("blockReason"))


class GeminiStream:
    """Turns each streamed GenerateContentResponse into OpenAI chunks: per candidate a role delta first, thought
    text → reasoning, text → content, a functionCall → a call header and its whole arguments, finishReason →
    the finish chunk; `end()` gives the usage chunk (from the last usageMetadata, which is cumulative)."""

    def __init__(self, provider: str, created: int, settings: GatewaySettings) -> None:
        self.provider, self.created, self.settings = provider, created, settings
        self.id, self.model = "", ""
        self.meta: dict[str, Any] = {}
        self.calls: dict[int, int] = {}  # candidate → calls so far
        self.started: set[int] = set()
        self.finished: set[int] = set()

    def _chunk(self, index: int, delta: oa.Delta, finish: oa.FinishReason | None = None) -> oa.ChatCompletionChunk:
        return oa.chunk(id=self.id, created=self.created, model=self.model,
                        choices=[oa.chunk_choice(index, delta, finish)], include_usage=True)

    def feed(self, response: dict[str, Any]) -> list[oa.ChatCompletionChunk]:
        if "error" in response:
            error = response["error"]
            raise provider_error(self.provider, str(error.get("message") if isinstance(error, dict) else error))
        self.id = self.id or str(response.get("responseId") or "")
        self.model = self.model or str(response.get("modelVersion") or "")
        if isinstance(response.get("usageMetadata"), dict):
            self.meta = response["usageMetadata"]
        if blocked(response):
            self.finished.add(0)
            return [self._chunk(0, {"role": "assistant", "content": ""}),
                    self._chunk(0, {}, blocked_finish(self.settings))]
        out: list[oa.ChatCompletionChunk] = []
        for candidate in response.get("candidates") or []:
            index = int(candidate.get("index") or 0)
            if index not in self.started:
                self.started.add(index)
                out.append(self._chunk(index, {"role": "assistant", "content": ""}))
            out += self._parts(index, parts(candidate))
            if candidate.get("finishReason"):
                self.finished.add(index)
                reason = finish_reason(candidate["finishReason"], index in self.calls, self.settings)
                out.append(self._chunk(index, {}, reason))
        return out

    def _parts(self, index: int, found: list[dict[str, Any]]) -> list[oa.ChatCompletionChunk]:
        out: list[oa.ChatCompletionChunk] = []
        for part in found:
            text, call = part.get("text"), part.get("functionCall")
            if isinstance(text, str) and text:
                out.append(self._chunk(index, {"reasoning": text} if part.get("thought") else {"content": text}))
            elif isinstance(call, dict):
                k = self.calls[index] = self.calls.get(index, -1) + 1
                header = oa.tool_call_delta(k, "", id=call_id(call, self.id, index, k), name=str(call.get("name")))
                if self.settings.has("tool-call-id-missing"):
                    del header["id"]  # Gemini sent none and the gateway made none
                out.append(self._chunk(index, {"tool_calls": [header]}))
                arguments = call_arguments(call.get("args"), self.settings)
                out.append(self._chunk(index, {"tool_calls": [oa.tool_call_delta(k, arguments)]}))
        return out

    def end(self) -> oa.ChatCompletionChunk:
        if not self.finished:
            raise provider_error(self.provider, "stream ended before a finishReason")
        return oa.chunk(id=self.id, created=self.created, model=self.model, choices=[], include_usage=True,
                        usage=usage(self.meta))
