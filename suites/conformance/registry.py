"""Conformance tests: named scenarios that send requests and apply checks, each tied to features."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from reports.model import FailureRecord
from suites.checks.registry import run_checks
from suites.exchange import Exchange, Probe
from suites.failures import TestSkipped
from suites.features import Feature, Profile, profile_of
from suites.target import Target


@dataclass
class TestContext:
    """What a conformance test works with: the target, a bounded probe, and the failures so far."""

    __test__ = False

    target: Target
    probe: Probe
    checks_run: set[str] = field(default_factory=set)
    failures: list[FailureRecord] = field(default_factory=list)
    exchanges: int = 0

    def base_url(self, api: str) -> str:
        url = self.target.base_url if api == "ai" else self.target.client_base_url
        if not url:
            raise TestSkipped(f"no base URL given for the {api} API")
        return url

    def model(self, capability: str = "chat") -> str:
        model = self.target.model_for(capability)
        if not model:
            raise TestSkipped(f"the target names no model for capability '{capability}' ([models] {capability})")
        return model

    def send(
        self,
        method: str,
        path: str,
        *,
        api: str = "ai",
        json_body: Any = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
        authenticated: bool = True,
        label: str = "",
        expect: Iterable[str] = (),
        context: dict[str, Any] | None = None,
    ) -> Exchange:
        """Send one request, then apply every applicable auto check plus the `expect`ed ones."""
        sent = dict(self.target.auth_headers()) if authenticated else {}
        sent.update(headers or {})
        exchange = self.probe.send(
            api, self.base_url(api), method, path, headers=sent, json_body=json_body, content=content,
            label=label, context=context,
        )
        self.apply(exchange, expect)
        return exchange

    def apply(self, exchange: Exchange, explicit: Iterable[str] = ()) -> None:
        self.exchanges += 1
        for outcome in run_checks(exchange, explicit):
            self.checks_run.add(outcome.check.name)
            if outcome.failure is not None:
                self.failures.append(FailureRecord(
                    outcome.check.name, outcome.check.severity.value, outcome.failure, outcome.check.inferred
                ))

    def skip(self, reason: str) -> TestSkipped:
        return TestSkipped(reason)


TestFunction = Callable[[TestContext], None]


@dataclass(frozen=True)
class ConformanceTest:
    """A scenario with a short ID, the features it exercises, and the API it needs."""

    __test__ = False

    id: str
    description: str
    features: tuple[Feature, ...]
    api: str
    function: TestFunction

    @property
    def profile(self) -> Profile:
        return profile_of(self.features[0])


TESTS: dict[str, ConformanceTest] = {}


def conformance_test(
    test_id: str, *, features: tuple[Feature, ...], api: str = "ai"
) -> Callable[[TestFunction], TestFunction]:
    """Register a conformance test; its docstring's first line is its description."""

    def decorate(function: TestFunction) -> TestFunction:
        if test_id in TESTS:
            raise ValueError(f"conformance test {test_id!r} is registered twice")
        description = (function.__doc__ or "").strip().splitlines()[0] if function.__doc__ else test_id
        TESTS[test_id] = ConformanceTest(test_id, description, features, api, function)
        return function

    return decorate
