"""Run the registered conformance tests against one target and collect a Report."""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, datetime

from aigw_conformance.reports.model import FailureRecord, Report, TargetInfo, TestResult
from aigw_conformance.suites.conformance import TESTS, ConformanceTest, TestContext
from aigw_conformance.suites.conformance.fuzz_deep import DEEP_TEST_ID, RoundCallback, run_deep, skipped_deep
from aigw_conformance.suites.deadline import RunBudget
from aigw_conformance.suites.exchange import Probe
from aigw_conformance.suites.failures import RunBudgetSpent, Severity, TargetUnreachable, TestSkipped, capped
from aigw_conformance.suites.features import Feature, profile_of
from aigw_conformance.suites.masking import masker_for
from aigw_conformance.suites.selection import selected
from aigw_conformance.suites.target import Target

TOOL_VERSION = "0.1.0"
ProgressCallback = Callable[[TestResult], None]
# The default whole-run budget (`--max-run-s`): a floor, plus for each selected test a few requests' worth of the
# per-request timeout (slow tests borrow from fast ones), plus the deep run's own budget when it runs.
RUN_FLOOR_S = 120.0
TIMEOUTS_PER_TEST = 4
BUDGET_TEST_ID = "run.budget"
NAMED_NOT_RUN = 40  # tests the budget's failure names one by one; the rest are counted


def select(tests: Iterable[ConformanceTest], only: Iterable[str] = (), profiles: Iterable[str] = ()) -> list[
        ConformanceTest]:
    """Tests selected by the `only` (test ID prefixes or globs, `!` excludes) and `profiles` patterns."""
    only, profiles = tuple(only), tuple(profiles)
    return [test for test in tests if selected(test.id, test.profile.name, only, profiles)]


def _skip_reason(test: ConformanceTest, target: Target) -> str | None:
    base = target.base_url if test.api == "ai" else target.client_base_url
    if not base:
        flag = "--base-url" if test.api == "ai" else "--client-base-url"
        return f"profile '{test.profile.name}' needs the {test.api} API base URL ({flag}), which was not given"
    for feature in test.features:
        if reason := target.skip_reason(feature):
            return reason
    return None


def run_test(test: ConformanceTest, target: Target, probe: Probe) -> TestResult:
    started = time.perf_counter()

    def result(outcome: str, message: str, context: TestContext | None = None) -> TestResult:
        return TestResult(
            id=test.id, feature=test.features[-1].value, profile=test.profile.name,
            outcome=outcome,  # type: ignore[arg-type]
            message=message, description=test.description,
            checks=tuple(sorted(context.checks_run)) if context else (),
            failures=tuple(context.failures) if context else (),
            duration_s=time.perf_counter() - started,
            not_applicable=tuple(context.not_applicable.values()) if context else (),
        )

    if reason := _skip_reason(test, target):
        return result("skipped", reason)
    context = TestContext(target=target, probe=probe)
    try:
        test.function(context)
    except TestSkipped as skipped:
        return result("skipped", skipped.reason, context)
    except TargetUnreachable as unreachable:
        check = BUDGET_TEST_ID if isinstance(unreachable, RunBudgetSpent) else "transport"
        context.failures.append(FailureRecord(check, Severity.CRITICAL.value, unreachable.reason))
    except Exception as error:  # a harness bug must show up as a failure, never crash the run
        summary = capped("".join(traceback.format_exception_only(error)).strip())
        context.failures.append(FailureRecord("harness.error", Severity.CRITICAL.value,
                                              f"the test raised {summary}; this is a bug in aigw, please report it"))
    if context.failures:
        first = context.failures[0]
        more = f" (+{len(context.failures) - 1} more)" if len(context.failures) > 1 else ""
        return result("failed", f"[{first.check}] {first.message}{more}", context)
    if context.exchanges == 0:
        return result("failed", "the test sent no request, so it proved nothing", context)
    return result("passed", f"{context.exchanges} exchanges, {len(context.checks_run)} checks", context)


def deep_selected(only: Iterable[str], profiles: Iterable[str]) -> bool:
    return selected(DEEP_TEST_ID, profile_of(Feature.SCHEMA_FUZZING).name, only, profiles)


def _deep(report: Report, target: Target, probe: Probe, on_round: RoundCallback | None) -> TestResult:
    """The deep run (`aigw check --deep`), after the selected tests; its traffic goes into `report.deep`."""
    reason = target.skip_reason(Feature.SCHEMA_FUZZING)
    if not target.base_url:
        reason = "the deep run needs the ai API base URL (--base-url), which was not given"
    if reason:
        return skipped_deep(reason)
    try:
        result, report.deep = run_deep(target, probe, on_round)
    except Exception as error:  # a harness bug must show up as a failure, never crash the run
        summary = capped("".join(traceback.format_exception_only(error)).strip())
        failure = FailureRecord("harness.error", Severity.CRITICAL.value,
                                f"the deep run raised {summary}; this is a bug in aigw, please report it")
        return replace(skipped_deep(failure.message), outcome="failed", failures=(failure,))
    return result


def default_run_budget_s(tests: int, target: Target, deep: bool) -> float:
    """The whole-run budget when `--max-run-s` is not given, derived from the selection (`tests` counts the deep
    run as one test)."""
    budget = RUN_FLOOR_S + tests * TIMEOUTS_PER_TEST * target.timeout_s
    return budget + (target.deep.budget_s if deep else 0.0)


def _not_run(test: ConformanceTest, budget: RunBudget) -> TestResult:
    return TestResult(id=test.id, feature=test.features[-1].value, profile=test.profile.name, outcome="skipped",
                      message=f"not run: {budget.describe()} before it started", description=test.description)


def _budget_failure(budget: RunBudget, not_run: list[str]) -> TestResult:
    """The failed result that names the tests the budget left unrun."""
    named = ", ".join(not_run[:NAMED_NOT_RUN]) + (f" and {len(not_run) - NAMED_NOT_RUN} more"
                                                   if len(not_run) > NAMED_NOT_RUN else "")
    message = (f"{budget.describe()}; {len(not_run)} selected test{'' if len(not_run) == 1 else 's'} not run: "
               f"{named}. Raise --max-run-s, or select fewer tests")
    failure = FailureRecord(BUDGET_TEST_ID, Severity.CRITICAL.value, message)
    return TestResult(id=BUDGET_TEST_ID, feature="run", profile="run", outcome="failed", message=message,
                      description="the whole run ends within its wall-clock budget (--max-run-s)",
                      failures=(failure,), duration_s=budget.seconds)


def run(
    target: Target,
    *,
    only: Iterable[str] = (),
    profiles: Iterable[str] = (),
    progress: ProgressCallback | None = None,
    deep: bool = False,
    deep_progress: RoundCallback | None = None,
    on_start: Callable[[str], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    max_run_s: float | None = None,
) -> Report:
    """Run the selected tests in registry order and return the collected report; with `deep`, then the deep run
    (test `schema.deep`, bounded by `target.deep`) unless the selection leaves it out. `on_start` is told each
    test's ID before it runs; once `should_stop()` is true no further test starts. The whole run is bounded by
    `max_run_s` (default: `default_run_budget_s`): no request outlasts it, and the tests it leaves unrun are
    reported skipped and named by a failed `run.budget` result."""
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    started = time.perf_counter()
    report = Report(
        target=TargetInfo(target.name, target.base_url, target.client_base_url),
        started_at=started_at, duration_s=0.0, tool_version=TOOL_VERSION,
    )
    chosen = select(TESTS.values(), only, profiles)
    run_deep_too = deep and deep_selected(only, profiles)
    budget = RunBudget(max_run_s or default_run_budget_s(len(chosen) + run_deep_too, target, run_deep_too))
    probe = Probe(timeout_s=target.timeout_s, extra_headers=dict(target.headers), budget=budget)
    mask = masker_for(target)  # every writer and the progress line get results with the target's secrets masked
    not_run: list[str] = []

    def skip_unrun(result: TestResult) -> None:
        not_run.append(result.id)
        report.results.append(result)
        if progress:
            progress(result)

    try:
        for test in chosen:
            if should_stop and should_stop():
                break
            if budget.spent:
                skip_unrun(_not_run(test, budget))
                continue
            if on_start:
                on_start(test.id)
            outcome = mask.result(run_test(test, target, probe))
            report.results.append(outcome)
            if progress:
                progress(outcome)
        if run_deep_too and budget.spent and not (should_stop and should_stop()):
            skip_unrun(skipped_deep(f"not run: {budget.describe()} before it started"))
        elif run_deep_too and not (should_stop and should_stop()):
            if on_start:
                on_start(DEEP_TEST_ID)
            outcome = mask.result(_deep(report, target, probe, deep_progress))
            report.deep = mask.deep(report.deep) if report.deep is not None else None
            report.results.append(outcome)
            if progress:
                progress(outcome)
        if not_run:
            report.results.append(_budget_failure(budget, not_run))
            if progress:
                progress(report.results[-1])
    finally:
        probe.close()
    report.duration_s = time.perf_counter() - started
    return report
