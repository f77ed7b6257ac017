"""Validation of POST /chat/completions: media type, JSON, the spec's request schema, then semantic rules."""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Iterable
from typing import Any

from jsonschema import Draft202012Validator, ValidationError
from jsonschema.exceptions import best_match
from starlette.datastructures import Headers
from starlette.requests import ClientDisconnect, Request
from starlette.types import Receive

from aigw_conformance.mocks.reference.catalogue import ModelEntry, find
from aigw_conformance.mocks.reference.errors import GatewayError
from aigw_conformance.mocks.reference.fast_schema import VALID, Check, compile_schema
from aigw_conformance.mocks.reference.settings import GatewaySettings
from aigw_conformance.spec.loader import request_body_schema, validator_for_schema

CHAT_PATH = "/api/ai/v1/chat/completions"
RANGE_KEYWORDS = frozenset({"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"})
# defect → (parameter, range keywords it stops enforcing)
RELAXED_RANGES: dict[str, tuple[str, frozenset[str]]] = {
    "temperature-unchecked": ("temperature", frozenset({"maximum", "exclusiveMaximum"})),
    "n-range-unchecked": ("n", RANGE_KEYWORDS),
}


@functools.cache
def _chat_validator() -> Draft202012Validator:
    return validator_for_schema(request_body_schema(CHAT_PATH, "post"))


@functools.cache
def _chat_fast_check() -> Check:
    return compile_schema(request_body_schema(CHAT_PATH, "post"))


MAX_JSON_DEPTH = 64  # nested arrays and objects; no request of these APIs comes near (convention: a 400, not a 500)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    """A JSON number as a float; one too large for a double (1e999) is refused, never turned into inf."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:40]} is out of range (not a finite double)")
    return value


DECODER = json.JSONDecoder(parse_constant=_reject_constant, parse_float=_finite_float)  # as json.loads builds it
PROMPT_ENCODER = json.JSONEncoder(ensure_ascii=False)  # `json.dumps(..., ensure_ascii=False)`'s, built once


def check_media_type(content_type: str | None, settings: GatewaySettings) -> None:
    """400 unless the Content-Type is application/json (parameters aside)."""
    media_type = (content_type or "").split(";")[0].strip().lower()
    if media_type != "application/json" and not settings.has("content-type-ignored"):
        shown = repr(media_type) if media_type else "missing"
        message = f"Content-Type must be application/json, got {shown}"
        raise GatewayError(400, message, code="invalid_content_type")


def too_large(settings: GatewaySettings) -> GatewayError:
    return GatewayError(413, f"request body exceeds {settings.max_body_bytes} bytes", code="request_too_large")


def too_deep(value: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether `value` nests arrays and objects more than `limit` levels deep (level by level, no recursion)."""
    level = [value] if isinstance(value, dict | list) else []
    for _ in range(limit):
        children = (child for item in level for child in (item.values() if isinstance(item, dict) else item))
        level = [child for child in children if isinstance(child, dict | list)]
        if not level:
            return False
    return True


def parse_json(raw: bytes | bytearray) -> Any:
    """The body as JSON; 400 for an empty body, malformed JSON, non-finite numbers, or nesting past
    `MAX_JSON_DEPTH` (deeper values would exhaust the recursion of the code that reads them)."""
    if not raw.strip():
        raise GatewayError(400, "request body is empty; expected a JSON object", code="invalid_json")
    too_nested = GatewayError(400, f"malformed JSON: nested deeper than {MAX_JSON_DEPTH} levels", code="invalid_json")
    try:
        value = DECODER.decode(raw.decode(json.detect_encoding(raw), "surrogatepass"))  # as json.loads does
    except ValueError as exc:  # includes JSONDecodeError and UnicodeDecodeError
        raise GatewayError(400, f"malformed JSON: {exc}", code="invalid_json") from None
    except RecursionError:
        raise too_nested from None
    if too_deep(value):
        raise too_nested
    return value


async def read_json(request: Request, settings: GatewaySettings) -> Any:
    """The request body as JSON; 400 for a wrong Content-Type or malformed JSON, 413 when too large."""
    check_media_type(request.headers.get("content-type"), settings)
    raw = bytearray()
    async for piece in request.stream():
        raw += piece
        if len(raw) > settings.max_body_bytes:
            raise too_large(settings)
    return parse_json(raw)


async def receive_json(headers: Headers, receive: Receive, settings: GatewaySettings) -> Any:
    """`read_json` straight from the ASGI `receive` (the body read as `Request.stream` reads it)."""
    check_media_type(headers.get("content-type"), settings)
    raw = bytearray()
    while True:
        message = await receive()
        if message["type"] == "http.request":
            raw += message.get("body", b"")
            if len(raw) > settings.max_body_bytes:
                raise too_large(settings)
            if not message.get("more_body", False):
                return parse_json(raw)
        elif message["type"] == "http.disconnect":
            raise ClientDisconnect()


def _relaxed(error: ValidationError, settings: GatewaySettings) -> bool:
    """Whether a defect switches off the check that produced `error`."""
    for defect, (parameter, keywords) in RELAXED_RANGES.items():
        if not settings.has(defect) or list(error.absolute_path) != [parameter]:
            continue
        if error.validator in keywords:
            return True
        branches = error.context or ()
        if error.validator in ("anyOf", "oneOf") and any(sub.validator in keywords for sub in branches):
            return True
    return False


def _param(error: ValidationError) -> str | None:
    path = [str(part) for part in error.absolute_path]
    required = error.validator_value if error.validator == "required" else None
    if isinstance(required, list) and isinstance(error.instance, dict):
        missing = [str(name) for name in required if name not in error.instance]
        path += missing[:1]
    return ".".join(path) or None


def schema_error(errors: Iterable[ValidationError]) -> GatewayError | None:
    error = best_match(errors)
    if error is None:
        return None
    param = _param(error)
    message = f"{param}: {error.message}" if param else error.message
    path = list(error.schema_path)
    if "dependentSchemas" in path[:-1]:  # e.g. top_logprobs needs logprobs: true
        trigger = str(path[path.index("dependentSchemas") + 1])
        param, message = trigger, f"{trigger}: when {trigger} is set, {message}"
    return GatewayError(400, message[:1000], code="invalid_parameter", param=param)


def check_schema(body: Any, settings: GatewaySettings) -> dict[str, Any]:
    """`body` validated against the spec's ChatCompletionRequest; 400 naming the parameter otherwise. A body the
    fast path finds surely valid skips jsonschema; anything else (every rejection) is decided by jsonschema."""
    if isinstance(body, dict) and _chat_fast_check()(body) == VALID:
        return body
    errors = [error for error in _chat_validator().iter_errors(body) if not _relaxed(error, settings)]
    problem = schema_error(errors)
    if problem is not None:
        raise problem
    if not isinstance(body, dict):  # the schema says object; this keeps the type checker honest
        raise GatewayError(400, "request body must be a JSON object", code="invalid_parameter")
    return body


def check_semantics(body: dict[str, Any], settings: GatewaySettings) -> ModelEntry:
    """Rules the schema cannot express: the model exists, logprobs pairing, token limits."""
    model_id = body.get("model")
    entry = find(model_id, settings.upstreams) if isinstance(model_id, str) else None
    if entry is None:
        if settings.has("unknown-provider-500") and "/" in str(model_id):  # `provider/model`: a KeyError
            raise GatewayError(500, f"internal server error: KeyError({str(model_id).split('/')[0]!r})")
        if settings.has("unknown-model-500"):
            raise GatewayError(500, f"internal server error: KeyError({model_id!r})")
        raise GatewayError(404, f"model {model_id!r} not found", code="model_not_found", param="model")
    if entry.endpoint != "chat" and settings.has("dedicated-model-500"):  # sent upstream, its refusal relayed
        raise GatewayError(500, f"provider error: {entry.provider} returned 400: the model does not support "
                           "Chat Completions API", code="provider_error", error_type="provider_error")
    if entry.endpoint != "chat":
        raise GatewayError(400, f"model {entry.id!r} does not support /chat/completions: it is served on "
                           f"/{entry.endpoint} (capabilities: {', '.join(entry.capabilities)})",
                           code="unsupported_model", param="model")
    if settings.has("assistant-reasoning-refused") and any(
            isinstance(m, dict) and "reasoning" in m for m in body["messages"]):
        raise GatewayError(400, "messages: unknown field 'reasoning'", code="invalid_parameter", param="messages")
    if "top_logprobs" in body and body.get("logprobs") is not True:
        raise GatewayError(400, "top_logprobs requires logprobs=true", code="invalid_parameter",
                           param="top_logprobs")
    for name in ("max_completion_tokens", "max_tokens"):
        value = body.get(name)
        if isinstance(value, int) and value > entry.max_completion_tokens:
            raise GatewayError(400, f"{name}: {value} exceeds the maximum of {entry.max_completion_tokens} "
                               f"completion tokens for {entry.id}", code="invalid_parameter", param=name)
    check_token_limits(body, entry)
    return entry


def completion_budget(body: dict[str, Any], entry: ModelEntry) -> int:
    """max_completion_tokens, else its alias max_tokens, else 50% of the model's maximum (000)."""
    for name in ("max_completion_tokens", "max_tokens"):
        value = body.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return entry.default_completion_tokens


def _upper_bound(messages: Any) -> int:
    """A cheap bound above the prompt's token count: BPE never yields more tokens than UTF-8 bytes,
    plus a generous allowance per non-text content part (images are priced by tiles, not bytes)."""
    listed = messages if isinstance(messages, list) else []
    contents = [m.get("content") for m in listed if isinstance(m, dict)]
    parts = sum(len(content) for content in contents if isinstance(content, list))
    return len(PROMPT_ENCODER.encode(messages).encode()) + 2_000 * parts + 16


def prompt_tokens(messages: Any, entry: ModelEntry) -> int:
    from aigw_conformance.mocks.core.tokens import count_message_tokens

    return int(count_message_tokens(messages, entry.encoding))


def check_token_limits(body: dict[str, Any], entry: ModelEntry) -> None:
    """400 "token limit exceeded" when the prompt, or prompt plus completion budget, exceeds the limits."""
    messages = body.get("messages")
    budget = completion_budget(body, entry)
    ceiling = min(entry.max_input_tokens, entry.max_total_tokens - budget)
    if _upper_bound(messages) <= ceiling:
        return  # cannot be over the limits; skip the (slow, pure-Python) tokenizer
    prompt = prompt_tokens(messages, entry)
    if prompt > entry.max_input_tokens:
        raise GatewayError(400, f"token limit exceeded: the messages are {prompt} tokens, over the "
                           f"{entry.max_input_tokens}-token input limit of {entry.id}",
                           code="token_limit_exceeded", param="messages")
    if prompt + budget > entry.max_total_tokens:
        raise GatewayError(400, f"token limit exceeded: {prompt} prompt + {budget} completion tokens exceed "
                           f"the {entry.max_total_tokens}-token total limit of {entry.id}",
                           code="token_limit_exceeded", param="max_completion_tokens")
