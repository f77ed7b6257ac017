"""Checks of what the gateway admits: Content-Type, restricted credentials (403), providers, model capabilities."""

from __future__ import annotations

from aigw_conformance.suites.checks.errors import CONTENT_TYPE_REFUSALS, DEDICATED_MODEL_REFUSALS
from aigw_conformance.suites.checks.output import as_dict, choices_of
from aigw_conformance.suites.checks.registry import check, fail
from aigw_conformance.suites.exchange import Exchange
from aigw_conformance.suites.failures import Severity


@check("http.content_type_400", severity=Severity.HIGH, auto=False)
def content_type_400(exchange: Exchange) -> None:
    """A JSON body sent with another Content-Type than application/json (or none) is refused: 400, or 415."""
    sent = exchange.request_headers.get("content-type")
    shown = repr(sent) if sent else "no Content-Type"
    if exchange.status not in CONTENT_TYPE_REFUSALS:
        raise fail(f"a JSON body sent with {shown} was answered {exchange.status}, expected 400 or 415 (000: "
                   "'Content-Type ... Yes ... Must be application/json'; 400 is the documented status for a body the "
                   f"gateway cannot take, 415 HTTP's own): {exchange.excerpt(160)!r}")


@check("auth.no_access_403", severity=Severity.CRITICAL, auto=False)
def no_access_403(exchange: Exchange) -> None:
    """A valid credential without AI API access is refused with 403, not 401 (it is not invalid) nor served."""
    if exchange.status == 403:
        return
    why = " (the credential is valid: 401 says it is not)" if exchange.status == 401 else ""
    raise fail(f"a credential without AI API access ([auth.restricted]) was answered {exchange.status}{why}; 001 "
               f"documents '403 Forbidden Insufficient permissions for AI API access': {exchange.excerpt(160)!r}")


@check("auth.model_not_allowed_403", severity=Severity.CRITICAL, auto=False)
def model_not_allowed_403(exchange: Exchange) -> None:
    """A credential asking for a model it is not allowed gets 403 (000: 'Insufficient permissions or model not
    allowed')."""
    if exchange.status != 403:
        raise fail(f"a credential not allowed model {exchange.context.get('model')!r} ([auth.restricted_models] "
                   f"denied) was answered {exchange.status}; 000 documents '403 Forbidden Insufficient permissions "
                   f"or model not allowed': {exchange.excerpt(160)!r}")


@check("models.unknown_provider_404", severity=Severity.MEDIUM, auto=False)
def unknown_provider_404(exchange: Exchange) -> None:
    """A model ID naming a provider the gateway does not have (`provider/model`) gives 404 (001: 'Model or
    provider not found')."""
    if exchange.status != 404:
        raise fail(f"a model ID of an unknown provider gave {exchange.status}; 001 documents '404 Not Found Model "
                   f"or provider not found': {exchange.excerpt(160)!r}")


def _capability_problem(exchange: Exchange, capability: str) -> str | None:
    """Why an answer does not show `capability`, or None."""
    if exchange.status != 200:
        return f"was answered {exchange.status}: {exchange.excerpt(160)!r}"
    found = choices_of(exchange)
    if not found:
        return "was answered 200 without a choice"
    if capability == "tools-use" and not any(choice.tool_calls for choice in found):
        return "made no tool call although tool_choice was required"
    return None


@check("models.capability_honoured", severity=Severity.HIGH, auto=False)
def capability_honoured(exchange: Exchange) -> None:
    """A listed capability holds (context `capability`, `model`, `claimed`): chat answers 200, image accepts an
    image part, tools-use makes a tool call, reasoning accepts reasoning_effort; a model without `chat` is refused
    by /chat/completions (400, 403 or 404: errors.DEDICATED_MODEL_REFUSALS)."""
    capability, model = exchange.context.get("capability"), exchange.context.get("model")
    claimed = exchange.context.get("claimed", True)
    if not claimed:
        if exchange.status not in DEDICATED_MODEL_REFUSALS:
            raise fail(f"model {model!r} does not list `chat` among its capabilities, yet /chat/completions "
                       f"answered {exchange.status}, expected a refusal (400, 403 or 404; 000: embedding and audio "
                       "models 'do not support /chat/completions')")
        return
    problem = _capability_problem(exchange, str(capability))
    if problem:
        raise fail(f"model {model!r} lists the `{capability}` capability, but a request using it {problem} (001: "
                   "'Use the /models endpoint to discover all currently available models and their capabilities')")


@check("client.tool_result_answered", severity=Severity.HIGH, auto=False)
def tool_result_answered(exchange: Exchange) -> None:
    """On the client gateway, user → assistant (tool_calls) → tool (tool_call_id) is answered 200 with text."""
    if exchange.status != 200:
        raise fail(f"a conversation ending in a tool result (with its tool_call_id) was answered {exchange.status}: "
                   f"{exchange.excerpt(200)!r} (002: role 'tool' in the message format; is tool_call_id forwarded?)")
    if not any(choice.content for choice in choices_of(exchange)):
        raise fail("the answer to a tool result carries no assistant text")


@check("client.tool_message_handled", severity=Severity.MEDIUM, auto=False)
def tool_message_handled(exchange: Exchange) -> None:
    """A bare `tool` message as 002 shows it (role and content, no tool_call_id) is answered 200, or refused with
    400 invalid_request_error; never a server or provider error."""
    if exchange.status == 200:
        return
    if exchange.status != 400:
        raise fail(f"a tool message without tool_call_id (002's message format) was answered {exchange.status}; "
                   f"expected 200, or 400 naming the missing tool_call_id: {exchange.excerpt(160)!r}")
    try:
        error = as_dict(as_dict(exchange.json).get("error"))
    except ValueError:
        error = {}
    if error.get("type") != "invalid_request_error":
        raise fail(f"the 400 for a bare tool message has error.type {error.get('type')!r}, expected "
                   "invalid_request_error")
