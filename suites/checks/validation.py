"""Checks that documented parameter ranges are enforced: outside → 400, on the boundary → accepted."""

from __future__ import annotations

from aigw_conformance.suites.checks.registry import check, fail
from aigw_conformance.suites.exchange import Exchange
from aigw_conformance.suites.failures import Severity


@check("validation.rejects_out_of_range", severity=Severity.HIGH, auto=False)
def rejects_out_of_range(exchange: Exchange) -> None:
    """A parameter outside its documented range is refused with 400."""
    if exchange.status != 400:
        raise fail(f"expected 400 Bad Request for a parameter out of its documented range "
                   f"(000: '400 Bad Request ... parameter out of range'), got {exchange.status}")


@check("validation.accepts_in_range", severity=Severity.HIGH, auto=False)
def accepts_in_range(exchange: Exchange) -> None:
    """A parameter on the boundary of its documented range is accepted."""
    if exchange.status != 200:
        raise fail(f"a value inside the documented range was refused with {exchange.status}: "
                   f"{exchange.excerpt(200)!r}")
