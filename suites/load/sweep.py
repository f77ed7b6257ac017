"""The sweep: a synchronous baseline, a saturation run, then open-loop rates between them (spaced or bisected)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

SYNCHRONOUS, THROUGHPUT, RATE = "synchronous", "throughput", "rate"
GROWTH = 1.5
"""A search whose every rate passed tries the highest times this next; one whose every rate failed, the lowest
divided by it."""
START_UP_S = 4.0
"""What one locust run costs beyond its --duration (start, stop timeout, summary), for the time budget."""


@dataclass(frozen=True)
class Step:
    """One run: `synchronous` (one user, back to back), `throughput` (`users` back to back: the saturation
    run) or `rate` (open loop at `rate` requests/s, at most `users` in flight)."""

    kind: str
    users: int
    rate: float = 0.0

    @property
    def name(self) -> str:
        return f"rate-{self.rate:g}" if self.kind == RATE else self.kind


@dataclass(frozen=True)
class Point:
    """A finished run: its summary (as `aigw load` writes it) and every threshold it broke."""

    step: Step
    summary: dict[str, Any]
    breaches: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.breaches

    @property
    def offered(self) -> float:
        """The offered rate: the open-loop target, else what the closed loop achieved: its rate of starts, or
        with a single request, requests over the run's span (0 if unknown)."""
        if self.step.rate:
            return self.step.rate
        achieved, span = self.summary.get("achieved_rate"), self.summary.get("duration_s")
        return float(achieved or (self.summary.get("requests", 0) / span if span else 0.0))


def verdict(summary: dict[str, Any]) -> tuple[str, ...]:
    """Every threshold a run broke: the SLO file's breaches and the error-rate gate's."""
    if not summary.get("requests"):
        return ("no request was recorded",)
    found = list(summary.get("slo", {}).get("breaches", []))
    gate = summary.get("error_gate") or {}
    if gate and not gate.get("passed", True):
        found.append(str(gate["breach"]))
    return tuple(found)


def spaced(low: float, high: float, count: int) -> list[float]:
    """`count` rates evenly spaced above `low` up to and including `high` (GuideLLM's sweep spacing: the
    synchronous and saturation rates are the ends). When `high` is not above `low` (more requests in flight
    served fewer per second: a target short of CPU), they are spaced from 0 up to `high` instead."""
    if count < 1 or high <= 0:
        return []
    bottom = low if high > low else 0.0
    return [round(bottom + (high - bottom) * k / count, 2) for k in range(1, count + 1)]


def bisect_next(points: list[Point], high: float, resolution: float) -> float | None:
    """The next rate of a search for the limit: `high` (the saturation run's rate) first; while every rate
    passed, the highest times `GROWTH`; while every rate failed, the lowest divided by it; then the midpoint
    between the highest passing rate and the lowest failing rate above it, until they are within `resolution`
    (a share of the failing rate) of each other; None when done."""
    rates = [p for p in points if p.step.kind == RATE]
    if not rates:
        return round(high, 2)
    passing = max((p.offered for p in rates if p.passed), default=None)
    failing = min((p.offered for p in rates if not p.passed and (passing is None or p.offered > passing)),
                  default=None)
    if failing is None:
        return round(max(p.offered for p in rates) * GROWTH, 2)
    if passing is None:
        return round(failing / GROWTH, 2)
    if failing - passing <= resolution * failing:
        return None
    return round((passing + failing) / 2, 2)


def max_sustainable(points: list[Point]) -> Point | None:
    """The open-loop run with the highest offered rate that met every threshold."""
    passed = [p for p in points if p.step.kind == RATE and p.passed]
    return max(passed, key=lambda p: p.offered, default=None)


@dataclass(frozen=True)
class Plan:
    """How a sweep runs: `rates` open-loop runs (spaced, or at most that many with `search`), `users` for the
    saturation run and as the open loop's in-flight cap, and a total time budget."""

    rates: int = 4
    users: int = 32
    search: bool = False
    resolution: float = 0.1
    duration_s: float = 5.0
    budget_s: float = 150.0


@dataclass
class Sweep:
    """Runs the plan with `execute` (a step in, its summary out) and keeps every finished run in `points`."""

    plan: Plan
    execute: Callable[[Step], dict[str, Any]]
    clock: Callable[[], float] = time.monotonic
    points: list[Point] = field(default_factory=list)
    stopped: str = ""

    def _step(self, step: Step) -> Point:
        summary = self.execute(step)
        point = Point(step, summary, verdict(summary))
        self.points.append(point)
        return point

    def _within_budget(self, start: float) -> bool:
        if self.clock() - start + self.plan.duration_s + START_UP_S <= self.plan.budget_s:
            return True
        self.stopped = f"the time budget ({self.plan.budget_s:g} s) would be exceeded by another run"
        return False

    def run(self) -> Point | None:
        """The runs, then the max sustainable rate's run (None: no open-loop run met every threshold)."""
        start = self.clock()
        low = self._step(Step(SYNCHRONOUS, 1)).offered
        high = self._step(Step(THROUGHPUT, self.plan.users)).offered
        if low <= 0 or high <= 0:
            self.stopped = "the synchronous or the saturation run achieved no rate"
            return None
        queue = [] if self.plan.search else spaced(low, high, self.plan.rates)
        for _ in range(self.plan.rates):
            rate = queue.pop(0) if queue else None
            if self.plan.search:
                rate = bisect_next(self.points, high, self.plan.resolution)
            if rate is None or not self._within_budget(start):
                break
            self._step(Step(RATE, self.plan.users, rate))
        return max_sustainable(self.points)
