"""OpenAI chat request → Anthropic Messages request (the shapes of `mocks.anthropic.wire`)."""

# Mapping decisions (Claude has no column in 000's support table):
# * system/developer messages, wherever they are, become `system` (texts joined by a blank line);
# * consecutive messages of one role are merged (tool results must all follow their tool_use turn);
# * `max_tokens` is always sent (Anthropic requires it): max_completion_tokens, max_tokens, else 50% of the max;
# * temperature is clamped to Anthropic's 0..1, not scaled: both APIs default to 1.0 and agree below it;
# * top_k -1 ("all tokens") is left out; stop → stop_sequences;
# * reasoning_effort → thinking with 001's budget (25/33/50% of max_tokens), at least 1024 and below max_tokens;
#   thinking is left out when max_tokens is 1024 or less, or when tool use is forced (Anthropic refuses both),
#   and when on, temperature/top_p/top_k are left out (Anthropic allows none of them with thinking);
# * response_format json_schema (an object schema, no caller tools) → a forced tool whose input is the answer;
#   json_object, or json_schema alongside tools, → an instruction appended to `system`;
# * dropped (no Messages field): n, seed, logprobs, top_logprobs, penalties, logit_bias, min_p,
#   repetition_penalty, user, service_tier. The assistant `reasoning` field is dropped too: replaying thinking
#   needs Anthropic's signature, which the OpenAI format does not carry.

from __future__ import annotations

import json
import re
from typing import Any

from aigw_conformance.mocks.anthropic import wire
from aigw_conformance.mocks.reference.catalogue import ModelEntry
from aigw_conformance.mocks.reference.providers.anthropic_messages import messages
from aigw_conformance.mocks.reference.providers.base import max_tokens, reasoning_budget, tool_choice_name
from aigw_conformance.mocks.reference.settings import GatewaySettings

MIN_THINKING_BUDGET = 1024
OUTPUT_TOOL = "json_output"  # the forced tool of structured output, when the schema's name is unusable
TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,128}$")
JSON_INSTRUCTION = "Respond with a single JSON value and nothing else"
EMPTY_SCHEMA: dict[str, Any] = {"type": "object", "properties": {}}


def _tool(function: dict[str, Any]) -> wire.Tool:
    tool: wire.Tool = {"name": function["name"], "input_schema": function.get("parameters") or EMPTY_SCHEMA}
    if isinstance(function.get("description"), str):
        tool["description"] = function["description"]
    return tool


def _tool_choice(body: dict[str, Any]) -> wire.ToolChoice:
    """auto → auto, required → any, none → none, a named function → tool; parallel_tool_calls false →
    disable_parallel_tool_use."""
    choice, named = body.get("tool_choice"), tool_choice_name(body.get("tool_choice"))
    mapped: wire.ToolChoice
    if named is not None:
        mapped = {"type": "tool", "name": named}
    elif choice in ("required", "none"):
        mapped = {"type": "any"} if choice == "required" else {"type": "none"}
    else:
        mapped = {"type": "auto"}
    if body.get("parallel_tool_calls") is False and mapped["type"] != "none":
        mapped["disable_parallel_tool_use"] = True
    return mapped


def _structured(body: dict[str, Any], request: wire.MessagesRequest, system: list[str]) -> str | None:
    """Apply response_format; the name of the forced output tool, if one is used."""
    fmt = body.get("response_format")
    kind = fmt.get("type") if isinstance(fmt, dict) else None
    spec = fmt.get("json_schema") if isinstance(fmt, dict) else None
    schema = spec.get("schema") if isinstance(spec, dict) else None
    if kind == "json_schema" and isinstance(schema, dict) and schema.get("type") == "object" and "tools" not in request:
        name = spec.get("name") if isinstance(spec, dict) else None
        name = name if isinstance(name, str) and TOOL_NAME.match(name) else OUTPUT_TOOL
        request["tools"] = [{"name": name, "description": "Give the answer as this tool's input.",
                             "input_schema": schema}]
        request["tool_choice"] = {"type": "tool", "name": name}
        return name
    if kind == "json_schema":
        system.append(f"{JSON_INSTRUCTION}, matching this JSON Schema: {json.dumps(schema)}")
    elif kind == "json_object":
        system.append(JSON_INSTRUCTION + ".")
    return None


def _sampling(body: dict[str, Any], request: wire.MessagesRequest, settings: GatewaySettings,
              entry: ModelEntry) -> None:
    temperature, top_k, stop = body.get("temperature"), body.get("top_k"), body.get("stop")
    if isinstance(temperature, int | float):
        scaled = settings.has("xlate-claude-temperature-scaled")  # OpenAI's 0..2 squeezed onto Anthropic's 0..1
        request["temperature"] = float(temperature) / 2 if scaled else min(float(temperature), 1.0)
    if isinstance(body.get("top_p"), int | float):
        request["top_p"] = body["top_p"]
    if isinstance(top_k, int) and top_k > 0:
        request["top_k"] = top_k
    if stop:
        request["stop_sequences"] = [stop] if isinstance(stop, str) else list(stop)
    limit = request["max_tokens"]
    forced = request.get("tool_choice", {"type": "auto"})["type"] in ("any", "tool")
    budget = reasoning_budget(body.get("reasoning_effort"), limit, settings, entry)
    if budget is None or forced or limit <= MIN_THINKING_BUDGET:
        return
    request["thinking"] = {"type": "enabled", "budget_tokens": min(max(budget, MIN_THINKING_BUDGET), limit - 1)}
    request.pop("temperature", None)
    request.pop("top_p", None)
    request.pop("top_k", None)


def messages_request(
    body: dict[str, Any], entry: ModelEntry, settings: GatewaySettings
) -> tuple[wire.MessagesRequest, str | None]:
    """The Messages request for a (support-filtered) OpenAI body, and the forced output tool's name."""
    system, turns = messages(body)
    request: wire.MessagesRequest = {"model": entry.upstream_model, "max_tokens": max_tokens(body, entry, settings),
                                     "messages": turns}
    functions = [t["function"] for t in body.get("tools") or [] if isinstance(t.get("function"), dict)]
    if functions:
        request["tools"] = [_tool(function) for function in functions]
        request["tool_choice"] = _tool_choice(body)
    output_tool = _structured(body, request, system)
    if system:
        request["system"] = "\n\n".join(system)
    _sampling(body, request, settings, entry)
    if body.get("stream") is True:
        request["stream"] = True
    return request, output_tool
