"""The models the self-hosted mock serves: what vLLM was started with, and who maintains each model."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Literal

from aigw_conformance.mocks.core.served import ModelOption, ServedModels
from aigw_conformance.mocks.openai.audio import SttModel
from aigw_conformance.mocks.openai.embeddings import EmbeddingModel

Kind = Literal["chat", "embedding", "transcription", "speech"]
API_NAMES: Mapping[Kind, str] = {
    "chat": "Chat Completions", "embedding": "Embeddings", "transcription": "Transcriptions", "speech": "Speech",
}
ENCODING = "o200k_base"
"""The mock counts every model's tokens in o200k_base (it has no Qwen or Whisper tokenizer)."""


@dataclass(frozen=True)
class ServedModel:
    """`id` is vLLM's `--served-model-name`, `root` the checkpoint it loaded; `maintainer` is the documents'
    `owned_by` (001: "Alibaba for Qwen3, ThreatWinds for Silas, OpenAI for Whisper"); vLLM itself says "vllm"."""

    id: str
    root: str
    maintainer: str
    kind: Kind
    max_model_len: int
    created: int = 1_735_689_600
    dimensions: int = 0


MODELS: tuple[ServedModel, ...] = (
    ServedModel("qwen3-32b", "Qwen/Qwen3-32B", "Alibaba", "chat", 40_960, 1_745_884_800),
    ServedModel("silas-1", "threatwinds/silas-1", "ThreatWinds", "chat", 32_768, 1_748_736_000),
    ServedModel("gpt-oss-20b", "openai/gpt-oss-20b", "OpenAI", "chat", 131_072, 1_754_352_000),
    ServedModel("qwen3-embedding-8b", "Qwen/Qwen3-Embedding-8B", "Alibaba", "embedding", 32_768, 1_749_168_000,
                dimensions=4096),
    ServedModel("whisper-large-v3", "openai/whisper-large-v3", "OpenAI", "transcription", 448, 1_699_401_600),
    ServedModel("kokoro-82m", "hexgrad/Kokoro-82M", "Hexgrad", "speech", 512, 1_735_689_600),
)


DEFAULT_MAX_MODEL_LEN = 32_768
DEFAULT_DIMENSIONS = 1024
"""An unlisted model's context length and (embedding models) native dimensions."""


def unlisted(model_id: str, kind: Kind = "chat") -> ServedModel:
    """A model the server was not started with, served as `kind` (the endpoint it was asked on)."""
    return ServedModel(model_id, model_id, "unknown", kind, DEFAULT_MAX_MODEL_LEN,
                       dimensions=DEFAULT_DIMENSIONS if kind == "embedding" else 0)


def served(models: Iterable[str | ModelOption] | None, *, strict: bool) -> ServedModels[ServedModel]:
    """The models listed (None: all of `MODELS`; a listed id keeps its entry, any other is a chat model;
    `NAME:max_tokens` sets its `max_model_len`); any other name is served (`unlisted`) unless `strict`."""
    catalogue = {m.id: m for m in MODELS}
    listed: dict[str, ServedModel] = {}
    for item in catalogue if models is None else models:
        option = item if isinstance(item, ModelOption) else ModelOption(item)
        model = catalogue.get(option.name) or unlisted(option.name)
        listed[model.id] = model if option.max_tokens is None else replace(model, max_model_len=option.max_tokens)
    return ServedModels(listed, unlisted, strict=strict)


def of_kind(models: Mapping[str, ServedModel], kind: Kind) -> list[ServedModel]:
    return [m for m in models.values() if m.kind == kind]


def embedding_models(models: Mapping[str, ServedModel]) -> dict[str, EmbeddingModel]:
    """Matryoshka embeddings: `dimensions` up to the native size is honoured (truncate and renormalise)."""
    return {
        m.id: EmbeddingModel(m.dimensions, encoding=ENCODING, max_input_tokens=m.max_model_len)
        for m in of_kind(models, "embedding")
    }


def transcription_models(models: Mapping[str, ServedModel]) -> dict[str, SttModel]:
    return {m.id: SttModel("duration", ("json", "text", "srt", "verbose_json", "vtt"))
            for m in of_kind(models, "transcription")}
