"""The model catalogue as a data table: each model's provider, capabilities and token limits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# 000 "Request Parameters": what the gateway understands; anything else is not forwarded ("unsupported
# parameters are silently ignored").
DOCUMENTED_PARAMETERS: frozenset[str] = frozenset({
    "model", "messages", "max_completion_tokens", "max_tokens", "temperature", "top_p", "top_k", "min_p", "n",
    "stop", "seed", "frequency_penalty", "presence_penalty", "repetition_penalty", "logprobs", "top_logprobs",
    "logit_bias", "user", "stream", "stream_options", "tools", "tool_choice", "parallel_tool_calls",
    "reasoning_effort", "service_tier", "response_format",
})

# 000 "Provider-Specific Parameter Support": parameters a provider lacks are silently dropped.
# Claude has no column in the table: it drops what the Messages API has no field for (n > 1, seed, logprobs,
# penalties, logit_bias, min_p, repetition_penalty, user, service_tier); see providers/anthropic.py.
UNSUPPORTED_PARAMETERS: dict[str, frozenset[str]] = {
    "openai": frozenset({"top_k", "min_p", "repetition_penalty"}),
    "threatwinds": frozenset(),
    "gemini": frozenset({
        "min_p", "n", "seed", "frequency_penalty", "presence_penalty", "repetition_penalty", "user", "logprobs",
        "top_logprobs", "logit_bias", "parallel_tool_calls", "response_format", "service_tier",
    }),
    "claude": frozenset({
        "min_p", "n", "seed", "frequency_penalty", "presence_penalty", "repetition_penalty", "user", "logprobs",
        "top_logprobs", "logit_bias", "service_tier",
    }),
}

# Which wire format each provider's upstream speaks; vLLM-style self-hosted servers speak OpenAI's.
WIRE_FORMATS: dict[str, str] = {"openai": "openai", "threatwinds": "openai", "gemini": "gemini",
                                "claude": "anthropic"}


@dataclass(frozen=True)
class ModelEntry:
    """One row of the catalogue; `upstream_model` is what the provider calls it, `snapshot` its dated name."""

    id: str
    provider: str
    owned_by: str
    created: int
    capabilities: tuple[str, ...]
    max_input_tokens: int
    max_completion_tokens: int
    max_total_tokens: int
    upstream_model: str
    snapshot: str
    encoding: str = "o200k_base"
    endpoint: str = "chat"  # the one API path it serves: "chat", "embeddings", "audio/transcriptions",
    #                         "audio/speech" (001: embedding and audio models use their dedicated endpoints)

    @property
    def default_completion_tokens(self) -> int:
        """000: max_completion_tokens "defaults to 50% of model max"."""
        return self.max_completion_tokens // 2

    def to_json(self, *, with_owned_by: bool = True, overstated: bool = False) -> dict[str, Any]:
        """The model record of GET /models; `overstated` (the capabilities-overstated defect) claims `chat` for a
        model served on another endpoint."""
        claimed = ("chat",) if overstated and self.endpoint != "chat" else ()
        body: dict[str, Any] = {
            "id": self.id,
            "object": "model",
            "created": self.created,
            "owned_by": self.owned_by,
            "provider": self.provider,
            "capabilities": [*claimed, *self.capabilities],
            "max_input_tokens": self.max_input_tokens,
            "max_completion_tokens": self.max_completion_tokens,
            "max_total_tokens": self.max_total_tokens,
        }
        if not with_owned_by:
            del body["owned_by"]
        return body


_GPT5_CAPABILITIES = ("chat", "text-generation", "code-generation", "tools-use", "reasoning", "image")
_GPT_OSS_CAPABILITIES = ("chat", "text-generation", "code-generation", "tools-use", "reasoning")
# 001 "Supported Providers": Gemini "Chat, tools-use, reasoning, vision"; Claude adds code-generation.
_GEMINI_CAPABILITIES = ("chat", "tools-use", "reasoning", "image")
_CLAUDE_CAPABILITIES = ("chat", "code-generation", "tools-use", "reasoning", "image")

CATALOGUE: tuple[ModelEntry, ...] = (
    ModelEntry("gpt-5", "openai", "openai", 1_754_425_777, _GPT5_CAPABILITIES,
               272_000, 128_000, 400_000, "gpt-5", "gpt-5-2025-08-07"),
    ModelEntry("gpt-5-mini", "openai", "openai", 1_754_425_928, _GPT5_CAPABILITIES,
               272_000, 128_000, 400_000, "gpt-5-mini", "gpt-5-mini-2025-08-07"),
    # Self-hosted (001: "reported under the single threatwinds provider ID"; owned_by names the maintainer).
    ModelEntry("gpt-oss-20b", "threatwinds", "OpenAI", 1_754_352_000, _GPT_OSS_CAPABILITIES,
               98_304, 32_768, 131_072, "gpt-oss-20b", "openai/gpt-oss-20b"),
    # Gemini 3: a 1,048,576-token input window and 65,536 output tokens.
    ModelEntry("gemini-3-pro", "gemini", "google", 1_763_424_000, _GEMINI_CAPABILITIES,
               1_048_576, 65_536, 1_114_112, "gemini-3-pro", "gemini-3-pro-preview"),
    ModelEntry("gemini-3-flash", "gemini", "google", 1_765_929_600, _GEMINI_CAPABILITIES,
               1_048_576, 65_536, 1_114_112, "gemini-3-flash", "gemini-3-flash-preview"),
    # Claude 4.5: a 200,000-token context window of which up to 64,000 output tokens.
    ModelEntry("claude-sonnet-4-5", "claude", "anthropic", 1_759_104_000, _CLAUDE_CAPABILITIES,
               136_000, 64_000, 200_000, "claude-sonnet-4-5", "claude-sonnet-4-5-20250929"),
    ModelEntry("claude-haiku-4-5", "claude", "anthropic", 1_760_486_400, _CLAUDE_CAPABILITIES,
               136_000, 64_000, 200_000, "claude-haiku-4-5", "claude-haiku-4-5-20251001"),
    # Embedding and audio models (000: "use their dedicated endpoints (/embeddings, /audio/*) and do not support
    # /chat/completions"). Embeddings and speech take input only (max_completion_tokens 0); Whisper's decoder
    # has a 448-token context of which the prompt may use half.
    ModelEntry("text-embedding-3-small", "openai", "openai", 1_705_948_997, ("embeddings",),
               8_192, 0, 8_192, "text-embedding-3-small", "text-embedding-3-small", "cl100k_base", "embeddings"),
    ModelEntry("qwen3-embedding-8b", "threatwinds", "Alibaba", 1_749_168_000, ("embeddings",),
               32_768, 0, 32_768, "qwen3-embedding-8b", "Qwen/Qwen3-Embedding-8B", endpoint="embeddings"),
    ModelEntry("whisper-1", "openai", "openai", 1_677_532_384, ("transcription",),
               224, 224, 448, "whisper-1", "whisper-1", endpoint="audio/transcriptions"),
    ModelEntry("whisper-large-v3", "threatwinds", "OpenAI", 1_699_401_600, ("transcription",),
               224, 224, 448, "whisper-large-v3", "openai/whisper-large-v3", endpoint="audio/transcriptions"),
    ModelEntry("tts-1", "openai", "openai", 1_681_940_951, ("speech",),
               4_096, 0, 4_096, "tts-1", "tts-1", endpoint="audio/speech"),
    ModelEntry("kokoro-82m", "threatwinds", "Hexgrad", 1_735_689_600, ("speech",),
               512, 0, 512, "kokoro-82m", "hexgrad/Kokoro-82M", endpoint="audio/speech"),
)


def available(upstreams: dict[str, str]) -> tuple[ModelEntry, ...]:
    """The catalogue rows whose provider has an upstream configured, in catalogue order."""
    return tuple(entry for entry in CATALOGUE if entry.provider in upstreams)


def find(model_id: str, upstreams: dict[str, str]) -> ModelEntry | None:
    return next((entry for entry in available(upstreams) if entry.id == model_id), None)
