"""The deep run: schemathesis round after round over every operation and mode until the request goal, bounded."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hypothesis.errors import Unsatisfiable

from aigw_conformance.reports.model import DeepRun, FailureRecord, TestResult
from aigw_conformance.suites.conformance.fuzz_tests import (
    DEEP_OPERATIONS,
    MODES,
    Batch,
    Operation,
    collapse_failures,
    explore,
    strategy_for,
)
from aigw_conformance.suites.conformance.registry import TestContext
from aigw_conformance.suites.deep_options import DeepOptions
from aigw_conformance.suites.exchange import Exchange, Probe
from aigw_conformance.suites.failures import RunBudgetSpent, Severity, TargetUnreachable, TestSkipped
from aigw_conformance.suites.features import Feature, profile_of
from aigw_conformance.suites.target import Target

DEEP_TEST_ID = "schema.deep"
DEEP_DESCRIPTION = ("schemathesis positive and negative generation over every implemented operation of both APIs "
                    "until the deep run's request goal, every check on every response")
# A response counts as undocumented when one of these checks failed on it
UNDOCUMENTED_CHECKS = frozenset({"errors.status_documented", "schema.status_code_conformance"})
RoundCallback = Callable[[str], None]
# Each round asks every lane for `batch` examples, the AI API's slowest operations for a share of them (measured on
# the reference: a generated count request takes ~250 ms, a chat completion ~150 ms, most others 10-50 ms)
DEEP_SHARE: dict[tuple[str, str], float] = {("ai", "/chat/completions"): 0.5, ("ai", "/chat/count"): 0.25}


@dataclass
class _Lane:
    """One operation in one generation mode, with its own context (its failures and checks) across rounds."""

    operation: Operation
    mode: str
    context: TestContext
    strategy: Any
    share: float
    sent: int = 0
    exhausted: bool = False

    @property
    def label(self) -> str:
        return self.operation.label(self.mode)


@dataclass
class _Traffic:
    """What the run sent so far and how the target answered."""

    options: DeepOptions
    started: float = field(default_factory=time.monotonic)
    sent: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    server_errors: int = 0
    undocumented: int = 0

    def seen(self, exchange: Exchange, failures: list[FailureRecord]) -> None:
        self.sent += 1
        self.statuses[exchange.status] += 1
        self.server_errors += exchange.status >= 500
        self.undocumented += any(failure.check in UNDOCUMENTED_CHECKS for failure in failures)

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def over(self) -> bool:
        """The cap is reached or the budget spent: nothing more may be sent."""
        return self.sent >= self.options.max_requests or self.elapsed() >= self.options.budget_s


def _lanes(target: Target, probe: Probe, rotate_models: bool = True) -> tuple[list[_Lane], dict[str, str]]:
    """Every operation and mode the target can be fuzzed on, and the others with the reason they are not."""
    lanes: list[_Lane] = []
    skipped: dict[str, str] = {}
    for operation in DEEP_OPERATIONS:
        base = target.base_url if operation.api == "ai" else target.client_base_url
        reason = target.skip_reason(operation.feature) or (None if base else f"no {operation.api} API base URL")
        for mode in MODES:
            label = operation.label(mode)
            if reason:
                skipped[label] = reason
                continue
            context = TestContext(target=target, probe=probe)
            try:
                context.credentials(operation.api)
                strategy = strategy_for(context, operation, mode, rotate_models=rotate_models)
            except TestSkipped as skip:
                skipped[label] = skip.reason
                continue
            share = DEEP_SHARE.get((operation.api, operation.path), 1.0)
            lanes.append(_Lane(operation, mode, context, strategy, share))
    return lanes, skipped


def _rounds(lanes: list[_Lane], traffic: _Traffic, on_round: RoundCallback | None) -> str:
    """Round after round, each lane its share of `batch` examples with the round's seed, until the goal is met
    (the round is finished, up to the cap), the budget is spent, or no lane can generate more. Why it stopped."""
    options = traffic.options
    for number in range(1_000_000):
        active = [lane for lane in lanes if not lane.exhausted]
        if not active:
            return f"every operation's generation was exhausted after {number} rounds"
        for lane in active:
            if traffic.over():
                break
            batch = Batch(max(1, round(options.batch * lane.share)), seed=options.seed + number, stop=traffic.over,
                          seen=traffic.seen)
            try:
                explore(lane.context, lane.operation, lane.mode, lane.strategy, batch)
            except Unsatisfiable:  # hypothesis found no case it may generate: nothing more to send here
                batch.examples = batch.sent + 1
            finally:
                lane.sent += batch.sent
            lane.exhausted = batch.sent < batch.examples and not traffic.over()
        if on_round:
            on_round(f"deep round {number + 1}: {traffic.sent:,} requests in {traffic.elapsed():.0f} s")
        if traffic.sent >= options.max_requests:
            return f"request cap of {options.max_requests:,} reached in round {number + 1}"
        if traffic.sent >= options.requests:
            return f"goal of {options.requests:,} requests reached in round {number + 1}"
        if traffic.over():
            return (f"wall-clock budget of {options.budget_s:g} s ran out after {traffic.sent:,} of "
                    f"{options.requests:,} requests")
    return "round limit reached"


def run_deep(target: Target, probe: Probe, on_round: RoundCallback | None = None) -> tuple[TestResult, DeepRun]:
    """The deep run against `target`: its test result (failures per operation and mode, and a failure when the
    goal was not reached) and the traffic it sent."""
    options = target.deep
    lanes, skipped = _lanes(target, probe)
    traffic = _Traffic(options)
    failures: list[FailureRecord] = []
    try:
        reason = _rounds(lanes, traffic, on_round)
    except RunBudgetSpent as spent:  # the whole run's budget (--max-run-s), not the target
        reason = spent.reason
        failures.append(FailureRecord("run.budget", Severity.CRITICAL.value, spent.reason))
    except TargetUnreachable as error:
        reason = f"the target stopped answering: {error.reason}"
        failures.append(FailureRecord("transport", Severity.CRITICAL.value, error.reason))
    for lane in lanes:
        collapse_failures(lane.context, 0, lane.sent, f"{lane.label}: ")
        failures += lane.context.failures
    deep = DeepRun(
        requests_sent=traffic.sent, goal=options.requests, max_requests=options.max_requests,
        budget_s=options.budget_s, duration_s=traffic.elapsed(), stop_reason=reason,
        statuses={str(status): count for status, count in sorted(traffic.statuses.items())},
        operations={lane.label: lane.sent for lane in lanes}, skipped=skipped,
        server_errors=traffic.server_errors, undocumented=traffic.undocumented, seed=options.seed,
    )
    if not deep.complete:
        failures.insert(0, FailureRecord("deep.request_goal", Severity.HIGH.value,
                                         f"the deep run sent {traffic.sent:,} of the {options.requests:,} generated "
                                         f"requests it must send: {reason}"))
    return _result(lanes, failures, deep), deep


def _result(lanes: list[_Lane], failures: list[FailureRecord], deep: DeepRun) -> TestResult:
    statuses = ", ".join(f"{status}: {count:,}" for status, count in deep.statuses.items())
    if failures:
        more = f" (+{len(failures) - 1} more)" if len(failures) > 1 else ""
        message = f"[{failures[0].check}] {failures[0].message}{more}"
    else:
        message = (f"{deep.requests_sent:,} generated requests over {len(lanes)} operations and modes in "
                   f"{deep.duration_s:.0f} s ({deep.stop_reason}); statuses {statuses}")
    return TestResult(
        id=DEEP_TEST_ID, feature=Feature.SCHEMA_FUZZING.value, profile=profile_of(Feature.SCHEMA_FUZZING).name,
        outcome="failed" if failures else "passed", message=message, description=DEEP_DESCRIPTION,
        checks=tuple(sorted({name for lane in lanes for name in lane.context.checks_run})),
        failures=tuple(failures), duration_s=deep.duration_s,
        not_applicable=tuple(record for lane in lanes for record in lane.context.not_applicable.values()),
    )


def skipped_deep(reason: str) -> TestResult:
    """The deep run's result when it cannot run against the target."""
    return TestResult(id=DEEP_TEST_ID, feature=Feature.SCHEMA_FUZZING.value,
                      profile=profile_of(Feature.SCHEMA_FUZZING).name, outcome="skipped", message=reason,
                      description=DEEP_DESCRIPTION)
