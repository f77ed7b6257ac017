"""Schemathesis's built-in response checks, wrapped as named checks of ours for fuzzed exchanges."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from schemathesis.checks import not_a_server_error as _not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.openapi.checks import JsonSchemaError
from schemathesis.specs.openapi import checks as openapi_checks

from aigw_conformance.suites.checks.preconditions import on_ai_api
from aigw_conformance.suites.checks.registry import check, requires
from aigw_conformance.suites.checks.shapes import response_component, schema_violations
from aigw_conformance.suites.exchange import Exchange
from aigw_conformance.suites.failures import CheckFailed, Grounds, Severity


def is_fuzzed(exchange: Exchange) -> bool:
    """The exchange came from a schemathesis-generated case (its case and response are attached)."""
    return "case" in exchange.context and "response" in exchange.context


ANSWERED = "the gateway answered "  # starts the line of a refusal's answer (fuzz_tests tallies them)


def _run(exchange: Exchange, function: Callable[..., Any], classify: bool = False, answered: bool = False) -> None:
    """Run one schemathesis check; with `classify`, its schema violations are split by grounds (a violation of
    inferred elements only is a convention failure, apart from the documented ones); with `answered`, the failure
    quotes what the gateway answered (a refusal's reason), before the curl that reproduces it."""
    case, response = exchange.context["case"], exchange.context["response"]
    try:
        case.validate_response(response, checks=[function], headers=exchange.request_headers)
    except (AssertionError, FailureGroup) as error:
        failures = list(error.exceptions) if isinstance(error, FailureGroup) else [error]
        answer = f"\n  {ANSWERED}{exchange.status}: {exchange.excerpt(200)!r}" if answered else ""
        reproduce = f"{answer}\n  reproduce: {case.as_curl_command(headers=exchange.request_headers)}"
        groups: dict[Grounds | None, list[str]] = {}
        for failure in failures:
            groups.setdefault(_grounds(exchange, failure) if classify else None, []).append(_describe(failure))
        ordered = sorted(groups.items(), key=lambda pair: pair[0] is not None and pair[0].inferred)
        parts = [("; ".join(titles) + reproduce, grounds) for grounds, titles in ordered]
        raise CheckFailed(parts[0][0], parts[0][1], parts=parts) from None


def _grounds(exchange: Exchange, failure: BaseException) -> Grounds | None:
    """A body schema violation's grounds: the violated element's provenance, found by validating the body against
    the operation's component schema at the violation's path (None: the check's own grounds)."""
    if not isinstance(failure, JsonSchemaError):
        return None
    component = response_component(exchange, "application/json")
    try:
        body = exchange.json
    except ValueError:
        return None
    if component is None:
        return None
    at = list(failure.instance_path)
    judged = [grounds for message, grounds in schema_violations(component, body, at=at) if grounds is not None]
    return next((grounds for grounds in judged if not grounds.inferred), judged[0] if judged else None)


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
    _run(exchange, openapi_checks.response_schema_conformance, classify=True)


def is_positive_chat_case(exchange: Exchange) -> bool:
    """A schemathesis case of the AI API's chat completions generated in positive mode: valid against the request
    schema. (The other operations' request schemas are inferred, not yet held to acceptance.)"""
    case = exchange.context["case"]
    meta = getattr(case, "meta", None)
    return meta is not None and meta.generation.mode.is_positive and on_ai_api(exchange) and \
        getattr(case.operation, "path", None) == "/chat/completions"


# 000's 400 causes a request schema cannot rule out: a limit of the model named ("token limit exceeded"); a refusal
# naming one of these parameters is documented, whatever else the case is.
MODEL_LIMIT_PARAMETERS = frozenset({"max_completion_tokens", "max_tokens", "messages"})


def _refused_for_model_limit(exchange: Exchange) -> bool:
    if exchange.status != 400:
        return False
    try:
        error = exchange.json.get("error") if isinstance(exchange.json, dict) else None
    except ValueError:
        return False
    message = str(error.get("message", "")).lower() if isinstance(error, dict) else ""
    return isinstance(error, dict) and error.get("param") in MODEL_LIMIT_PARAMETERS and "token" in message


@check("schema.positive_data_acceptance", severity=Severity.HIGH)
@requires(is_fuzzed)
@requires(is_positive_chat_case)
def positive_data_acceptance(exchange: Exchange) -> None:
    """A chat request valid against the request schema is not refused with a 4xx the documents do not ground (000's 400
    causes are "Invalid JSON, empty messages, invalid role, parameter out of range, token limit exceeded"; only the
    last, a model's limit, can hit a schema-valid request)."""
    if _refused_for_model_limit(exchange):
        return
    _run(exchange, openapi_checks.positive_data_acceptance, answered=True)


@check("schema.negative_data_rejection", severity=Severity.HIGH)
@requires(is_fuzzed)
def negative_data_rejection(exchange: Exchange) -> None:
    """A request that violates the request schema is rejected with a 4xx."""
    _run(exchange, openapi_checks.negative_data_rejection)
