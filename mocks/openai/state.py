"""Mutable mock state: the mock's settings and its request journal (a `mocks.core.journal.Journal`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from aigw_conformance.mocks.core.journal import Journal, JournalEntry
from aigw_conformance.mocks.core.served import ServedModels
from aigw_conformance.mocks.openai.catalogue import ModelSpec

__all__ = ["Journal", "JournalEntry", "MockState"]


@dataclass
class MockState:
    """What one mock app instance holds: its settings and its journal. `models.strict` refuses unlisted models;
    `reasoning_limits`: OpenAI's reasoning models refuse `stop`, `logprobs`, `top_p` and `temperature` != 1;
    `deterministic_ids`: ids (and `created`) derived from the request, for golden tests; else fresh per request."""

    api_key: str | None
    models: ServedModels[ModelSpec]
    strict: bool = True
    expose_reasoning: bool = False
    reasoning_limits: bool = True
    deterministic_ids: bool = False
    journal: Journal = field(default_factory=Journal)
