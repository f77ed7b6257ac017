"""Schemathesis's built-in response checks, wrapped as named checks of ours for fuzzed exchanges."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from schemathesis.checks import not_a_server_error as _not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi import checks as openapi_checks

from aigw_conformance.suites.checks.registry import check, fail, requires
from aigw_conformance.suites.exchange import Exchange
from aigw_conformance.suites.failures import Severity


def is_fuzzed(exchange: Exchange) -> bool:
    """The exchange came from a schemathesis-generated case (its case and response are attached)."""
    return "case" in exchange.context and "response" in exchange.context


def _run(exchange: Exchange, function: Callable[..., Any]) -> None:
    case, response = exchange.context["case"], exchange.context["response"]
    try:
        case.validate_response(response, checks=[function], headers=exchange.request_headers)
    except (AssertionError, FailureGroup) as error:
        failures = list(error.exceptions) if isinstance(error, FailureGroup) else [error]
        titles = "; ".join(_describe(failure) for failure in failures)
        raise fail(f"{titles}\n  reproduce: {case.as_curl_command(headers=exchange.request_headers)}") from None


def _describe(failure: BaseException) -> str:
    title = getattr(failure, "title", "") or type(failure).__name__
    message = getattr(failure, "message", "") or str(failure)
    return f"{title}: {' '.join(message.split())[:300]}"


@check("schema.not_a_server_error", severity=Severity.CRITICAL)
@requires(is_fuzzed)
def not_a_server_error(exchange: Exchange) -> None:
    """A generated request never produces a 5xx."""
    _run(exchange, _not_a_server_error)


@check("schema.status_code_conformance", severity=Severity.MEDIUM)
@requires(is_fuzzed)
def status_code_conformance(exchange: Exchange) -> None:
    """The status is documented for the operation."""
    _run(exchange, openapi_checks.status_code_conformance)


@check("schema.content_type_conformance", severity=Severity.MEDIUM)
@requires(is_fuzzed)
def content_type_conformance(exchange: Exchange) -> None:
    """The content type is documented for the status."""
    _run(exchange, openapi_checks.content_type_conformance)


@check("schema.response_headers_conformance", severity=Severity.HIGH)
@requires(is_fuzzed)
def response_headers_conformance(exchange: Exchange) -> None:
    """Headers the spec marks required for the status (x-error, x-error-id, ...) are present and valid."""
    _run(exchange, openapi_checks.response_headers_conformance)


@check("schema.response_schema_conformance", severity=Severity.HIGH)
@requires(is_fuzzed)
def response_schema_conformance(exchange: Exchange) -> None:
    """The body matches the documented schema for its status and content type."""
    _run(exchange, openapi_checks.response_schema_conformance)


@check("schema.negative_data_rejection", severity=Severity.HIGH)
@requires(is_fuzzed)
def negative_data_rejection(exchange: Exchange) -> None:
    """A request that violates the request schema is rejected with a 4xx."""
    _run(exchange, openapi_checks.negative_data_rejection)
