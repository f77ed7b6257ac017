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
