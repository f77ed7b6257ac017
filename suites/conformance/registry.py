"""Conformance tests: named scenarios that send requests and apply checks, each tied to features."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from aigw_conformance.reports.model import FailureRecord, NotApplicable
from aigw_conformance.suites.checks.ownership import failure_feature, operation_feature
from aigw_conformance.suites.checks.registry import Check, run_checks
from aigw_conformance.suites.exchange import Exchange, Probe
from aigw_conformance.suites.failures import Grounds, TestSkipped
from aigw_conformance.suites.features import Feature, Profile, profile_of
from aigw_conformance.suites.target import Target


@dataclass
class TestContext:
    """What a conformance test works with: the target, a bounded probe, and the failures so far."""

    __test__ = False

    target: Target
    probe: Probe
    checks_run: set[str] = field(default_factory=set)
    failures: list[FailureRecord] = field(default_factory=list)
    exchanges: int = 0
    not_applicable: dict[str, NotApplicable] = field(default_factory=dict)  # by check: failures set aside

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

    def models(self, capability: str, *, fallback: bool = True) -> tuple[str, ...]:
        """Every model the target lists for `capability` (see `Target.models_for`), or skip naming the key."""
        models = self.target.models_for(capability, fallback=fallback)
        if not models and self.target.model_lists.get(capability) == ():
            raise TestSkipped(f"the target lists no model with capability '{capability}' ([models] {capability} = [])")
        if not models:
            raise TestSkipped(f"the target names no model for capability '{capability}' ([models] {capability})")
        return models

    def client_model(self, capability: str = "chat", *, fallback: bool = True) -> str:
        """The client gateway's model key for `capability`, or skip naming the `[models]` key to set."""
        model = self.target.client_model(capability, fallback=fallback)
        if not model:
            key = f"client_{capability}" + (" (or client_chat)" if fallback and capability != "chat" else "")
            raise TestSkipped(f"the target names no client gateway model key for '{capability}' ([models] {key})")
        return model

    def credentials(self, api: str) -> dict[str, str]:
        """The target's credentials for `api`; on the client gateway, skip when no API token is given."""
        if api == "client" and not self.target.client_token:
            raise TestSkipped("the target gives no client gateway API token ([client] token or --client-token)")
        return self.target.auth_headers(api)

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
        sent = dict(self.credentials(api)) if authenticated else {}
        sent.update(headers or {})
        context = {**self.model_context(), **(context or {})}
        exchange = self.probe.send(
            api, self.base_url(api), method, path, headers=sent, json_body=json_body, content=content,
            label=label, context=context,
        )
        self.apply(exchange, expect)
        return exchange

    def model_context(self) -> dict[str, Any]:
        """What checks need to know of the target's models: `n_models`, the models that honour `n` (`[models] n`),
        when the target says (without it every model must)."""
        if "n" in self.target.model_lists:
            return {"n_models": self.target.model_lists["n"]}
        return {"n_models": (self.target.models["n"],)} if "n" in self.target.models else {}

    def apply(self, exchange: Exchange, explicit: Iterable[str] = (), *, auto: bool = True) -> None:
        """Run the checks on `exchange`; the failure of a check that belongs to a feature the target does not
        declare or exempts (never the test's own: the test would have been skipped) is set aside as not
        applicable, with the reason. `auto=False`: the explicit checks only (an answer the test broke on purpose,
        which the auto checks of a whole answer would misjudge)."""
        self.exchanges += 1
        for outcome in run_checks(exchange, explicit, auto=auto):
            self.checks_run.add(outcome.check.name)
            for message, grounds in outcome.failures:
                if not self._set_aside(outcome.check, message, exchange):
                    self.failures.append(failure_record(outcome.check, message, grounds, exchange))

    def _set_aside(self, check: Check, failure: str, exchange: Exchange) -> bool:
        feature, reason = None, None
        for candidate in (operation_feature(exchange.api, exchange.operation),
                          failure_feature(check.name, failure, exchange.api)):
            if candidate is not None and (reason := self.target.skip_reason(candidate)) is not None:
                feature = candidate
                break
        if reason is None or feature is None:
            return False
        known = self.not_applicable.get(check.name)
        self.not_applicable[check.name] = (replace(known, count=known.count + 1) if known else
                                           NotApplicable(check.name, feature.value, reason, failure))
        return True

    def skip(self, reason: str) -> TestSkipped:
        return TestSkipped(reason)


def failure_record(check: Check, message: str, grounds: Grounds, exchange: Exchange | None = None) -> FailureRecord:
    """One failure of `check` with its grounds (`inferred` is derived: a convention failure) and, when known, the
    failing exchange's request line and status."""
    request, status = (exchange.describe().rsplit(" → ", 1)[0], str(exchange.status)) if exchange else ("", "")
    return FailureRecord(check.name, check.severity.value, message, inferred=grounds.inferred, grounds=grounds.kind,
                         source=grounds.source, quote=grounds.quote, request=request, status=status)


TestFunction = Callable[[TestContext], None]


@dataclass(frozen=True)
class ConformanceTest:
    """A scenario with a short ID, the features it exercises, and the API it needs. `alone`: it changes what other
    requests meet while it runs or after (a fault rule on a mock, a used-up limit, an open breaker), so a parallel
    run (`pytest --aigw -n 2`) runs it with no other test at the same time."""

    __test__ = False

    id: str
    description: str
    features: tuple[Feature, ...]
    api: str
    function: TestFunction
    alone: bool = False

    @property
    def profile(self) -> Profile:
        return profile_of(self.features[0])


TESTS: dict[str, ConformanceTest] = {}


def conformance_test(
    test_id: str, *, features: tuple[Feature, ...], api: str = "ai", alone: bool = False
) -> Callable[[TestFunction], TestFunction]:
    """Register a conformance test; its docstring's first line is its description."""

    def decorate(function: TestFunction) -> TestFunction:
        if test_id in TESTS:
            raise ValueError(f"conformance test {test_id!r} is registered twice")
        description = (function.__doc__ or "").strip().splitlines()[0] if function.__doc__ else test_id
        TESTS[test_id] = ConformanceTest(test_id, description, features, api, function, alone)
        return function

    return decorate
