"""The check registry: small typed functions registered by name, with preconditions as decorators."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from aigw_conformance.suites.exchange import Exchange
from aigw_conformance.suites.failures import CheckFailed, Grounds, Severity
from aigw_conformance.suites.grounds import ABOUT, about_grounds, check_grounds, exchange_grounds, on_operation

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
    inferred: bool  # declared: its default grounds are a convention
    grounds: Grounds | None = None  # stated at registration; else resolved from spec/traceability.yaml

    def applies_to(self, exchange: Exchange) -> bool:
        return all(condition(exchange) for condition in self.preconditions)

    @property
    def default_grounds(self) -> Grounds:
        """The grounds of its failures unless one states its own: stated, or from the traceability items."""
        return self.grounds or check_grounds(self.name, self.inferred)

    def grounds_on(self, exchange: Exchange) -> Grounds:
        """The default grounds on one exchange: the item the exchange says it probes (context `about`), else the
        items about its operation first (see `suites.grounds`)."""
        if self.grounds:
            return self.grounds
        about = exchange.context.get(ABOUT)
        if isinstance(about, dict):  # only for some checks: check name → item
            about = about.get(self.name)
        if isinstance(about, str) and (probed := about_grounds(self.name, self.inferred, about)) is not None:
            return probed
        return exchange_grounds(self.name, self.inferred, exchange.api, exchange.operation)


@dataclass(frozen=True)
class CheckOutcome:
    check: Check
    failure: str | None  # None when the check passed; else the first failure's message
    failures: tuple[tuple[str, Grounds], ...] = ()  # every failure with its grounds (a check may fail on both kinds)


CHECKS: dict[str, Check] = {}


def requires(condition: Precondition) -> Callable[[CheckFunction], CheckFunction]:
    """Only run the decorated check on exchanges for which `condition` holds (stackable)."""

    def decorate(function: CheckFunction) -> CheckFunction:
        existing: tuple[Precondition, ...] = getattr(function, "__aigw_preconditions__", ())
        function.__aigw_preconditions__ = (condition, *existing)  # type: ignore[attr-defined]
        return function

    return decorate


def check(
    name: str, *, severity: Severity = Severity.HIGH, auto: bool = True, inferred: bool = False,
    grounds: Grounds | None = None,
) -> Callable[[CheckFunction], CheckFunction]:
    """Register a check under `name`; its docstring's first line is its description.

    Its failures' grounds: `grounds` when given, else the traceability items that list it (`inferred` marks a check
    of spec elements the documents are silent on: convention); a failure may state its own (`fail(..., grounds=)`).
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
            inferred=inferred or (grounds is not None and grounds.inferred),
            grounds=grounds,
        )
        return function

    return decorate


def fail(message: str, grounds: Grounds | None = None) -> CheckFailed:
    """Build the failure a check raises: `raise fail("...")`; `grounds` overrides the check's for this failure."""
    return CheckFailed(message, grounds)


def run_checks(exchange: Exchange, explicit: Iterable[str] = (), *, auto: bool = True) -> list[CheckOutcome]:
    """Run every applicable auto check (unless `auto` is False) plus the named explicit ones on one exchange."""
    selected = [c for c in CHECKS.values() if auto and c.auto and c.applies_to(exchange)]
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
            where = exchange.describe()
            parts = tuple((f"{where}: {message}", on_operation(chosen.name, grounds or chosen.grounds_on(exchange),
                                                                exchange.api, exchange.operation))
                          for message, grounds in failure.parts)
            outcomes.append(CheckOutcome(chosen, parts[0][0], parts))
        else:
            outcomes.append(CheckOutcome(chosen, None))
    return outcomes
