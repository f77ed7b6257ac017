"""OpenAI's wire format upstream (OpenAI itself and the vLLM-style self-hosted threatwinds backends)."""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

from aigw_conformance.mocks.openai.wire import DONE, aiter_sse_data
from aigw_conformance.mocks.reference.catalogue import ModelEntry
from aigw_conformance.mocks.reference.errors import provider_error
from aigw_conformance.mocks.reference.providers.base import (
    NativeCall,
    content_filter_defect,
    max_tokens,
    refusal_defect,
    supported,
)
from aigw_conformance.mocks.reference.providers.base import upstream_status as mapped_status
from aigw_conformance.mocks.reference.settings import GatewaySettings


def upstream_request(body: dict[str, Any], entry: ModelEntry, settings: GatewaySettings) -> dict[str, Any]:
    """The OpenAI-format body sent upstream: undocumented and provider-unsupported parameters dropped
    (000's support table), `max_tokens` folded into `max_completion_tokens` (default: 50% of the maximum)."""
    payload = supported(body, entry.provider, settings)
    payload["model"] = entry.upstream_model
    payload["max_completion_tokens"] = max_tokens(body, entry, settings)
    if settings.has("max-completion-tokens-ignored") and not isinstance(body.get("max_tokens"), int):
        payload["max_completion_tokens"] = entry.default_completion_tokens  # only the legacy name was read
    payload.pop("max_tokens", None)
    if settings.has("xlate-selfhosted-extras-dropped") and entry.provider == "threatwinds":
        for name in ("top_k", "min_p", "repetition_penalty"):  # OpenAI's support column applied to vLLM
            payload.pop(name, None)
    if settings.has("xlate-service-tier-dropped"):
        payload.pop("service_tier", None)
    if settings.has("logprobs-when-not-asked") and "logprobs" not in payload:
        payload["logprobs"] = True  # asked for the gateway's own scoring, and passed on to the caller
    if settings.has("seed-not-deterministic") and isinstance(payload.get("seed"), int):
        payload["seed"] = (payload["seed"] + secrets.randbelow(2**31)) % 2**63  # a per-request cache-busting salt
    temperature = payload.get("temperature")
    if settings.has("temperature-unchecked") and isinstance(temperature, int | float) and temperature > 2:
        payload["temperature"] = 2
    n = payload.get("n")
    if settings.has("n-range-unchecked") and isinstance(n, int) and not 1 <= n <= 128:
        payload["n"] = min(max(n, 1), 128)
    if payload.get("stream") is True:
        if settings.has("usage-chunk-unasked"):
            payload["stream_options"] = {**(payload.get("stream_options") or {}), "include_usage": True}
    else:
        payload.pop("stream_options", None)  # only meaningful when streaming; OpenAI rejects it otherwise
    return payload


def parse_chunk(data: str, provider: str) -> dict[str, Any]:
    """The upstream chunk; a provider error for malformed JSON, a non-object or an error event."""
    try:
        chunk = json.loads(data)
    except ValueError:
        raise provider_error(provider, f"malformed stream chunk {data[:100]!r}") from None
    if not isinstance(chunk, dict):
        raise provider_error(provider, f"stream chunk is not an object: {data[:100]!r}")
    if "error" in chunk:
        detail = chunk["error"]
        message = detail.get("message") if isinstance(detail, dict) else detail
        raise provider_error(provider, str(message or "error event in stream"))
    return chunk


class OpenAIAdapter:
    """Passes the OpenAI format through: the payload of `upstream_request` (or one built already)."""

    def __init__(self, body: dict[str, Any], entry: ModelEntry, settings: GatewaySettings,
                 payload: dict[str, Any] | None = None) -> None:
        self.provider, self.settings = entry.provider, settings
        self.payload = payload if payload is not None else upstream_request(body, entry, settings)
        provider = "openai" if settings.has("xlate-selfhosted-routed-to-openai") else entry.provider
        self.url = settings.upstreams[provider] + "/chat/completions"  # the defect: routed by the gpt- name
        self.key = settings.upstream_key(provider)  # the key of the provider the request goes to

    def call(self) -> NativeCall:
        headers = {"authorization": f"Bearer {self.key}"}
        return NativeCall(self.url, self.payload, headers)

    def completion(self, native: Any) -> dict[str, Any]:
        if not isinstance(native, dict) or not isinstance(native.get("choices"), list):
            raise provider_error(self.provider, "response is not a chat completion")
        content_filter_defect(native["choices"], self.settings)
        refusal_defect(native["choices"], self.settings)
        return native

    async def chunks(self, lines: AsyncIterator[str]) -> AsyncGenerator[dict[str, Any], None]:
        async for data in aiter_sse_data(lines):
            if data.strip() == DONE:
                return
            chunk = parse_chunk(data, self.provider)
            content_filter_defect(chunk.get("choices"), self.settings)
            refusal_defect(chunk.get("choices"), self.settings)
            yield chunk
        raise provider_error(self.provider, "stream ended before [DONE]")

    def upstream_status(self, status: int, body: Any) -> int:
        return mapped_status(status, self.settings)
