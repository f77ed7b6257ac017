"""The deep fuzzing run's bounds (`[fuzz.deep]` in a target file, `aigw check --deep-*` flags)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DEFAULT_REQUESTS = 10_000


@dataclass(frozen=True)
class DeepOptions:
    """How far `aigw check --deep` drives schemathesis: it sends generated requests, round after round over every
    operation and mode, until `requests` have been sent; it never sends more than `max_requests` nor runs longer
    than `budget_s`. Falling short of `requests` (budget spent, every operation exhausted) fails the run."""

    requests: int = DEFAULT_REQUESTS  # the goal: at least this many generated requests
    max_requests: int = 12_000  # the cap: the round that reaches the goal is finished, up to this many
    budget_s: float = 900.0  # wall-clock budget of the deep run (the regular tests are not counted)
    batch: int = 40  # examples asked of each operation and mode per round (a share for small operations)
    seed: int = 0  # the first round's hypothesis seed; round N uses seed + N, so a run can be repeated

    def __post_init__(self) -> None:
        if min(self.requests, self.max_requests, self.batch) < 1 or not 0 < self.budget_s < float("inf"):
            raise ValueError("deep fuzzing needs positive requests, max_requests, batch and budget_s, got "
                             f"{self.requests}, {self.max_requests}, {self.batch}, {self.budget_s}")
        if self.max_requests < self.requests:
            raise ValueError(f"deep fuzzing: max_requests ({self.max_requests}) is below the goal of "
                             f"requests ({self.requests})")


def deep_options(table: Any, where: str) -> DeepOptions:
    """`[fuzz.deep]` as DeepOptions (defaults for missing keys); ValueError naming the bad key or value."""
    if not isinstance(table, dict):
        raise ValueError(f"{where}: [fuzz.deep] must be a table")
    known = set(DeepOptions.__dataclass_fields__)
    if unknown := sorted(set(table) - known):
        raise ValueError(f"{where}: [fuzz.deep] has unknown keys {unknown}; known: {sorted(known)}")
    for key, value in table.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or (key != "budget_s" and
                                                                             not isinstance(value, int)):
            raise ValueError(f"{where}: [fuzz.deep] {key} must be a number, got {value!r}")
    try:
        values: dict[str, Any] = {key: float(value) if key == "budget_s" else value for key, value in table.items()}
        return DeepOptions(**values)
    except ValueError as error:
        raise ValueError(f"{where}: {error}") from None
