"""Mutable mock state: the served models, the optional API key, and the request journal."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from aigw_conformance.mocks.core.journal import Journal, JournalEntry
from aigw_conformance.mocks.core.served import ServedModels
from aigw_conformance.mocks.selfhosted.catalogue import ServedModel

__all__ = ["Journal", "JournalEntry", "MockState"]


@dataclass
class MockState:
    """`api_key` None: no authentication (vLLM without `--api-key`); `owned_by`: what `/v1/models` reports,
    vLLM's own "vllm" or each model's maintainer; `models.strict`: refuse unlisted models, as vLLM does;
    `deterministic_ids`: ids (and `created`) derived from the request, for golden tests; else fresh per request."""

    api_key: str | None
    models: ServedModels[ServedModel]
    owned_by: Literal["vllm", "maintainer"] = "vllm"
    deterministic_ids: bool = False
    journal: Journal = field(default_factory=Journal)
