"""Checks on plain HTTP outcomes that a scenario expects."""

from __future__ import annotations

from aigw_conformance.suites.checks.registry import check, fail
from aigw_conformance.suites.exchange import Exchange
from aigw_conformance.suites.failures import Severity


@check("http.success", severity=Severity.CRITICAL, auto=False)
def success(exchange: Exchange) -> None:
    """A valid, authenticated request that the documents say succeeds returns 200."""
    if exchange.status != 200:
        raise fail(f"a valid request was answered {exchange.status}, expected 200: {exchange.excerpt(240)!r}")


@check("http.bad_request_400", severity=Severity.HIGH, auto=False)
def bad_request(exchange: Exchange) -> None:
    """An invalid request (malformed JSON, empty messages, invalid role) is refused with 400."""
    if exchange.status != 400:
        raise fail(f"an invalid request was answered {exchange.status}; 000 documents 400 for 'Invalid JSON, "
                   "empty messages, invalid role, parameter out of range, token limit exceeded'")
