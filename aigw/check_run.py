"""One `aigw check` run: the selection, the terminal, -x, and signals; a partial report when it is stopped."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime

from aigw_conformance.interrupt import Abort, Interrupts
from aigw_conformance.reports.model import Report, TargetInfo, TestResult
from aigw_conformance.suites.conformance import TESTS
from aigw_conformance.suites.features import PROFILES
from aigw_conformance.suites.runner import TOOL_VERSION, deep_selected, run, select
from aigw_conformance.suites.selection import EmptySelection, empty_message
from aigw_conformance.suites.target import Target
from aigw_conformance.terminal import Terminal


def selected_count(tests: Sequence[str], profiles: Sequence[str], deep: bool) -> int:
    """How many tests the selection holds; EmptySelection (exit 5) when it holds none."""
    count = len(select(TESTS.values(), tests, profiles)) + (deep and deep_selected(tests, profiles))
    if not count:
        raise EmptySelection(empty_message(tests, profiles, [profile.name for profile in PROFILES]))
    return count


def nothing_run(target: Target) -> Report:
    """The report of a run stopped before its first test (while the reference or the preflight started)."""
    return Report(target=TargetInfo(target.name, target.base_url, target.client_base_url),
                  started_at=datetime.now(UTC).isoformat(timespec="seconds"), duration_s=0.0,
                  tool_version=TOOL_VERSION, interrupted=True)


def run_checks(target: Target, terminal: Terminal, interrupts: Interrupts, *, tests: Sequence[str],
               profiles: Sequence[str], deep: bool, exitfirst: bool, max_run_s: float | None = None) -> Report:
    """Run the selection under `interrupts` (armed by the caller): a first SIGINT lets the running test finish,
    SIGTERM or a second SIGINT stops it; either way the report holds every finished test, `interrupted: true`."""
    terminal.begin(selected_count(tests, profiles, deep))
    done: list[TestResult] = []

    def finished(result: TestResult) -> None:
        done.append(result)
        terminal.finished(result)

    def should_stop() -> bool:
        return interrupts.requested or (exitfirst and any(result.outcome == "failed" for result in done))

    started_at, started = datetime.now(UTC).isoformat(timespec="seconds"), time.perf_counter()
    try:
        report = run(target, only=tests, profiles=profiles, progress=finished, deep=deep,
                     deep_progress=terminal.line, on_start=terminal.started, should_stop=should_stop,
                     max_run_s=max_run_s)
    except Abort:
        report = Report(target=TargetInfo(target.name, target.base_url, target.client_base_url),
                        started_at=started_at, duration_s=time.perf_counter() - started, tool_version=TOOL_VERSION,
                        results=done)
    interrupts.shielded = True
    report.interrupted = interrupts.requested
    return report
