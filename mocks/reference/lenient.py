"""What a schema-valid request carries that an upstream would refuse, made takeable before it is translated."""

# The spec's request schema is the contract: a request valid against it is answered (decision positive.acceptance in
# spec/traceability.yaml), and a rule the documents do not state is not the client's to know. Four shapes the
# schema admits are refused by the providers themselves (OpenAI, Gemini, Anthropic) and would come back as relayed
# 400s; the reference takes them as follows, each loss-free for what the request asks:
# - an integer parameter written as an integral number (`"n": 2.0`): JSON Schema counts it an integer, OpenAI's
#   parser does not; sent as the integer.
# - `tool_choice` or `parallel_tool_calls` without `tools` (or a `tool_choice` naming a function `tools` does not
#   declare): they steer tool use (000: "Tool selection strategy", "Allow parallel tool calls") and there is none
#   to steer; dropped, as 000's "unsupported parameters are silently ignored" drops what a provider cannot use.
# - `top_k: 0`, which the spec admits but leaves undefined (000: "-1 for all tokens"), and vLLM refuses: dropped,
#   the provider's default.
# - a `tool` message that answers no tool call of an earlier assistant message (000 leaves `tool_call_id` "Tool
#   call identifier (for tool messages)" unconstrained): every provider refuses an orphan tool result, so its
#   content is sent as a `user` turn, which keeps what the client said; an assistant's tool call that no tool
#   message answers is taken off it (every provider refuses an unanswered call).
# And for the providers whose turns must say something (Gemini, Anthropic; `for_wire_format`): a turn with empty
# content (000: "content string/array Yes", an empty string or array is valid) is sent as ".", and a conversation
# of system or developer messages only gets one "." user turn to answer, as OpenAI answers it. For OpenAI's wire
# format, a `json_object` request whose messages never say "json" gets a system message that does.

from __future__ import annotations

import json
from typing import Any

JSON_HINT = "Answer in JSON."
PLACEHOLDER = "."  # the least a Gemini or Anthropic turn may say
SPEAKING = ("user", "assistant", "tool")
INTEGERS = ("n", "max_tokens", "max_completion_tokens", "top_k", "seed", "top_logprobs")
TOOL_STEERING = ("tool_choice", "parallel_tool_calls")


def takeable(body: dict[str, Any]) -> dict[str, Any]:
    """`body` (valid against the request schema) with the three shapes above rewritten; unchanged if none occurs."""
    changed: dict[str, Any] = {}
    for name in INTEGERS:
        value = body.get(name)
        if isinstance(value, float) and value.is_integer():
            changed[name] = int(value)
    if body.get("top_k") == 0:  # the spec leaves 0 undefined (000: "-1 for all tokens"); vLLM refuses it
        changed["top_k"] = None
    if not body.get("tools") or _names_no_tool(body.get("tool_choice"), body["tools"]):
        changed.update({name: None for name in TOOL_STEERING if name in body})
    messages = _answered_tool_results(body.get("messages"))
    if messages is not None:
        changed["messages"] = messages
    if not changed:
        return body
    return {k: v for k, v in {**body, **changed}.items() if not (k in changed and v is None)}


def _names_no_tool(choice: Any, tools: Any) -> bool:
    """A named `tool_choice` (`{type: function, function: {name}}`) whose function `tools` does not declare."""
    function = choice.get("function") if isinstance(choice, dict) else None
    if not isinstance(function, dict) or not isinstance(tools, list):
        return False
    declared = [t.get("function") for t in tools if isinstance(t, dict)]
    names = {f.get("name") for f in declared if isinstance(f, dict)}
    return function.get("name") not in names


def _answered_tool_results(messages: Any) -> list[Any] | None:
    """`messages` with every tool message that answers no call of the assistant message right before it (only tool
    messages between) turned into a `user` turn, and every call no tool message answers taken off its assistant
    message (None: there is neither)."""
    if not isinstance(messages, list):
        return None
    out: list[Any] = []
    pending: set[Any] = set()  # the calls of the last assistant message, until a non-tool message
    caller: int | None = None  # where that assistant message is in `out`
    changed = False
    for message in [*messages, None]:
        role = message.get("role") if isinstance(message, dict) else None
        if role == "tool" and message is not None and message.get("tool_call_id") in pending:
            pending.discard(message.get("tool_call_id"))
            out.append(message)
            continue
        if pending and caller is not None:  # calls left unanswered: taken off their assistant message
            out[caller] = _without_calls(out[caller], pending)
            changed = True
        pending, caller = set(), None
        if message is None:
            break
        if role == "tool":
            message = {"role": "user", "content": message.get("content")}
            changed = True
        calls = message.get("tool_calls") if role == "assistant" and isinstance(message, dict) else None
        if isinstance(calls, list) and calls:
            pending = {c.get("id") for c in calls if isinstance(c, dict)}
            caller = len(out)
        out.append(message)
    return out if changed else None


def _without_calls(message: dict[str, Any], unanswered: set[Any]) -> dict[str, Any]:
    kept = [c for c in message["tool_calls"] if not (isinstance(c, dict) and c.get("id") in unanswered)]
    rest = {k: v for k, v in message.items() if k != "tool_calls"}
    return {**rest, "tool_calls": kept} if kept else rest


def for_wire_format(body: dict[str, Any], wire_format: str) -> dict[str, Any]:
    """`body` with empty turns and a turnless conversation filled in for a wire format that refuses them; for
    OpenAI's, a `json_object` request whose messages never say "json" gets a system message that does (OpenAI
    refuses it otherwise; 000 states no such rule for `response_format`)."""
    messages = body.get("messages")
    if not isinstance(messages, list):
        return body
    if wire_format == "openai":
        asks_json = isinstance(body.get("response_format"), dict) and body["response_format"].get("type") == \
            "json_object"
        if asks_json and "json" not in json.dumps(messages, ensure_ascii=False).lower():
            return {**body, "messages": [{"role": "system", "content": JSON_HINT}, *messages]}
        return body
    filled = [_filled(m) for m in messages]
    if not any(isinstance(m, dict) and m.get("role") in SPEAKING for m in filled):
        filled.append({"role": "user", "content": PLACEHOLDER})
    tools = body.get("tools")
    typed = _unique([_typed(t) for t in tools]) if isinstance(tools, list) else tools
    if filled == messages and typed == tools:
        return body
    return {**body, "messages": filled, **({"tools": typed} if tools is not None else {})}


def _filled(message: Any) -> Any:
    if not isinstance(message, dict) or message.get("role") not in ("user", "assistant", "tool"):
        return message
    if message.get("role") == "assistant":  # an assistant turn carries text and calls only (images are dropped)
        if _calls_something(message.get("tool_calls")) or _has_text(message.get("content")):
            return message
    elif _says_something(message.get("content")):
        return message
    return {**message, "content": PLACEHOLDER}


def _has_text(content: Any) -> bool:
    if not isinstance(content, list):
        return bool(content)
    return any(isinstance(p, dict) and p.get("type") == "text" and p.get("text") for p in content)


def _calls_something(calls: Any) -> bool:
    """Tool calls of which one names a function (a call without a name is not translated, so says nothing)."""
    return isinstance(calls, list) and any(
        isinstance(call, dict) and isinstance(call.get("function"), dict) and call["function"].get("name")
        for call in calls)


def _unique(tools: list[Any]) -> list[Any]:
    """The first declaration of each function name (Gemini and Anthropic refuse a name declared twice; OpenAI's
    schema does not forbid it and 000 states no such rule)."""
    seen: set[Any] = set()
    kept = []
    for tool in tools:
        function = tool.get("function") if isinstance(tool, dict) else None
        name = function.get("name") if isinstance(function, dict) else None
        if name is not None and name in seen:
            continue
        seen.add(name)
        kept.append(tool)
    return kept


def _says_something(content: Any) -> bool:
    """Content other than "", [] or a list of empty text parts (which Gemini and Anthropic refuse)."""
    if not isinstance(content, list):
        return bool(content)
    return any(not (isinstance(p, dict) and p.get("type") == "text" and not p.get("text")) for p in content)


def _typed(tool: Any) -> Any:
    """A function tool whose `parameters` schema names no type, with `type: object` (what arguments are; Anthropic
    refuses an `input_schema` without it)."""
    function = tool.get("function") if isinstance(tool, dict) else None
    parameters = function.get("parameters") if isinstance(function, dict) else None
    if not isinstance(function, dict) or not isinstance(parameters, dict) or "type" in parameters:
        return tool
    return {**tool, "function": {**function, "parameters": {"type": "object", **parameters}}}
