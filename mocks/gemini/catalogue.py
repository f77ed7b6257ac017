"""The models the Gemini mock serves, in Gemini's `Model` shape, and which methods each supports."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from aigw_conformance.mocks.core.served import ModelOption, ServedModels
from aigw_conformance.mocks.gemini import wire

_CHAT_METHODS = ["generateContent", "countTokens", "createCachedContent", "batchGenerateContent"]
_EMBED_METHODS = ["embedContent", "countTextTokens", "countTokens", "asyncBatchEmbedContent"]
IMPLIED: Mapping[str, str] = {"streamGenerateContent": "generateContent", "batchEmbedContents": "embedContent"}
"""Methods Google serves without listing them in `supportedGenerationMethods`, and the listed one they need."""


DEFAULT_INPUT_LIMIT, DEFAULT_OUTPUT_LIMIT = 1_048_576, 65_536
"""An unlisted model's token limits: Gemini 2.5 and 3's (a 1,048,576-token input window, 65,536 output tokens)."""


def chat_model(model_id: str, display_name: str, description: str) -> wire.Model:
    return {
        "name": f"models/{model_id}", "version": "3.0", "displayName": display_name, "description": description,
        "inputTokenLimit": DEFAULT_INPUT_LIMIT, "outputTokenLimit": DEFAULT_OUTPUT_LIMIT,
        "supportedGenerationMethods": list(_CHAT_METHODS),
        "temperature": 1, "topP": 0.95, "topK": 64, "maxTemperature": 2, "thinking": True,
    }


def embedding_model(model_id: str, display_name: str) -> wire.Model:
    return {
        "name": f"models/{model_id}", "version": "001", "displayName": display_name,
        "description": "Obtain a distributed representation of a text.", "inputTokenLimit": 2048,
        "outputTokenLimit": 1, "supportedGenerationMethods": list(_EMBED_METHODS),
    }


MODELS: Mapping[str, wire.Model] = {
    "gemini-3-pro": chat_model("gemini-3-pro", "Gemini 3 Pro", "Gemini 3 Pro (mock)"),
    "gemini-3-flash": chat_model("gemini-3-flash", "Gemini 3 Flash", "Gemini 3 Flash (mock)"),
    "gemini-embedding-001": embedding_model("gemini-embedding-001", "Gemini Embedding 001"),
}
"""Model id (without `models/`) -> its `Model` resource, served by default."""


def lookup(model_id: str) -> wire.Model:
    """The catalogue entry, or else an embedding model when the id says `embedding` (`text-embedding-004`), a
    chat model otherwise (so a mock can serve any name it is told to)."""
    if model_id in MODELS:
        return MODELS[model_id]
    return embedding_model(model_id, model_id) if "embedding" in model_id else chat_model(
        model_id, model_id, f"{model_id} (mock)")


def served(models: Iterable[str | ModelOption] | None, *, strict: bool) -> ServedModels[wire.Model]:
    """The models listed (None: `MODELS`; a `NAME:max_tokens` option sets its `outputTokenLimit`); any other
    name is served as a chat model (`lookup`) unless `strict`."""
    listed: dict[str, wire.Model] = {}
    for item in MODELS if models is None else models:
        option = item if isinstance(item, ModelOption) else ModelOption(item)
        model = lookup(option.name)
        listed[option.name] = model if option.max_tokens is None else {**model, "outputTokenLimit": option.max_tokens}
    return ServedModels(listed, lookup, strict=strict)


def supports(model: wire.Model, method: str) -> bool:
    return IMPLIED.get(method, method) in model.get("supportedGenerationMethods", [])
