"""Mutable mock state: the request journal (every request received, in order) and the mock's settings."""

from __future__ import annotations

from dataclasses import dataclass, field

from aigw_conformance.mocks.core.journal import Journal, JournalEntry
from aigw_conformance.mocks.core.served import ServedModels
from aigw_conformance.mocks.gemini import wire

__all__ = ["Journal", "JournalEntry", "MockState"]


@dataclass
class MockState:
    """What one mock app instance holds: its settings (`models`: id -> `Model` resource; `models.strict`: refuse
    unlisted ones; `deterministic_ids`: ids (and `created`) derived from the request, for golden tests; else fresh per
    request) and its journal."""

    api_key: str | None
    models: ServedModels[wire.Model]
    strict: bool = True
    deterministic_ids: bool = False
    journal: Journal = field(default_factory=Journal)
