"""One `pytest --aigw` run: its target (the bundled reference started once for the run), results and reports."""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from collections.abc import Generator
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from aigw_conformance import cli, commands
from aigw_conformance.mocks.reference.stack import ReferenceStack
from aigw_conformance.preflight import PreflightFailed, preflight
from aigw_conformance.pytest_gate import Gate
from aigw_conformance.pytest_items import ConformanceItem, conformance_suite
from aigw_conformance.reports.model import FailureRecord, Report, TargetInfo, TestResult
from aigw_conformance.reports.writers import write_all
from aigw_conformance.suites.conformance import TESTS, ConformanceTest
from aigw_conformance.suites.deadline import RunBudget
from aigw_conformance.suites.exchange import Probe
from aigw_conformance.suites.masking import Masker, masker_for
from aigw_conformance.suites.runner import TOOL_VERSION, default_run_budget_s, run_test
from aigw_conformance.suites.selftest import pointed_at
from aigw_conformance.suites.target import Target

# The pytest option → the `aigw check` flag it stands for; the target is loaded by `aigw check`'s own code.
CHECK_FLAGS = {"aigw_target": "--target", "aigw_base_url": "--base-url", "aigw_client_base_url": "--client-base-url",
               "aigw_token": "--token", "aigw_api_key": "--api-key", "aigw_api_secret": "--api-secret",
               "aigw_client_token": "--client-token", "aigw_model": "--model", "aigw_examples": "--examples",
               "aigw_timeout": "--timeout", "aigw_name": "--name"}
# What pointing a target at the started reference changes (suites.selftest.pointed_at); sent to xdist workers.
POINTED_FIELDS = ("base_url", "client_base_url", "token", "api_key", "api_secret", "client_token", "second_token",
                  "upstream")
OVERRIDES_INPUT, GATE_INPUT = "aigw_target_overrides", "aigw_gate_directory"
RESULT_ATTRIBUTE = "aigw_result"  # on a test report: the TestResult as JSON (it travels from xdist workers)


def check_arguments(config: pytest.Config) -> argparse.Namespace:
    """The `aigw check` arguments the pytest options stand for (credentials not given fall back to the environment
    variables of `aigw check`, which its own loading reads)."""
    argv = ["check"]
    for option, flag in CHECK_FLAGS.items():
        value = config.getoption(option)
        if value is not None:
            argv.append(f"{flag}={value}")
    argv += [f"--header={line}" for line in config.getoption("aigw_header")]
    argv += [f"--defect={name}" for name in config.getoption("aigw_defect")]
    argv += [f"--quirk={name}" for name in config.getoption("aigw_quirk")]
    try:
        return cli.build_parser().parse_args(argv)
    except SystemExit as error:  # argparse has printed what is wrong
        raise pytest.UsageError("aigw: unusable --aigw-* options") from error


def load(args: argparse.Namespace) -> Target:
    try:
        return commands._load(args)
    except commands.UsageError as error:
        raise pytest.UsageError(f"aigw: {error}") from error


def encode(result: TestResult) -> str:
    return json.dumps(asdict(result))


def decode(text: str) -> TestResult:
    data = json.loads(text)
    return TestResult(**{**data, "checks": tuple(data["checks"]),
                         "failures": tuple(FailureRecord(**failure) for failure in data["failures"])})


class AigwSession:
    """The plugin object of a `pytest --aigw` run, on the controller and on each xdist worker."""

    NAME = "aigw-conformance-session"

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.worker_input: dict[str, Any] | None = getattr(config, "workerinput", None)
        self.target: Target | None = None
        self.overrides: dict[str, Any] = {}
        self.stack: ReferenceStack | None = None
        self.probe: Probe | None = None
        self.mask = Masker()
        self.selected = 0  # conformance items collected: the default run budget counts them
        self.gate_directory: str | None = None
        self.gate: Gate | None = None
        self.results: dict[str, TestResult] = {}
        self.written: dict[str, Path] = {}
        self.started_at, self.started = datetime.now(UTC).isoformat(timespec="seconds"), time.perf_counter()

    @pytest.hookimpl(tryfirst=True)  # before pytest-xdist starts its workers (they need the reference's URLs)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        seconds = self.config.getoption("aigw_max_run_s")
        if seconds is not None and not 0 < seconds < float("inf"):
            raise pytest.UsageError(f"aigw: --aigw-max-run-s must be a positive number of seconds, got {seconds}")
        args = check_arguments(self.config)
        target = load(args)
        if self.worker_input is not None:
            self.target = target.with_overrides(**json.loads(self.worker_input[OVERRIDES_INPUT]))
            self.gate = Gate(Path(self.worker_input[GATE_INPUT]))
            return
        if self.config.option.collectonly:
            self.target = target
            return
        self.target = self._reach(target, args)
        self.gate_directory = tempfile.mkdtemp(prefix="aigw-gate-")

    def _reach(self, target: Target, args: argparse.Namespace) -> Target:
        """A live target after its preflight, else `target` pointed at the reference, started now."""
        if target.base_url or target.client_base_url:
            if args.defect or args.quirk:
                raise pytest.UsageError("aigw: --aigw-defect and --aigw-quirk apply only when the reference is "
                                        "started (no --aigw-base-url)")
            try:
                for note in preflight(target):
                    print(f"aigw: note: {note}")
            except PreflightFailed as failed:  # unreachable: 3, as `aigw check`; refused or not the API: usage
                if failed.exit_code == 3:
                    pytest.exit(f"aigw: {failed}", returncode=3)
                raise pytest.UsageError(f"aigw: {failed}") from failed
            if not args.target and target.base_url:  # as `aigw check`: models from the live catalogue
                try:
                    return commands._discovered(target)
                except commands.UsageError as error:
                    raise pytest.UsageError(f"aigw: {error}") from error
            return target
        try:
            self.stack = commands._reference_for(target, args.defect, args.quirk).start()
        except commands.UsageError as error:
            raise pytest.UsageError(f"aigw: {error}") from error
        pointed = pointed_at(target, self.stack)
        self.overrides = {name: getattr(pointed, name) for name in POINTED_FIELDS}
        return pointed

    def pytest_report_header(self, config: pytest.Config) -> list[str]:
        if self.worker_input is not None or self.target is None:
            return []
        if self.stack is not None:
            return [f"aigw: started the reference gateway at {self.stack.base_url} "
                    f"(client gateway {self.stack.client_base_url})"]
        return [f"aigw: target {self.target.name} at {self.target.base_url or '-'} "
                f"(client gateway {self.target.client_base_url or '-'})"]

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        """pytest-xdist, on the controller: what each worker needs to reach the same target."""
        node.workerinput[OVERRIDES_INPUT] = json.dumps(self.overrides)
        node.workerinput[GATE_INPUT] = self.gate_directory

    @pytest.hookimpl(wrapper=True)
    def pytest_make_collect_report(self, collector: pytest.Collector) -> Generator[
            None, pytest.CollectReport, pytest.CollectReport]:
        """The conformance tests join whatever else the session collects."""
        report = yield
        if isinstance(collector, pytest.Session) and report.passed:
            report.result.append(conformance_suite(collector))
        return report

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.selected = sum(isinstance(item, ConformanceItem) for item in session.items)

    def _probe(self, target: Target) -> Probe:
        """As `aigw check`'s: the extra headers on every request, and the run's budget (--aigw-max-run-s, else
        derived from the conformance items collected; on each xdist worker from its own start)."""
        if self.probe is None:
            seconds = self.config.getoption("aigw_max_run_s")
            budget = RunBudget(seconds or default_run_budget_s(max(self.selected, 1), target, deep=False),
                               flag="--aigw-max-run-s")
            self.probe = Probe(timeout_s=target.timeout_s, extra_headers=dict(target.headers), budget=budget)
            self.mask = masker_for(target)
        return self.probe

    def run(self, test: ConformanceTest) -> TestResult:
        """The test's result, with the target's credentials and header values masked (as every `aigw check`
        writer gets it)."""
        if self.target is None:
            raise RuntimeError("the aigw session has no target (pytest_sessionstart did not run)")
        probe = self._probe(self.target)
        if self.gate is None:
            return self.mask.result(run_test(test, self.target, probe))
        with self.gate.passage(test.alone):
            return self.mask.result(run_test(test, self.target, probe))

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[
            None, pytest.TestReport, pytest.TestReport]:
        report = yield
        if isinstance(item, ConformanceItem) and call.when == "call" and item.result is not None:
            setattr(report, RESULT_ATTRIBUTE, encode(item.result))
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if (text := getattr(report, RESULT_ATTRIBUTE, None)) is not None:
            result = decode(text)
            self.results[result.id] = result

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        directory = self.config.getoption("aigw_report_dir")
        if self.worker_input is not None or not directory or self.target is None:
            return
        target = self.target
        report = Report(target=TargetInfo(target.name, target.base_url, target.client_base_url),
                        started_at=self.started_at, duration_s=time.perf_counter() - self.started,
                        tool_version=TOOL_VERSION,
                        results=[self.results[test_id] for test_id in TESTS if test_id in self.results])
        self.written = write_all(report, Path(directory))

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.written:
            terminalreporter.write_line("aigw reports: " + ", ".join(str(path) for path in self.written.values()))

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        if self.probe is not None:
            self.probe.close()
        if self.stack is not None:
            self.stack.stop()
        if self.gate_directory is not None:
            shutil.rmtree(self.gate_directory, ignore_errors=True)

