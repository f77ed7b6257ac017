"""The literal gateway's reshapings: each cuts the reference's answer to what a seed document shows (quoted)."""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

AI, CLIENT = "/api/ai/v1", "/api/client/v1"
DROPPED_HEADERS = frozenset({"content-length", "transfer-encoding", "connection", "date", "server", "host",
                             "content-encoding", "keep-alive"})
# 002, "Guardrail Blocking": {"error": {"message": "Content blocked by guardrail", "type": "guardrail_block",
# "guardrail_key": "pii-checker", "action": "block", "findings": [...]}} is the one error body the documents show
# (000 and 001 show none: only 001's "All error responses include the following custom headers"). So every error
# body is `error.message` and `error.type`, and the guardrail's three fields; no `param`, `code` or `request_id`.
GUARDRAIL_FIELDS = ("guardrail_key", "action", "findings")
# 001: "The response includes all active models with their provider, capabilities, and token limits.";
# "Each model’s owned_by field still identifies the original maintainer"  # noqa: RUF003
# "Token Limits ... max_input_tokens ... max_completion_tokens ... max_total_tokens". Plus the `id` (000: "Model ID to
# use for inference (see Models)").
MODEL_FIELDS = ("id", "owned_by", "provider", "capabilities", "max_input_tokens", "max_completion_tokens",
                "max_total_tokens")
# 000: "n integer No Number of completions to generate (1-128, default: 1). Some providers may restrict this
# value." These providers restrict it to one (000's table: "n Number of completions (1-128) Yes Yes No", Gemini No).
ONE_CHOICE_PROVIDERS = frozenset({"gemini", "claude"})


def minimal_error(body: Any) -> Any:
    """The error body cut to the fields 002's guardrail example shows (see GUARDRAIL_FIELDS)."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return body
    kept = {key: error[key] for key in ("message", "type") if key in error}
    if error.get("type") == "guardrail_block":
        kept.update({key: error[key] for key in GUARDRAIL_FIELDS if key in error})
    return {"error": kept}


def catalogue(body: Any) -> Any:
    """GET /models without `object` or `created` (001 shows neither; see MODEL_FIELDS)."""
    models = body.get("data") if isinstance(body, dict) else None
    if not isinstance(models, list):
        return body
    return {"data": [{key: model[key] for key in MODEL_FIELDS if key in model} for model in models
                     if isinstance(model, dict)]}


def one_choice(body: Any, providers: dict[str, str]) -> Any:
    """A valid `n` dropped for a provider that restricts it: one choice (an invalid `n` still reaches validation)."""
    if not isinstance(body, dict) or providers.get(str(body.get("model"))) not in ONE_CHOICE_PROVIDERS:
        return body
    n = body.get("n")
    if isinstance(n, int) and not isinstance(n, bool) and 1 <= n <= 128:
        return {key: value for key, value in body.items() if key != "n"}
    return body


def without_finish_reason(event: bytes) -> bytes:
    """One client SSE event with no `finish_reason`: 002's "Response (Streaming)" chunks are
    `{"id":"chatcmpl-abc","object":"chat.completion.chunk","choices":[{"delta":{"content":"The"},"index":0}]}`."""
    lines = []
    for line in event.split(b"\n"):
        if line.startswith(b"data:") and line[5:].strip() != b"[DONE]":
            with contextlib.suppress(ValueError):
                chunk = json.loads(line[5:])
                choices = chunk.get("choices") if isinstance(chunk, dict) else None
                for choice in choices if isinstance(choices, list) else []:
                    if isinstance(choice, dict):
                        choice.pop("finish_reason", None)
                line = b"data: " + json.dumps(chunk, ensure_ascii=False).encode()
        lines.append(line)
    return b"\n".join(lines)


async def client_events(source: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    buffer = b""
    async for piece in source:
        buffer += piece.replace(b"\r\n", b"\n")
        *events, buffer = buffer.split(b"\n\n")
        for event in events:
            yield without_finish_reason(event) + b"\n\n"
    if buffer:
        yield without_finish_reason(buffer)


def gateway_request_id() -> str:
    """002's example: the request sends "request_id": "optional-correlation-id", the answer has "request_id":
    "req_abc123" (and the stream "X-Request-Id: req_abc123"): an ID the gateway made, whatever the client sent."""
    return "req_" + uuid.uuid4().hex[:12]

