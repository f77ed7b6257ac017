"""Apply a chaos scenario's schedule to the mock providers' control endpoints while the load runs."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from aigw_conformance.suites.load.chaos_scenario import Scenario
from aigw_conformance.suites.load.samples import find_files

CONTROL = "/__mock__"
POLL_S = 0.05
WARM_UP_S = 1.0  # after the load's first request, before the schedule's time 0


class MockControl:
    """One provider mock's `/__mock__` endpoints: its fault rules and the number of requests it received."""

    def __init__(self, root: str, client: httpx.Client) -> None:
        self.root, self.client = root.rstrip("/"), client
        self.seen = 0  # the last journal sequence number counted
        self.received = 0  # requests journaled since the first `count`

    def clear(self) -> None:
        self.client.delete(f"{self.root}{CONTROL}/faults").raise_for_status()

    def add(self, rule: Mapping[str, Any]) -> None:
        reply = self.client.post(f"{self.root}{CONTROL}/faults", json=dict(rule))
        if reply.status_code != 201:
            raise ValueError(f"{self.root} refused the fault rule {json.dumps(rule)}: {reply.text[:300]}")

    def count(self) -> int:
        """Requests received so far (from the journal, read only past the last entry already counted)."""
        reply = self.client.get(f"{self.root}{CONTROL}/journal", params={"since": self.seen})
        reply.raise_for_status()
        entries = reply.json().get("data", [])
        if entries:
            self.seen = max(int(entry["seq"]) for entry in entries)
        self.received += len(entries)
        return self.received


@dataclass
class Timeline:
    """When each phase's faults were actually in place (epoch seconds) and the upstream counts at each switch."""

    started_at: float | None = None
    switches: list[float] = field(default_factory=list)  # phase i began at switches[i]; the last entry is the end
    upstream: list[int] = field(default_factory=list)  # requests the journaled mocks had received at each switch
    problem: str | None = None

    def window(self, index: int) -> tuple[float, float]:
        return self.switches[index], self.switches[index + 1]

    def to_json(self) -> dict[str, Any]:
        return {"started_at": self.started_at, "switches": self.switches, "upstream": self.upstream,
                "problem": self.problem}


def first_start(directory: str, run_id: str) -> float | None:
    """The start time of the first request recorded by any locust process of the run, if one is recorded yet."""
    for path in find_files([directory], run_id):
        with path.open(encoding="utf-8") as lines:
            line = lines.readline()
        if line.endswith("\n"):
            return float(json.loads(line)["t"])
    return None


class Schedule(threading.Thread):
    """Waits for the load's first request, then puts each phase's faults in place at its time (clearing the
    previous phase's), and clears them all at the end (then calls `on_end`); `stop` ends it early (faults
    cleared)."""

    def __init__(self, scenario: Scenario, mocks: Mapping[str, MockControl], started: Callable[[], float | None],
                 wait_limit_s: float, on_end: Callable[[], None] | None = None) -> None:
        super().__init__(name="chaos-schedule", daemon=True)
        self.scenario, self.mocks, self.started, self.wait_limit_s = scenario, mocks, started, wait_limit_s
        self.on_end = on_end  # called once the last phase is over (the load can stop)
        self.timeline = Timeline()
        self.stopped = threading.Event()

    def _switch(self, faults: tuple[tuple[str, dict[str, Any]], ...]) -> None:
        for mock in self.mocks.values():
            mock.clear()
        for provider, rule in faults:
            self.mocks[provider].add(rule)
        self.timeline.switches.append(time.time())
        self.timeline.upstream.append(sum(mock.count() for mock in self.mocks.values()))

    def run(self) -> None:
        try:
            self._run()
        except (httpx.HTTPError, ValueError) as exc:
            self.timeline.problem = f"{type(exc).__name__}: {exc}"
        finally:
            for mock in self.mocks.values():
                with contextlib.suppress(httpx.HTTPError):
                    mock.clear()

    def _run(self) -> None:
        deadline = time.monotonic() + self.wait_limit_s
        while (t0 := self.started()) is None:
            if self.stopped.wait(POLL_S) or time.monotonic() > deadline:
                self.timeline.problem = "the load recorded no request: the fault schedule never started"
                return
        if self.stopped.wait(WARM_UP_S):  # the load's start-up (users spawning, cold connections) is no phase
            return
        t0 = time.time()
        self.timeline.started_at = t0
        for mock in self.mocks.values():
            mock.count()
            mock.received = 0
        for phase in self.scenario.phases:
            if self.stopped.wait(max(0.0, t0 + phase.start_s - time.time())):
                return
            self._switch(tuple((fault.provider, fault.rule) for fault in phase.faults))
        if not self.stopped.wait(max(0.0, t0 + self.scenario.duration_s - time.time())):
            self._switch(())
            if self.on_end is not None:
                self.on_end()

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=10)
