"""The client request: required fields, the spec's ClientChatCompletionRequest, and the dashboard's model keys."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator

from aigw_conformance.mocks.reference.catalogue import ModelEntry, find
from aigw_conformance.mocks.reference.client.errors import (
    PROVIDER_FAILURE_STATUS,
    ClientError,
    from_gateway,
    internal,
    invalid_request,
    model_not_found,
    not_an_llm,
)
from aigw_conformance.mocks.reference.errors import GatewayError
from aigw_conformance.mocks.reference.settings import GatewaySettings
from aigw_conformance.mocks.reference.validation import check_semantics, schema_error
from aigw_conformance.spec.loader import request_body_schema, validator_for_schema

CLIENT_CHAT_PATH = "/api/client/v1/chat/completions"


@dataclass(frozen=True)
class ModelKey:
    """A model key "configured in the dashboard": its category and, for an LLM, the catalogue model it serves."""

    key: str
    category: str
    target: str | None = None


MODEL_KEYS: dict[str, ModelKey] = {entry.key: entry for entry in (
    ModelKey("gpt-4", "llm", "gpt-5-mini"),  # 002's examples use "gpt-4"; a key names any configured model
    ModelKey("gpt-5", "llm", "gpt-5"),
    ModelKey("gpt-5-mini", "llm", "gpt-5-mini"),
    ModelKey("gpt-oss-20b", "llm", "gpt-oss-20b"),
    ModelKey("text-embedding-3-small", "embedding"),
    ModelKey("whisper-1", "audio"),
)}


@functools.cache
def _validator() -> Draft202012Validator:
    return validator_for_schema(request_body_schema(CLIENT_CHAT_PATH, "post"))


def check_request(body: Any, settings: GatewaySettings) -> dict[str, Any]:
    """`body` as a valid ClientChatCompletionRequest; 400 invalid_request_error naming the field otherwise."""
    if not isinstance(body, dict):
        raise invalid_request("request body must be a JSON object")
    if settings.has("client-missing-model-500") and "model" not in body:
        raise internal()  # the handler reads body["model"] before checking the required fields: a KeyError, a 500
    missing = [name for name in ("model", "messages") if name not in body]
    if missing:
        raise invalid_request(f"Missing required field: {' and '.join(missing)}", param=missing[0],
                              code="missing_required_field")
    problem = schema_error(_validator().iter_errors(body))
    if problem is not None:
        raise from_gateway(problem)
    if not body["messages"]:
        raise invalid_request("messages: must hold at least one message", param="messages",
                              code="invalid_parameter")
    _check_tool_messages(body["messages"], settings)
    if settings.has("client-tool-call-id-dropped"):  # cut to 002's message format: role and content only
        body = {**body, "messages": [{"role": m["role"], "content": m["content"]} for m in body["messages"]]}
    checked: dict[str, Any] = body
    return checked


def _check_tool_messages(messages: list[Any], settings: GatewaySettings) -> None:
    """A `tool` message must name the call it answers (`tool_call_id`, as in the AI API's message format, 000):
    002 shows a tool message with only role and content, but an OpenAI-compatible provider cannot match such a
    result to a call, so the gateway refuses it with 400 itself, the same for every provider, rather than
    forward it (OpenAI refuses it, a vLLM-style server takes it as text)."""
    for i, message in enumerate(messages):
        if message.get("role") != "tool" or (isinstance(message.get("tool_call_id"), str)
                                             and message["tool_call_id"]):
            continue
        if settings.has("client-bare-tool-message-500"):
            raise internal()  # the handler reads message["tool_call_id"]: a KeyError, a 500
        raise invalid_request(f"messages[{i}]: a tool message needs the tool_call_id of the assistant tool call "
                              "it answers", param=f"messages[{i}].tool_call_id", code="missing_tool_call_id")


def resolve_model(body: dict[str, Any], settings: GatewaySettings) -> ModelEntry:
    """The catalogue model behind the request's model key: 404 unknown key, 422 a key that is not an LLM."""
    key: str = body["model"]
    configured = MODEL_KEYS.get(key)
    if configured is None:
        if settings.has("client-unknown-model-502"):  # forwarded as is: the provider refuses the unknown model
            raise ClientError(PROVIDER_FAILURE_STATUS, f"openai returned 404: The model `{key}` does not exist",
                              "provider_error", code="provider_error")
        raise model_not_found(key)
    if configured.target is None:
        if settings.has("client-422-as-404"):
            raise model_not_found(key)
        raise not_an_llm(key, configured.category)
    if find(configured.target, settings.upstreams) is None:  # its provider is not configured in this gateway
        raise model_not_found(key)
    try:  # the AI API's own rules: completion budget within the model's limits, prompt within the window
        return check_semantics({**body, "model": configured.target}, settings)
    except GatewayError as exc:
        raise from_gateway(exc) from None
