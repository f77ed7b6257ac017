"""The conformance tests as pytest items: `aigw::<test id>`, marked with their profile and features."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import pytest

from aigw_conformance.reports.junit import _failure_text as findings_text
from aigw_conformance.reports.model import TestResult
from aigw_conformance.suites.conformance import TESTS, ConformanceTest
from aigw_conformance.suites.features import PROFILES

if TYPE_CHECKING:
    from aigw_conformance.pytest_session import AigwSession

SUITE_NODE_ID = "aigw"
ALONE_GROUP = "aigw-alone"  # the pytest-xdist group (`--dist loadgroup`) of the tests that must run alone


def register_markers(config: pytest.Config) -> None:
    """Declare every marker the items carry, so `--strict-markers` accepts them. Profiles and features are keyword
    arguments, not parts of marker names, so `-k stream` does not pick `upstream-journal`'s tests up."""
    lines = ["aigw(id, profile, api, features): an aigw-conformance test (all of them: -m aigw)",
             "aigw_profile(name): the test's profile, e.g. -m \"aigw_profile(name='ai-streaming')\" "
             f"({', '.join(profile.name for profile in PROFILES)})",
             "aigw_feature(name): one of the test's features, e.g. -m \"aigw_feature(name='chat-streaming')\" "
             "(see `aigw features`)",
             "aigw_alone: changes what other requests meet (a fault rule, a used-up limit, an open breaker): "
             f"runs with no other aigw test at the same time (pytest-xdist group {ALONE_GROUP!r})"]
    if not config.pluginmanager.hasplugin("xdist"):  # the items carry its group mark even when it is not loaded
        lines.append("xdist_group(name): pytest-xdist's group (--dist loadgroup); pytest-xdist is not loaded")
    for line in lines:
        config.addinivalue_line("markers", line)


def _marks(test: ConformanceTest) -> Iterable[pytest.MarkDecorator]:
    yield pytest.mark.aigw(id=test.id, profile=test.profile.name, api=test.api,
                           features=tuple(feature.value for feature in test.features))
    yield pytest.mark.aigw_profile(name=test.profile.name)
    for feature in test.features:
        yield pytest.mark.aigw_feature(name=feature.value)
    if test.alone:
        yield pytest.mark.aigw_alone
        yield pytest.mark.xdist_group(ALONE_GROUP)


class ConformanceFailure(Exception):
    """A conformance test failed: its findings, shown as they are (no traceback of the harness)."""


class ConformanceSuite(pytest.Collector):
    """Every registered conformance test, in the order `aigw check` runs them."""

    def collect(self) -> list[pytest.Item | pytest.Collector]:
        return [ConformanceItem.from_parent(self, name=test.id, test=test) for test in TESTS.values()]


class ConformanceItem(pytest.Item):
    """One conformance test, run by the suite's runner against the session's target."""

    def __init__(self, *, test: ConformanceTest, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.test = test
        self.result: TestResult | None = None
        for mark in _marks(test):
            self.add_marker(mark)

    def runtest(self) -> None:
        session: AigwSession = self.config.pluginmanager.getplugin("aigw-conformance-session")
        self.result = result = session.run(self.test)
        if result.outcome == "skipped":
            pytest.skip(result.message)
        if result.outcome == "failed":
            if result.inferred_only and not self.config.getoption("aigw_strict"):
                pytest.xfail("fails only on inferred spec elements (the documents are silent; aigw check fails "
                             f"the run for it only with --strict, pytest with --aigw-strict):\n{findings_text(result)}")
            raise ConformanceFailure(findings_text(result))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, ConformanceFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)

    def reportinfo(self) -> tuple[Any, int | None, str]:
        return self.path, None, f"{SUITE_NODE_ID}::{self.name}"


def conformance_suite(session: pytest.Session) -> ConformanceSuite:
    return ConformanceSuite.from_parent(session, name=SUITE_NODE_ID, nodeid=SUITE_NODE_ID)
