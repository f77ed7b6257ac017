"""Mutable mock state: the mock's settings and its request journal (a `mocks.core.journal.Journal`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from aigw_conformance.mocks.core.journal import Journal, JournalEntry

__all__ = ["Journal", "JournalEntry", "MockState"]


@dataclass
class MockState:
    """What one mock app instance holds: its settings and its journal."""

    api_key: str | None
    models: dict[str, int]
    strict: bool = True
    expose_reasoning: bool = False
    journal: Journal = field(default_factory=Journal)
