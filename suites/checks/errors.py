"""Checks of the error contract: documented statuses, the JSON envelope, `x-error` and `x-error-id`."""

from __future__ import annotations

from typing import cast

from aigw_conformance.spec.loader import ApiName, match_operation
from aigw_conformance.suites.checks.preconditions import is_error, no_injected_fault, on_ai_api
from aigw_conformance.suites.checks.registry import check, fail, requires
from aigw_conformance.suites.exchange import Exchange
from aigw_conformance.suites.failures import Grounds, Severity

# One rule, used wherever a chat completion names an embedding or audio model: 000 says they "use their dedicated
# endpoints (/embeddings, /audio/*) and do not support /chat/completions" and names no status; 000's table gives
# 400 "Invalid ..." and 403 "model not allowed", 001's 404 "Model or provider not found": each is a refusal.
DEDICATED_MODEL_REFUSALS = (400, 403, 404)
# A body sent without `Content-Type: application/json` (000: "Must be application/json"): 400, the documents' status
# for a body the gateway cannot take, or 415 Unsupported Media Type, HTTP's own (RFC 9110 §15.5.16; a convention).
CONTENT_TYPE_REFUSALS = (400, 415)
# 001's "Error Codes" table, for the whole AI API: which of them an operation can give is the spec's inference from
# their causes (no body on GET /models, so no 400), so another of them there is a convention failure, not a
# documented one.
AI_API_STATUSES = frozenset({"200", "400", "401", "403", "404", "500"})


def content_type_refused(exchange: Exchange) -> bool:
    """A 415 answer to a request whose Content-Type is not application/json: the convention the documents allow."""
    sent = next((value for name, value in exchange.request_headers.items() if name.lower() == "content-type"), "")
    return exchange.status == 415 and sent.split(";")[0].strip().lower() != "application/json"


@check("errors.status_documented", severity=Severity.MEDIUM)
@requires(no_injected_fault)
def status_documented(exchange: Exchange) -> None:
    """The status is one the spec documents for this operation."""
    method, _, path = exchange.operation.partition(" ")
    matched = match_operation(cast(ApiName, exchange.api), method, path)
    if matched is None or content_type_refused(exchange):
        return
    template, operation = matched
    documented = set(operation.get("responses", {}))
    family = f"{str(exchange.status)[0]}XX"
    if str(exchange.status) not in documented and family not in documented and "default" not in documented:
        message = (f"status {exchange.status} is not documented for {method} {template} "
                   f"(documented: {', '.join(sorted(documented))})")
        if exchange.api == "ai" and str(exchange.status) in AI_API_STATUSES:
            raise fail(message, Grounds.convention(
                f"001's Error Codes table lists {exchange.status} for the AI API as a whole; that {method} {template} "
                "does not give it is the spec's inference from the causes the table names", source=template))
        raise fail(message)


@check("errors.json_content_type", severity=Severity.HIGH)
@requires(is_error)
def json_content_type(exchange: Exchange) -> None:
    """Error responses are JSON (`application/json`), never text/plain or HTML."""
    if exchange.content_type != "application/json":
        raise fail(f"error served as {exchange.content_type or 'no content-type'!r}, expected application/json: "
                   f"{exchange.excerpt(120)!r}")


@check("errors.envelope", severity=Severity.HIGH, inferred=True)
@requires(is_error)
def envelope(exchange: Exchange) -> None:
    """The error body is `{"error": {"message": str, "type": str, ...}}`, the OpenAI envelope."""
    try:
        body = exchange.json
    except ValueError:
        raise fail(f"error body is not JSON: {exchange.excerpt(120)!r}") from None
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        raise fail(f"error body has no `error` object: {exchange.excerpt(160)!r}; OpenAI SDKs read "
                   "`error.message` and `error.type`")
    for key in ("message", "type"):
        if not isinstance(error.get(key), str) or not error.get(key):
            raise fail(f"error.{key} is {error.get(key)!r}, expected a non-empty string")


@check("errors.x_error", severity=Severity.HIGH)
@requires(is_error)
@requires(on_ai_api)
def x_error(exchange: Exchange) -> None:
    """Every AI API error carries a non-empty `x-error` header (001: "All error responses include ...")."""
    if not exchange.headers.get("x-error", "").strip():
        raise fail("the `x-error` header is missing or empty; 001 says all error responses include it")


@check("errors.x_error_id", severity=Severity.HIGH)
@requires(is_error)
@requires(on_ai_api)
def x_error_id(exchange: Exchange) -> None:
    """Every AI API error carries a non-empty `x-error-id` header for tracking and support."""
    if not exchange.headers.get("x-error-id", "").strip():
        raise fail("the `x-error-id` header is missing or empty; 001 says all error responses include it")
