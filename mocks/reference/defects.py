"""The realistic bugs the reference gateway can be switched into, and the legal variations (quirks)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

DEFECTS: dict[str, str] = {
    "no-done": "the SSE stream ends without the `data: [DONE]` terminator",
    "no-x-error-id": "error responses lack the `x-error-id` header",
    "no-x-error": "error responses lack the `x-error` header",
    "usage-total-off-by-one": "usage.total_tokens is prompt_tokens + completion_tokens + 1",
    "unstable-chunk-id": "every streamed chunk carries a different `id`",
    "temperature-unchecked": "temperature above 2 is accepted (clamped and forwarded) instead of a 400",
    "usage-chunk-unasked": "the usage-only chunk is streamed even when include_usage was not requested",
    "no-role-delta": "the first streamed delta carries no `role`",
    "key-without-secret-accepted": "a valid `api-key` without `api-secret` authenticates",
    "any-bearer-accepted": "any non-empty bearer token authenticates",
    "plain-text-errors": "error bodies are text/plain strings instead of the JSON envelope",
    "wrong-chunk-object": 'streamed chunks say `"object": "chat.completion"`',
    "stream-as-json-content-type": "the SSE response is served with `content-type: application/json`",
    "model-missing-owned-by": "models list and retrieve omit `owned_by`",
    "unknown-model-500": "an unknown model ID gives 500 instead of 404 (models retrieve and chat)",
    "created-drift": "`created` increments on every streamed chunk",
    "chunk-model-upstream-name": "the first chunk names the requested model, later chunks the upstream's dated name",
    "n-range-unchecked": "`n` outside 1..128 is accepted (clamped and forwarded) instead of a 400",
    "error-envelope-flat": 'error bodies are `{"message": ..., "code": ...}` without the `error` wrapper',
    "finish-reason-invalid": 'the final choice has `finish_reason: "end_turn"` (Anthropic\'s name leaked)',
}

# Defects of the data store and the voices list. Kept apart from DEFECTS, whose every entry the self-test
# (suites/selftest.py) requires a catching check for, until suites/ checks those endpoints; `GatewaySettings`
# and `aigw serve --defect` accept both.
DATA_DEFECTS: dict[str, str] = {
    "store-tenant-leak": "listing a store collection returns the records of every tenant, not only the caller's",
    "store-delete-any-tenant": "deleting a store record removes that key for every tenant, not only the caller's",
    "store-create-200": "creating a store record answers 200 instead of 201 Created",
    "voices-missing-id": "the voices list omits each voice's `id`",
}
# Defects of the client gateway (/api/client/v1, 002); kept apart from DEFECTS for the same reason.
CLIENT_DEFECTS: dict[str, str] = {
    "client-request-id-not-echoed": "the client's `request_id` is ignored: a fresh `req_...` ID is returned instead",
    "client-no-x-request-id": "client gateway responses lack the `X-Request-Id` header",
    "client-guardrail-passes-pii": "the input PII guardrail is skipped: requests carrying PII are forwarded",
    "client-422-as-404": "a model key that is not an LLM (wrong category) gives 404 instead of 422",
    "client-429-no-retry-after": "rate limit and quota 429 responses lack `Retry-After`",
    "client-breaker-never-opens": "consecutive upstream failures never open the circuit breaker (no 503)",
    "client-stream-no-content-filter": "PII in streamed output is relayed; the stream never ends with content_filter",
}
# Defects of the translation to Gemini's and Anthropic's native wire formats and of /chat/count; kept apart from
# DEFECTS for the same reason (the self-test targets OpenAI models only).
XLATE_DEFECTS: dict[str, str] = {
    "xlate-claude-no-max-tokens": "max_tokens is not sent to Anthropic unless the caller set one: its 400 "
                                  "`max_tokens: Field required` reaches the caller of a valid request",
    "xlate-gemini-finish-reason-raw": 'Gemini\'s finishReason passes through raw (`"STOP"`, `"MAX_TOKENS"`)',
    "xlate-claude-tool-args-object": "Claude tool_calls carry `function.arguments` as the input object, "
                                     "not a JSON string (non-streaming)",
    "xlate-reasoning-budget-wrong": "the thinking budget is not scaled by reasoning_effort: every level gets "
                                    "50% of max tokens (Claude and Gemini)",
    "xlate-count-claude-accepted": "/chat/count answers Claude models (counted with o200k_base) instead of "
                                   "the documented refusal",
}
ALL_DEFECTS: dict[str, str] = {**DEFECTS, **DATA_DEFECTS, **CLIENT_DEFECTS, **XLATE_DEFECTS}

QUIRKS: dict[str, str] = {
    "crlf": "SSE lines end with CRLF instead of LF",
    "comments": "`: keep-alive` comment lines are sent before and between SSE events",
}


def checked(names: Iterable[str], known: Mapping[str, str], kind: str) -> frozenset[str]:
    """`names` as a frozenset; ValueError naming the valid ones if any is unknown."""
    chosen = frozenset(names)
    unknown = sorted(chosen - known.keys())
    if unknown:
        valid = ", ".join(sorted(known))
        raise ValueError(f"unknown {kind} {', '.join(unknown)}; valid {kind}s are: {valid}")
    return chosen
