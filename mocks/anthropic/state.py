"""Mutable mock state: the model catalogue, the accepted key and the request journal (`mocks.core.journal`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from aigw_conformance.mocks.anthropic import wire
from aigw_conformance.mocks.core.journal import Journal, JournalEntry
from aigw_conformance.mocks.core.served import ModelOption, ServedModels

__all__ = ["MODELS", "Journal", "JournalEntry", "MockState", "ModelSpec"]

DEFAULT_CREATED_AT = "2025-01-01T00:00:00Z"
DEFAULT_MAX_OUTPUT = 64_000
"""An unlisted model's largest `max_tokens`: the Claude 4.5 models' output limit."""


@dataclass(frozen=True)
class ModelSpec:
    """A served model: its listing and the largest `max_tokens` it accepts."""

    id: str
    display_name: str
    created_at: str = DEFAULT_CREATED_AT
    max_output_tokens: int = DEFAULT_MAX_OUTPUT

    def info(self) -> wire.ModelInfo:
        return wire.model_info(self.id, self.display_name, self.created_at)


MODELS: tuple[ModelSpec, ...] = (
    ModelSpec("claude-haiku-4-5", "Claude Haiku 4.5", "2025-10-15T00:00:00Z", 64_000),
    ModelSpec("claude-sonnet-4-5", "Claude Sonnet 4.5", "2025-09-29T00:00:00Z", 64_000),
    ModelSpec("claude-opus-4-1", "Claude Opus 4.1", "2025-08-05T00:00:00Z", 32_000),
)
"""The models served by default, newest first (the order `GET /v1/models` lists them in)."""


def served(models: Iterable[str | ModelOption | ModelSpec] | None, *, strict: bool) -> ServedModels[ModelSpec]:
    """The models listed: ids (a catalogue id keeps its listing), `--model NAME[:max_tokens]` options or
    `ModelSpec`s (None: `MODELS`); any other name is served as `ModelSpec(name, name)` unless `strict`."""
    catalogue = {spec.id: spec for spec in MODELS}
    listed: dict[str, ModelSpec] = {}
    for item in MODELS if models is None else models:
        if isinstance(item, ModelSpec):
            spec = item
        else:
            option = item if isinstance(item, ModelOption) else ModelOption(item)
            spec = catalogue.get(option.name, ModelSpec(option.name, option.name))
            if option.max_tokens is not None:
                spec = replace(spec, max_output_tokens=option.max_tokens)
        listed[spec.id] = spec
    return ServedModels(listed, lambda name: ModelSpec(name, name), strict=strict)


@dataclass
class MockState:
    """What one mock app instance holds: its settings and its journal (`models.strict`: refuse unlisted ones;
    `reasoning_limits`: the Claude 4.5 models refuse `temperature` with `top_p`, as Anthropic's do;
    `deterministic_ids`: ids (and `created`) derived from the request, for golden tests; else fresh per request)."""

    api_key: str | None
    models: ServedModels[ModelSpec]
    strict: bool = True
    reasoning_limits: bool = True
    deterministic_ids: bool = False
    journal: Journal = field(default_factory=Journal)
