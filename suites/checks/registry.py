"""The check registry: small typed functions registered by name, with preconditions as decorators."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from aigw_conformance.suites.exchange import Exchange
from aigw_conformance.suites.failures import CheckFailed, Severity

CheckFunction = Callable[[Exchange], None]
Precondition = Callable[[Exchange], bool]


@dataclass(frozen=True)
class Check:
    """A registered check. `auto` checks run on every exchange their preconditions admit."""

    name: str
    severity: Severity
    description: str
    function: CheckFunction
    preconditions: tuple[Precondition, ...]
    auto: bool
    inferred: bool

    def applies_to(self, exchange: Exchange) -> bool:
        return all(condition(exchange) for condition in self.preconditions)


@dataclass(frozen=True)
class CheckOutcome:
    check: Check
    failure: str | None  # None when the check passed


CHECKS: dict[str, Check] = {}


def requires(condition: Precondition) -> Callable[[CheckFunction], CheckFunction]:
    """Only run the decorated check on exchanges for which `condition` holds (stackable)."""

    def decorate(function: CheckFunction) -> CheckFunction:
        existing: tuple[Precondition, ...] = getattr(function, "__aigw_preconditions__", ())
        function.__aigw_preconditions__ = (condition, *existing)  # type: ignore[attr-defined]
        return function

    return decorate


def check(
    name: str, *, severity: Severity = Severity.HIGH, auto: bool = True, inferred: bool = False
) -> Callable[[CheckFunction], CheckFunction]:
    """Register a check under `name`; its docstring's first line is its description.

    `inferred` marks checks of spec elements the documents are silent on (reported apart).
    """

    def decorate(function: CheckFunction) -> CheckFunction:
        if name in CHECKS:
            raise ValueError(f"check {name!r} is registered twice")
        CHECKS[name] = Check(
            name=name,
            severity=severity,
            description=(function.__doc__ or "").strip().splitlines()[0] if function.__doc__ else "",
            function=function,
            preconditions=getattr(function, "__aigw_preconditions__", ()),
            auto=auto,
            inferred=inferred,
        )
        return function

    return decorate


def fail(message: str) -> CheckFailed:
    """Build the failure a check raises: `raise fail("...")`."""
    return CheckFailed(message)


def run_checks(exchange: Exchange, explicit: Iterable[str] = ()) -> list[CheckOutcome]:
    """Run every applicable auto check plus the named explicit ones on one exchange."""
    selected = [c for c in CHECKS.values() if c.auto and c.applies_to(exchange)]
    for name in explicit:
        if name not in CHECKS:
            raise KeyError(f"unknown check {name!r}")
        chosen = CHECKS[name]
        if chosen not in selected:
            selected.append(chosen)
    outcomes = []
    for chosen in selected:
        try:
            chosen.function(exchange)
        except CheckFailed as failure:
            outcomes.append(CheckOutcome(chosen, f"{exchange.describe()}: {failure.message}"))
        else:
            outcomes.append(CheckOutcome(chosen, None))
    return outcomes
