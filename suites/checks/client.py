"""Checks of the client gateway (002): request IDs, guardrail blocks and filters, and its documented statuses."""

from __future__ import annotations

from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import unquote

from aigw_conformance.suites.checks.preconditions import is_error, on_client_api
from aigw_conformance.suites.checks.registry import check, fail, requires
from aigw_conformance.suites.checks.shapes import json_body, require_schema
from aigw_conformance.suites.checks.stream import chunks
from aigw_conformance.suites.exchange import Exchange
from aigw_conformance.suites.failures import Severity

HEADER = "x-request-id"


def _sent_request_id(exchange: Exchange) -> str | None:
    given = exchange.request_json.get("request_id") if isinstance(exchange.request_json, dict) else None
    return given if isinstance(given, str) and given else None


def _header_is(header: str, request_id: str) -> bool:
    """The header carries `request_id`, verbatim or percent-encoded (a header cannot hold every string)."""
    return header == request_id or unquote(header) == request_id


def _is_success(exchange: Exchange) -> bool:
    return exchange.status < 400


def _echo_applies(exchange: Exchange) -> bool:
    return exchange.status == 200 and _sent_request_id(exchange) is not None


def _is_429(exchange: Exchange) -> bool:
    return exchange.status == 429


def _success_stream(exchange: Exchange) -> bool:
    return exchange.status < 400 and exchange.stream_requested


def _success_json(exchange: Exchange) -> bool:
    return exchange.status < 400 and not exchange.stream_requested


@check("client.x_request_id", severity=Severity.HIGH)
@requires(_success_stream)
@requires(on_client_api)
def x_request_id(exchange: Exchange) -> None:
    """A client gateway stream carries a non-empty `X-Request-Id` (002 shows it on the stream: "X-Request-Id:
    req_abc123")."""
    if not exchange.headers.get(HEADER, "").strip():
        raise fail("the stream's `X-Request-Id` header is missing or empty; 002 shows it on the streamed response "
                   "(\"X-Request-Id: req_abc123\"), and clients correlate their logs with it")


@check("client.x_request_id_on_json", severity=Severity.MEDIUM, inferred=True)
@requires(_success_json)
@requires(on_client_api)
def x_request_id_on_json(exchange: Exchange) -> None:
    """A client gateway JSON reply carries `X-Request-Id` too (convention: 002 shows the header on the stream only;
    its JSON reply carries the ID as `request_id`)."""
    if not exchange.headers.get(HEADER, "").strip():
        raise fail("the `X-Request-Id` header is missing or empty; 002 shows it on the stream only, so on a JSON "
                   "reply it is a convention (the body's request_id carries the ID)")


@check("client.x_request_id_on_error", severity=Severity.MEDIUM, inferred=True)
@requires(is_error)
@requires(on_client_api)
def x_request_id_on_error(exchange: Exchange) -> None:
    """Client gateway errors carry `X-Request-Id` too, so a failed request can be traced."""
    if not exchange.headers.get(HEADER, "").strip():
        raise fail(f"the {exchange.status} error has no `X-Request-Id` header; without it the caller cannot "
                   "quote the failed request to support")


@check("client.request_id_echoed", severity=Severity.HIGH)
@requires(_echo_applies)
@requires(on_client_api)
def request_id_echoed(exchange: Exchange) -> None:
    """A request sent with `request_id` is answered with an ID: the client's echoed or one the gateway made (002's
    own example sends "optional-correlation-id" and gets "request_id": "req_abc123"), in the JSON reply's
    `request_id`, and one ID per request where the header carries one too."""
    sent = _sent_request_id(exchange)
    assert sent is not None
    header = exchange.headers.get(HEADER, "")
    if exchange.stream_requested:
        return  # the stream's header is client.x_request_id's; 002's chunks carry no request_id
    body = json_body(exchange)
    answered = body.get("request_id") if isinstance(body, dict) else None
    if not isinstance(answered, str) or not answered:
        raise fail(f"sent request_id {sent!r} but the response's request_id is {answered!r}; 002 answers a "
                   "request_id with one (\"request_id\": \"req_abc123\"), the client's echoed or the gateway's own")
    if header and not _header_is(header, answered):
        raise fail(f"`X-Request-Id` is {header!r} but the body's request_id is {answered!r}; one request has one ID")


@check("client.request_id_generated", severity=Severity.HIGH, auto=False)
def request_id_generated(exchange: Exchange) -> None:
    """Without `request_id`, the gateway assigns one: in the body and `X-Request-Id`, different for every request."""
    if exchange.status != 200:
        raise fail(f"a valid request without request_id was answered {exchange.status}: {exchange.excerpt(200)!r}")
    body = json_body(exchange)
    assigned = body.get("request_id") if isinstance(body, dict) else None
    if not isinstance(assigned, str) or not assigned:
        raise fail(f"the response's request_id is {assigned!r}; 002's response carries the gateway's "
                   "\"request_id\": \"req_abc123\"")
    header = exchange.headers.get(HEADER, "")
    if header and not _header_is(header, assigned):  # 002 shows the header on streams only: absent is no mismatch
        raise fail(f"`X-Request-Id` is {header!r} but the body's request_id is {assigned!r}; one request has one ID")
    seen: list[str] = list(exchange.context.get("seen_request_ids", ()))
    if assigned in seen:
        raise fail(f"request_id {assigned!r} was already given to an earlier request; a correlation ID must "
                   "identify one request")


def _expect_status(exchange: Exchange, status: int, what: str, documented: str) -> None:
    if exchange.status != status:
        raise fail(f"{what} was answered {exchange.status}, expected {status} (002: '{documented}'): "
                   f"{exchange.excerpt(160)!r}")


@check("client.bad_request_400", severity=Severity.HIGH, auto=False)
def bad_request(exchange: Exchange) -> None:
    """A request without `model` or without `messages` is refused with 400, not as a guardrail block."""
    _expect_status(exchange, 400, "a request missing a required field", "400 | Missing model or messages")
    body = json_body(exchange)
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and error.get("type") == "guardrail_block":
        raise fail("a request missing a required field was refused as a guardrail block")


@check("client.invalid_token_401", severity=Severity.CRITICAL, auto=False)
def invalid_token(exchange: Exchange) -> None:
    """A missing or wrong API token is refused with 401."""
    _expect_status(exchange, 401, "a request with a missing or wrong API token", "401 | Invalid API token")


@check("client.unknown_model_404", severity=Severity.MEDIUM, auto=False)
def unknown_model(exchange: Exchange) -> None:
    """A model key that is not configured gives 404."""
    _expect_status(exchange, 404, "a model key that is not configured", "404 | Model not found")


@check("client.non_llm_422", severity=Severity.MEDIUM, auto=False)
def non_llm(exchange: Exchange) -> None:
    """A model key of another category (embedding, audio) gives 422."""
    _expect_status(exchange, 422, "a model key that is not an LLM", "422 | Model is not an LLM (wrong category)")


@check("client.rate_limited_429", severity=Severity.HIGH, auto=False)
def rate_limited(exchange: Exchange) -> None:
    """The request past the token's rate limit is refused with 429."""
    _expect_status(exchange, 429, f"request {exchange.context.get('attempt', '?')} within the rate limit window "
                   f"of a token allowed {exchange.context.get('limit', '?')}", "429 | Rate limit or quota exceeded")


@check("client.quota_exceeded_429", severity=Severity.HIGH, auto=False)
def quota_exceeded(exchange: Exchange) -> None:
    """A request with a token whose quota is used up is refused with 429."""
    _expect_status(exchange, 429, "a request with a token whose quota is used up",
                   "429 | Rate limit or quota exceeded")


@check("client.retry_after", severity=Severity.MEDIUM, inferred=True)
@requires(_is_429)
@requires(on_client_api)
def retry_after(exchange: Exchange) -> None:
    """A client gateway 429 says when to retry: `Retry-After` in seconds or as an HTTP-date."""
    value = exchange.headers.get("retry-after", "").strip()
    if not value:
        raise fail("the 429 has no `Retry-After` header; OpenAI-compatible clients (and RFC 6585) rely on it to "
                   "back off instead of hammering the gateway")
    if value.isdigit():
        return
    try:
        parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        raise fail(f"`Retry-After: {value}` is neither delay-seconds nor an HTTP-date (RFC 9110 §10.2.3)") from None


@check("client.breaker_open_503", severity=Severity.HIGH, auto=False)
def breaker_open(exchange: Exchange) -> None:
    """After the provider failed `threshold` times in a row, its circuit breaker is open: 503."""
    failures = exchange.context.get("failures", "?")
    _expect_status(exchange, 503, f"a request to a provider that just failed {failures} times in a row",
                   "503 | Provider circuit breaker open")


@check("client.guardrail_block", severity=Severity.HIGH, auto=False)
def guardrail_block(exchange: Exchange) -> None:
    """Input PII is blocked: 400 with `type: guardrail_block`, `guardrail_key`, `action` and `findings`."""
    what = f"a request carrying PII ({exchange.context.get('pii', 'PII')})"
    _expect_status(exchange, 400, what, "If a guardrail blocks the request: ... Status code: 400")
    body = json_body(exchange)
    require_schema("GuardrailErrorResponse", body, "the guardrail block")
    if not body["error"]["findings"]:
        raise fail("the guardrail block lists no findings; 002's body names what was detected, e.g. "
                   '{"category": "email", "message": "PII detected"}')


def _final_reasons(exchange: Exchange) -> dict[Any, Any]:
    if exchange.stream_requested:
        reasons: dict[Any, Any] = {}
        for chunk in chunks(exchange):
            for choice in chunk.get("choices") or []:
                if isinstance(choice, dict) and choice.get("finish_reason") is not None:
                    reasons[choice.get("index")] = choice["finish_reason"]
        return reasons
    body = json_body(exchange)
    return {choice.get("index"): choice.get("finish_reason") for choice in (body.get("choices") or [])
            if isinstance(choice, dict)} if isinstance(body, dict) else {}


@check("client.output_content_filter", severity=Severity.HIGH, auto=False)
def output_content_filter(exchange: Exchange) -> None:
    """Output that would carry PII is cut: the answer (streamed or not) ends with `finish_reason: content_filter`."""
    if exchange.status != 200:
        raise fail(f"the request was answered {exchange.status}: {exchange.excerpt(160)!r}")
    reasons = _final_reasons(exchange)
    if "content_filter" not in reasons.values():
        kind = exchange.context.get("pii", "PII")
        raise fail(f"the output was made to carry {kind} but ended with finish_reason {reasons or 'none'}; the "
                   "gateway relayed it instead of stopping with content_filter")
