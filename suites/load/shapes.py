"""Load shapes: an open-loop constant-rate pacer that records lateness, and fixed concurrency (closed loop)."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from typing import Protocol


class Shape(Protocol):
    """`wait()` blocks until this user may send its next request; it returns the start lag in ms or None."""

    @property
    def name(self) -> str: ...

    def wait(self) -> float | None: ...


class FixedConcurrency:
    """Closed loop: each of the N users sends its next request as soon as the previous one ends."""

    name = "fixed-concurrency"

    def wait(self) -> float | None:
        return None


class OpenLoop:
    """Open loop at `rate` requests/s for this process: request i is due at start + phase + i / rate,
    whether or not earlier requests have finished. The users are the pool that serves the schedule: when
    all are busy a due request starts late, and `wait()` returns by how much (coordinated omission shows
    up as lag instead of being hidden). The schedule starts at the first `wait()`."""

    name = "open-loop"

    def __init__(
        self,
        rate: float,
        *,
        phase_s: float = 0.0,
        clock: Callable[[], float] = time.perf_counter,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be positive, got {rate}")
        self.rate, self.phase_s = rate, phase_s
        self._clock, self._sleep = clock, sleep
        self._slots = itertools.count()
        self._start: float | None = None

    def due(self, slot: int) -> float:
        if self._start is None:
            self._start = self._clock()
        return self._start + self.phase_s + slot / self.rate

    def wait(self) -> float | None:
        due = self.due(next(self._slots))
        delay = due - self._clock()
        if delay > 0:
            self._sleep(delay)
        return max(0.0, (self._clock() - due) * 1000)


def for_process(rate: float | None, *, workers: int = 1, worker_index: int = 0) -> Shape:
    """The shape one locust process runs: the total `rate` is split evenly over `workers`, each worker's
    schedule offset by its index so the workers' requests interleave; no rate means fixed concurrency."""
    if not rate:
        return FixedConcurrency()
    workers = max(1, workers)
    return OpenLoop(rate / workers, phase_s=max(0, worker_index) / rate)
