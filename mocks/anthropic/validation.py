"""Validate a Messages (or count_tokens) request in Anthropic's order and wording; derive its identity."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jsonschema

from aigw_conformance.mocks.anthropic import errors
from aigw_conformance.mocks.anthropic.content import (
    check_messages,
    check_system,
    check_tool_choice,
    check_tools,
    fail,
    kind_error,
)
from aigw_conformance.mocks.anthropic.state import ModelSpec
from aigw_conformance.mocks.anthropic.wire import base62
from aigw_conformance.mocks.core import identity, textgen

MIN_THINKING_BUDGET = 1024
COUNT_PARAMETERS = frozenset({
    "cache_control", "context_management", "mcp_servers", "messages", "model", "output_config", "speed", "system",
    "thinking", "tool_choice", "tools",
})
MESSAGE_PARAMETERS = COUNT_PARAMETERS | {
    "container", "diagnostics", "inference_geo", "max_tokens", "metadata", "service_tier", "stop_sequences",
    "stream", "temperature", "top_k", "top_p",
}
_DOCS = "Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking"
_MAX_TOKENS_DOCS = f"{_DOCS}#max-tokens-and-context-window-size"
_COMPAT_DOCS = f"{_DOCS}#feature-compatibility"
STRUCTURED_OUTPUTS_BETA = "structured-outputs-2025-11-13"
"""The `anthropic-beta` flag under which the Messages API takes the original top-level `output_format`."""
EFFORTS = ("low", "medium", "high", "xhigh", "max")


@dataclass(frozen=True)
class MessagesPlan:
    """A validated request. Identity: `msg_01` + 22 base62 digits of fresh random bytes (`mocks.core.identity`),
    or with `deterministic_ids` of H = sha256 of the key-sorted compact JSON of the body without `stream`, so
    streamed and whole answers describe the same message.
    `max_tokens` is 0 for a count_tokens request; `tool_choice` defaults to `{"type": "auto"}`."""

    model: str
    messages: list[Any]
    system: Any
    tools: list[dict[str, Any]]
    tool_choice: dict[str, Any]
    max_tokens: int
    stop_sequences: tuple[str, ...]
    stream: bool
    thinking_budget: int | None
    id: str
    refusal: bool = False  # the `content_filter` fault: the answer ends with stop_reason `refusal`
    declined: bool = False  # the `refusal` fault: no content at all, stop_reason `refusal` (refused up front)
    min_output_tokens: int = 0  # the `output_tokens` fault: a text answer runs on to at least this many tokens
    output_schema: dict[str, Any] | None = None  # structured output: `output_config.format` or beta `output_format`


def _integer(
    body: Mapping[str, Any], name: str, low: int, *, required: bool = False, path: str | None = None
) -> int | None:
    path = path or name
    if body.get(name) is None:
        if required:
            raise fail(path, "Field required")
        return None
    value = body[name]
    if isinstance(value, bool) or not isinstance(value, int):
        raise kind_error(path, "integer")
    if value < low:
        raise fail(path, f"Input should be greater than or equal to {low}")
    return value


def _unit(body: Mapping[str, Any], name: str) -> float | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise kind_error(name, "number")
    if not 0 <= value <= 1:
        raise fail(name, f"Input should be {'greater' if value < 0 else 'less'} than or equal to {int(value > 0)}")
    return float(value)


def _thinking(body: Mapping[str, Any]) -> int | None:
    thinking = body.get("thinking")
    if thinking is None:
        return None
    if not isinstance(thinking, dict):
        raise kind_error("thinking", "dictionary")
    if thinking.get("type") == "disabled":
        return None
    if thinking.get("type") != "enabled":
        raise fail("thinking", f"Input tag '{thinking.get('type')}' found using 'type' does not match any of the "
                   "expected tags: 'enabled', 'disabled'")
    path = "thinking.enabled.budget_tokens"
    return _integer(thinking, "budget_tokens", MIN_THINKING_BUDGET, required=True, path=path)


def _options(body: Mapping[str, Any]) -> tuple[bool, tuple[str, ...]]:
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise kind_error("stream", "boolean")
    stops = body.get("stop_sequences") or []
    if not isinstance(stops, list):
        raise kind_error("stop_sequences", "list")
    for i, stop in enumerate(stops):
        if not isinstance(stop, str):
            raise kind_error(f"stop_sequences.{i}", "string")
    if "metadata" in body and not isinstance(body["metadata"], dict):
        raise kind_error("metadata", "dictionary")
    _unit(body, "top_p")
    _integer(body, "top_k", 0)
    return stream, tuple(stops)


def _extra(value: Mapping[str, Any], path: str, allowed: tuple[str, ...], strict: bool) -> None:
    for name in sorted(set(value) - set(allowed)) if strict else []:
        raise fail(f"{path}.{name}", "Extra inputs are not permitted")


def _output_format(value: Any, path: str, strict: bool) -> dict[str, Any] | None:
    """A JSON output format (`{"type": "json_schema", "schema": {...}}`) at `path`; its schema, or None when
    null. The schema must be a draft 2020-12 JSON Schema object; Anthropic's narrower supported subset (no
    numeric or string-length constraints, `additionalProperties: false`) is not modelled."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise kind_error(path, "dictionary")
    if "type" not in value:
        raise fail(f"{path}.type", "Field required")
    if value["type"] != "json_schema":
        raise fail(f"{path}.type", "Input should be 'json_schema'")
    schema = value.get("schema")
    if schema is None:
        raise fail(f"{path}.schema", "Field required")
    if not isinstance(schema, dict):
        raise kind_error(f"{path}.schema", "dictionary")
    _extra(value, path, ("schema", "type"), strict)
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError:
        raise fail(f"{path}.schema", "JSON schema is invalid. It must match JSON Schema draft 2020-12 "
                   "(https://json-schema.org/draft/2020-12).") from None
    return schema


def _output_schema(body: Mapping[str, Any], *, beta: bool, strict: bool) -> dict[str, Any] | None:
    """The schema of structured output: GA `output_config.format`, or (only under the `structured-outputs-2025-11-13`
    beta, `beta`) the top-level `output_format`; both at once is a 400, as the SDK refuses it."""
    config = body.get("output_config")
    found: dict[str, Any] | None = None
    if config is not None:
        if not isinstance(config, dict):
            raise kind_error("output_config", "dictionary")
        _extra(config, "output_config", ("effort", "format"), strict)
        effort = config.get("effort")
        if effort is not None and effort not in EFFORTS:
            raise fail("output_config.effort", "Input should be 'low', 'medium', 'high', 'xhigh' or 'max'")
        found = _output_format(config.get("format"), "output_config.format", strict)
    if beta and body.get("output_format") is not None:
        if found is not None:
            raise errors.invalid_request("Both output_format and output_config.format were provided. Please use "
                                         "only output_config.format (output_format is deprecated).")
        found = _output_format(body["output_format"], "output_format", strict)
    return found


ONE_SAMPLER_MODELS = ("claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-1", "claude-opus-4-5",
                      "claude-sonnet-4-6", "claude-opus-4-6")
"""Model id prefixes that take `temperature` or `top_p`, not both: "`temperature` and `top_p` cannot both be
specified for this model. Please use only one." (400 invalid_request_error; Sonnet 4.5: langfuse/langfuse#9882,
fwdai/reticle#7; Opus 4.5: JohnnyZ93/oai-compatible-copilot#81; Sonnet 4.6: Vali-98/ChatterUI#564)."""


def parse(
    body: Any, models: Mapping[str, ModelSpec], *, strict: bool = True, count: bool = False,
    betas: frozenset[str] = frozenset(), reasoning_limits: bool = False, deterministic_ids: bool = False,
) -> MessagesPlan:
    """Validate `body` (a count_tokens body if `count`); raises `AnthropicError` (400, or 404 unknown model).
    `betas`: the flags of the request's `anthropic-beta` header; `structured-outputs-2025-11-13` admits the
    top-level `output_format`, which is otherwise an unknown field (refused when `strict`, else ignored)."""
    if not isinstance(body, dict):
        raise errors.invalid_request("Input should be a valid dictionary or object to extract fields from")
    beta = STRUCTURED_OUTPUTS_BETA in betas
    allowed = (COUNT_PARAMETERS if count else MESSAGE_PARAMETERS) | ({"output_format"} if beta else set())
    for name in sorted(set(body) - allowed) if strict else []:
        raise fail(name, "Extra inputs are not permitted")
    if "model" not in body:
        raise fail("model", "Field required")
    if not isinstance(body["model"], str):
        raise kind_error("model", "string")
    max_tokens = 0 if count else _integer(body, "max_tokens", 1, required=True) or 0
    messages = check_messages(body)
    system = check_system(body.get("system"))
    temperature = None if count else _unit(body, "temperature")
    stream, stops = (False, ()) if count else _options(body)
    tools = check_tools(body.get("tools"))
    tool_choice = check_tool_choice(body.get("tool_choice"), tools)
    budget = _thinking(body)
    output_schema = _output_schema(body, beta=beta, strict=strict)
    spec = models.get(body["model"])
    if spec is None:
        raise errors.model_not_found(body["model"])
    if max_tokens > spec.max_output_tokens:
        raise fail("max_tokens", f"{max_tokens} > {spec.max_output_tokens}, which is the maximum allowed number "
                   f"of output tokens for {spec.id}")
    if reasoning_limits and not count and spec.id.startswith(ONE_SAMPLER_MODELS) and temperature is not None \
            and body.get("top_p") is not None:
        raise errors.invalid_request("`temperature` and `top_p` cannot both be specified for this model. Please use "
                                     "only one.")
    if budget is not None:
        if not count and budget >= max_tokens:
            message = "`max_tokens` must be greater than `thinking.budget_tokens`."
            raise errors.invalid_request(f"{message} {_MAX_TOKENS_DOCS}")
        if temperature is not None and temperature != 1:
            raise errors.invalid_request(f"`temperature` may only be set to 1 when thinking is enabled. {_COMPAT_DOCS}")
        if not count and body.get("top_k") is not None:
            raise errors.invalid_request(f"`top_k` must be unset when thinking is enabled. {_COMPAT_DOCS}")
        if tool_choice["type"] in ("any", "tool"):
            raise errors.invalid_request("Thinking may not be enabled when tool_choice forces tool use.")
    digest = identity.material(textgen.digest({k: v for k, v in body.items() if k != "stream"}),
                               deterministic=deterministic_ids)
    return MessagesPlan(
        model=body["model"], messages=messages, system=system, tools=tools, tool_choice=tool_choice,
        max_tokens=max_tokens, stop_sequences=stops, stream=stream, thinking_budget=budget,
        id="msg_01" + base62(digest, 22), output_schema=output_schema,
    )
