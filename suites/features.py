"""The fixed list of features a target can declare, grouped into profiles."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Feature(StrEnum):
    """One capability of a gateway; a target declares which it supports."""

    # AI API (/api/ai/v1), 000_3222256926808af7.txt and 001_eb78a9cb4e331ac7.txt
    MODELS = "models"
    CHAT = "chat"
    CHAT_STREAMING = "chat-streaming"
    SEED_DETERMINISM = "seed-determinism"  # 000 "seed: Seed for deterministic sampling" (not every provider)
    STREAM_USAGE = "stream-usage"
    PARAMETER_VALIDATION = "parameter-validation"
    ERROR_HEADERS = "error-headers"
    BEARER_AUTH = "bearer-auth"
    API_KEY_AUTH = "api-key-auth"
    PERMISSIONS = "permissions"  # 000/001 "403 Forbidden": restricted credentials ([auth.restricted...])
    SCHEMA_FUZZING = "schema-fuzzing"
    TOOLS = "tools"
    STRUCTURED_OUTPUT = "structured-output"
    REASONING = "reasoning"
    VISION = "vision"
    TOKEN_COUNTING = "token-counting"
    EMBEDDINGS = "embeddings"
    AUDIO = "audio"
    AUDIO_INPUT = "audio-input"  # 001 "Multimodal - Support for text, images, and audio inputs"
    VOICES = "voices"
    DATA_STORE = "data-store"
    SDK_PROBES = "sdk-probes"  # the official openai Python SDK parses every answer (001: "Drop-in replacement")
    # The gateway runs over our mock providers ([upstream] in the target file): the suite may read their journals
    # (what the gateway sent upstream) and script them (a provider 500, a content-filter finish).
    UPSTREAM_JOURNAL = "upstream-journal"
    UPSTREAM_FAULTS = "upstream-faults"
    # Client gateway (/api/client/v1), 002_74466ddf28ce3d71.txt
    CLIENT_CHAT = "client-chat"
    CLIENT_STREAMING = "client-streaming"
    CLIENT_REQUEST_ID = "client-request-id"
    GUARDRAILS = "guardrails"
    CLIENT_ERRORS = "client-errors"


@dataclass(frozen=True)
class Profile:
    name: str
    api: str  # "ai" or "client": which base URL the profile needs
    description: str
    features: tuple[Feature, ...]


PROFILES: tuple[Profile, ...] = (
    Profile("ai-core", "ai", "models catalogue and non-streaming chat completions",
            (Feature.MODELS, Feature.CHAT, Feature.SEED_DETERMINISM)),
    Profile("ai-streaming", "ai", "SSE streaming of chat completions",
            (Feature.CHAT_STREAMING, Feature.STREAM_USAGE)),
    Profile("ai-validation", "ai", "documented parameter ranges and the error contract",
            (Feature.PARAMETER_VALIDATION, Feature.ERROR_HEADERS)),
    Profile("ai-auth", "ai", "bearer and api-key/api-secret authentication, 403 for restricted credentials",
            (Feature.BEARER_AUTH, Feature.API_KEY_AUTH, Feature.PERMISSIONS)),
    Profile("ai-schema", "ai", "schemathesis fuzzing of every implemented operation against the spec",
            (Feature.SCHEMA_FUZZING,)),
    Profile("ai-sdk", "ai", "the official openai Python SDK parses models, completions, streams, tool calls, "
            "structured output and typed errors", (Feature.SDK_PROBES,)),
    Profile("ai-extended", "ai", "tools, structured output, reasoning, vision, counting, embeddings, audio, "
            "audio input, voices, data store", (Feature.TOOLS, Feature.STRUCTURED_OUTPUT, Feature.REASONING,
                                                Feature.VISION, Feature.TOKEN_COUNTING, Feature.EMBEDDINGS,
                                                Feature.AUDIO, Feature.AUDIO_INPUT, Feature.VOICES,
                                                Feature.DATA_STORE)),
    Profile("ai-translation", "ai", "what the gateway sends each provider (the mock providers' request journals) "
            "and how it maps provider failures and content-filter finishes", (Feature.UPSTREAM_JOURNAL,
                                                                              Feature.UPSTREAM_FAULTS)),
    Profile("client-core", "client", "the client gateway's chat completions, request ids, guardrails, errors",
            (Feature.CLIENT_CHAT, Feature.CLIENT_STREAMING, Feature.CLIENT_REQUEST_ID, Feature.GUARDRAILS,
             Feature.CLIENT_ERRORS)),
)


def profile_of(feature: Feature) -> Profile:
    for profile in PROFILES:
        if feature in profile.features:
            return profile
    raise KeyError(feature)
