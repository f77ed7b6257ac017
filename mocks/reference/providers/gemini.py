"""The Gemini adapter: generate/stream/countTokens (`mocks.gemini.wire`) behind OpenAI's chat format."""

# The request mapping is in `gemini_request.py`, the answer's in `gemini_stream.py`: candidates → choices,
# thought parts → `reasoning`, functionCall parts → tool_calls (ids `call_<hex>`, deterministic),
# finishReason → finish_reason, usageMetadata → usage. Gemini words a wrong API key as a 400
# (`API_KEY_INVALID`): that is the gateway's misconfiguration, so it maps like an upstream 401 (500).

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any, cast

from aigw_conformance.mocks.gemini import wire
from aigw_conformance.mocks.openai import wire as oa
from aigw_conformance.mocks.reference.catalogue import ModelEntry
from aigw_conformance.mocks.reference.errors import provider_error
from aigw_conformance.mocks.reference.providers.base import NativeCall, content_filter_defect, now, supported
from aigw_conformance.mocks.reference.providers.base import upstream_status as mapped_status
from aigw_conformance.mocks.reference.providers.gemini_contents import contents
from aigw_conformance.mocks.reference.providers.gemini_request import generate_request
from aigw_conformance.mocks.reference.providers.gemini_stream import (
    GeminiStream,
    blocked,
    blocked_finish,
    call_arguments,
    call_id,
    finish_reason,
    parts,
    usage,
)
from aigw_conformance.mocks.reference.settings import GatewaySettings


def _headers(settings: GatewaySettings, provider: str) -> dict[str, str]:
    return {"x-goog-api-key": settings.upstream_key(provider)}


def count_call(messages: list[dict[str, Any]], entry: ModelEntry, settings: GatewaySettings) -> NativeCall:
    """countTokens for the messages as generateContent would send them (system instruction included), so the
    count equals the promptTokenCount of the same messages."""
    system, turns = contents(messages)
    inner: dict[str, Any] = {"model": f"models/{entry.upstream_model}", "contents": turns}
    if system:
        inner["systemInstruction"] = {"parts": system}
    url = f"{settings.upstreams[entry.provider]}/models/{entry.upstream_model}:countTokens"
    return NativeCall(url, {"generateContentRequest": inner}, _headers(settings, entry.provider))


def upstream_status(status: int, body: Any) -> int:
    """401 for Gemini's 400 API_KEY_INVALID (the gateway's key is wrong: a provider error), else `status`."""
    error = body.get("error") if isinstance(body, dict) else None
    details = error.get("details") if isinstance(error, dict) else None
    bad_key = any(isinstance(d, dict) and d.get("reason") == "API_KEY_INVALID" for d in details or [])
    return 401 if status == 400 and bad_key else status


class GeminiAdapter:
    def __init__(self, body: dict[str, Any], entry: ModelEntry, settings: GatewaySettings) -> None:
        self.provider, self.entry, self.settings = entry.provider, entry, settings
        filtered = supported(body, entry.provider, settings)
        if settings.has("xlate-gemini-seed-forwarded") and isinstance(body.get("seed"), int):
            filtered["seed"] = body["seed"]  # 000's table says Gemini has no seed; Gemini's API takes one
        self.request: wire.GenerateContentRequest = generate_request(filtered, entry, settings)
        self.stream = body.get("stream") is True
        self.created = now()

    def call(self) -> NativeCall:
        method = "streamGenerateContent?alt=sse" if self.stream else "generateContent"
        url = f"{self.settings.upstreams[self.provider]}/models/{self.entry.upstream_model}:{method}"
        return NativeCall(url, dict(self.request), _headers(self.settings, self.provider))

    def _choice(self, candidate: dict[str, Any], position: int, response_id: str) -> oa.Choice:
        index = int(candidate.get("index") or position)
        texts: list[str] = []
        thoughts: list[str] = []
        calls: list[oa.ToolCall] = []
        for part in parts(candidate):
            text, call = part.get("text"), part.get("functionCall")
            if isinstance(text, str):
                (thoughts if part.get("thought") else texts).append(text)
            elif isinstance(call, dict):
                ident = call_id(call, response_id, index, len(calls))
                arguments = call_arguments(call.get("args"), self.settings)
                calls.append(oa.tool_call(ident, str(call.get("name")), arguments))
                if self.settings.has("tool-call-id-missing"):
                    del cast(dict[str, Any], calls[-1])["id"]  # Gemini sent none and the gateway made none
        reason = finish_reason(candidate.get("finishReason", "STOP"), bool(calls), self.settings)
        content = "".join(texts) if texts or not calls else None
        return oa.choice(index, content, reason, tool_calls=calls, reasoning="".join(thoughts) or None)

    def completion(self, native: Any) -> dict[str, Any]:
        if not isinstance(native, dict) or not (isinstance(native.get("candidates"), list) or blocked(native)):
            raise provider_error(self.provider, "response is not a GenerateContentResponse")
        response_id = str(native.get("responseId") or "")
        choices = [self._choice(c, i, response_id) for i, c in enumerate(native.get("candidates") or [])
                   if isinstance(c, dict)]
        if not choices:
            choices = [oa.choice(0, "", blocked_finish(self.settings) if blocked(native) else "stop")]
        content_filter_defect(choices, self.settings)
        return dict(oa.completion(id=response_id or f"gen-{self.created}", created=self.created,
                                  model=str(native.get("modelVersion") or self.entry.upstream_model),
                                  choices=choices, usage=usage(native.get("usageMetadata") or {})))

    async def chunks(self, lines: AsyncIterator[str]) -> AsyncGenerator[dict[str, Any], None]:
        stream = GeminiStream(self.provider, self.created, self.settings)
        async for data in wire.aiter_sse_data(lines):
            try:
                response = json.loads(data)
            except ValueError:
                raise provider_error(self.provider, f"malformed stream event {data[:100]!r}") from None
            if not isinstance(response, dict):
                raise provider_error(self.provider, f"stream event is not an object: {data[:100]!r}")
            for chunk in stream.feed(response):
                content_filter_defect(chunk["choices"], self.settings)
                yield dict(chunk)
        yield dict(stream.end())

    def upstream_status(self, status: int, body: Any) -> int:
        return mapped_status(upstream_status(status, body), self.settings)
