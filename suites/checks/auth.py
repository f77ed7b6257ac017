"""Checks of the two authentication schemes: bearer, or `api-key` and `api-secret` together."""

from __future__ import annotations

from aigw_conformance.suites.checks.registry import check, fail
from aigw_conformance.suites.exchange import Exchange
from aigw_conformance.suites.failures import Severity


def _expect_401(exchange: Exchange, what: str) -> None:
    if exchange.status != 401:
        raise fail(f"{what} gave {exchange.status}; expected 401 Unauthorized (000: 'You must use either "
                   "Authorization header OR API key/secret combination.')")


@check("auth.missing_credentials_401", severity=Severity.CRITICAL, auto=False)
def missing_credentials(exchange: Exchange) -> None:
    """A request without any credentials is refused with 401."""
    _expect_401(exchange, "a request without credentials")


@check("auth.wrong_bearer_401", severity=Severity.CRITICAL, auto=False)
def wrong_bearer(exchange: Exchange) -> None:
    """A wrong bearer token is refused with 401."""
    _expect_401(exchange, "a wrong bearer token")


@check("auth.wrong_key_401", severity=Severity.CRITICAL, auto=False)
def wrong_key(exchange: Exchange) -> None:
    """A wrong api-key/api-secret pair is refused with 401."""
    _expect_401(exchange, "a wrong api-key/api-secret pair")


@check("auth.key_without_secret_401", severity=Severity.CRITICAL, auto=False)
def key_without_secret(exchange: Exchange) -> None:
    """A valid api-key without its api-secret is refused with 401."""
    _expect_401(exchange, "a valid api-key without api-secret")


@check("auth.secret_without_key_401", severity=Severity.CRITICAL, auto=False)
def secret_without_key(exchange: Exchange) -> None:
    """A valid api-secret without its api-key is refused with 401: it is neither scheme (decision auth.mixed)."""
    _expect_401(exchange, "a valid api-secret without api-key")


MIXED_GROUNDS = ("000: 'You must use either Authorization header OR API key/secret combination.' and '401 "
                 "Unauthorized Missing or invalid authentication'; decision auth.mixed")


@check("auth.mixed_credentials_200_or_401", auto=False)
def mixed_credentials(exchange: Exchange) -> None:
    """A request carrying both schemes, one valid and one not, is accepted (the valid scheme is "either" of
    000's two) or refused with 401 (its other credential is invalid); the documents allow nothing else."""
    if exchange.status not in (200, 401):
        raise fail(f"a request with one valid and one invalid scheme gave {exchange.status}: "
                   f"{exchange.excerpt(160)!r}; expected 200 (the valid scheme authenticates) or 401 (an invalid "
                   f"credential was presented) ({MIXED_GROUNDS})")


def _expect_accepted(exchange: Exchange, what: str) -> None:
    if exchange.status != 200:
        raise fail(f"{what} were refused with {exchange.status}: {exchange.excerpt(160)!r}")


@check("auth.bearer_accepted", severity=Severity.CRITICAL, auto=False)
def bearer_accepted(exchange: Exchange) -> None:
    """The configured bearer token is accepted."""
    _expect_accepted(exchange, "valid bearer credentials")


@check("auth.api_key_accepted", severity=Severity.CRITICAL, auto=False)
def api_key_accepted(exchange: Exchange) -> None:
    """The configured api-key and api-secret are accepted together."""
    _expect_accepted(exchange, "valid api-key/api-secret credentials")
