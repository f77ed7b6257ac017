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


class Paced:
    """A schedule of due times: request i is due at the start (the first `wait()`) plus `offset_s(i)`, whether or
    not earlier requests have finished. When every user is busy a due request starts late, and `wait()` returns by
    how much in ms (coordinated omission shows up as lag instead of being hidden)."""

    def __init__(self, *, clock: Callable[[], float] = time.perf_counter,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._clock, self._sleep = clock, sleep
        self._slots = itertools.count()
        self._start: float | None = None

    def offset_s(self, slot: int) -> float:
        raise NotImplementedError

    def due(self, slot: int) -> float:
        if self._start is None:
            self._start = self._clock()
        return self._start + self.offset_s(slot)

    def wait(self) -> float | None:
        due = self.due(next(self._slots))
        delay = due - self._clock()
        if delay > 0:
            self._sleep(delay)
        return max(0.0, (self._clock() - due) * 1000)


class OpenLoop(Paced):
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
        super().__init__(clock=clock, sleep=sleep)
        self.rate, self.phase_s = rate, phase_s

    def offset_s(self, slot: int) -> float:
        return self.phase_s + slot / self.rate


def for_process(rate: float | None, *, workers: int = 1, worker_index: int = 0) -> Shape:
    """The shape one locust process runs: the total `rate` is split evenly over `workers`, each worker's
    schedule offset by its index so the workers' requests interleave; no rate means fixed concurrency."""
    if not rate:
        return FixedConcurrency()
    workers = max(1, workers)
    return OpenLoop(rate / workers, phase_s=max(0, worker_index) / rate)
