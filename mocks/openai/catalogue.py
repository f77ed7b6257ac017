"""The OpenAI mock's models: the listed ones with their output limits, and the default for any other name."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from aigw_conformance.mocks.core.served import ModelOption, ServedModels
from aigw_conformance.mocks.openai.audio import STT_MODELS, TTS_MODELS, SttModel
from aigw_conformance.mocks.openai.embeddings import MODELS as EMBEDDING_MODELS
from aigw_conformance.mocks.openai.embeddings import EmbeddingModel

DEFAULT_CREATED = 1_735_689_600  # 2025-01-01T00:00:00Z
DEFAULT_MAX_OUTPUT = 128_000
"""An unlisted model's `max_completion_tokens` ceiling: the GPT-5 family's (the largest of OpenAI's chat models)."""


@dataclass(frozen=True)
class ModelSpec:
    """A served model: the `created` of its listing and the largest completion it accepts."""

    created: int = DEFAULT_CREATED
    max_output_tokens: int = DEFAULT_MAX_OUTPUT


MODELS: Mapping[str, ModelSpec] = {
    "gpt-5": ModelSpec(1_754_425_777, 128_000),
    "gpt-5-mini": ModelSpec(1_754_425_928, 128_000),
    "gpt-4o": ModelSpec(1_715_367_049, 16_384),
    "gpt-4o-mini": ModelSpec(1_721_172_741, 16_384),
    "gpt-oss-20b": ModelSpec(1_754_352_000, 131_072),
}
"""The models listed by default (`GET /v1/models`)."""


def served(models: Iterable[str | ModelOption] | Mapping[str, int] | None, *, strict: bool) -> ServedModels[ModelSpec]:
    """The mock's models: `models` lists ids (a catalogue id keeps its listing), `ModelOption`s (`--model
    NAME[:max_tokens]`) or id -> `created`; None lists `MODELS`. Any other name is served with the defaults
    unless `strict`."""
    listed: dict[str, ModelSpec] = {}
    if models is None:
        listed = dict(MODELS)
    elif isinstance(models, Mapping):
        listed = {m: ModelSpec(created, MODELS.get(m, ModelSpec()).max_output_tokens) for m, created in models.items()}
    else:
        for item in models:
            option = item if isinstance(item, ModelOption) else ModelOption(item)
            known = MODELS.get(option.name, ModelSpec())
            listed[option.name] = ModelSpec(known.created, option.max_tokens or known.max_output_tokens)
    return ServedModels(listed, lambda _: ModelSpec(), strict=strict)


DEFAULT_EMBEDDING = EmbeddingModel(1536)
DEFAULT_TRANSCRIPTION = SttModel("duration", ("json", "text", "srt", "verbose_json", "vtt"))
"""An unlisted embedding model is text-embedding-3-small's size; an unlisted transcription model is whisper-1's."""


def embedding_models(*, strict: bool) -> ServedModels[EmbeddingModel]:
    return ServedModels(EMBEDDING_MODELS, lambda _: DEFAULT_EMBEDDING, strict=strict)


def speech_models(*, strict: bool) -> ServedModels[str]:
    return ServedModels({model: model for model in TTS_MODELS}, lambda name: name, strict=strict)


def transcription_models(*, strict: bool) -> ServedModels[SttModel]:
    return ServedModels(STT_MODELS, lambda _: DEFAULT_TRANSCRIPTION, strict=strict)
