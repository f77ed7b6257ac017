"""Checks on tool calls: streamed delta shape, arguments valid against the tool's schema, finish reasons."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from aigw_conformance.suites.checks.output import answered, as_dict, choices_of, request
from aigw_conformance.suites.checks.preconditions import has_sse_events, on_ai_api
from aigw_conformance.suites.checks.registry import check, fail, requires
from aigw_conformance.suites.checks.stream import chunks
from aigw_conformance.suites.exchange import Exchange
from aigw_conformance.suites.failures import Grounds


def offered(exchange: Exchange) -> dict[str, Any]:
    """The request's functions by name → their `parameters` schema (None when a function declares none)."""
    tools = request(exchange).get("tools")
    functions: dict[str, Any] = {}
    for tool in tools if isinstance(tools, list) else []:
        function = tool.get("function") if isinstance(tool, dict) else None
        if isinstance(function, dict) and isinstance(function.get("name"), str):
            functions[function["name"]] = function.get("parameters")
    return functions


def _offers_tools(exchange: Exchange) -> bool:
    return bool(offered(exchange))


def _streamed_with_tools(exchange: Exchange) -> bool:
    return on_ai_api(exchange) and has_sse_events(exchange) and _offers_tools(exchange)


def forced(exchange: Exchange) -> str | None:
    """What `tool_choice` forces: "required", the named function, or None (auto, none, absent). A choice that steers
    no declared tool (no `tools`, or a name none of them has) forces nothing: such a parameter can only be ignored,
    as 000's "unsupported parameters are silently ignored" allows (decision positive.acceptance)."""
    body = request(exchange)
    tools = body.get("tools")
    declared = {tool["function"].get("name") for tool in tools if isinstance(tool, dict)
                and isinstance(tool.get("function"), dict)} if isinstance(tools, list) else set()
    choice = body.get("tool_choice")
    if choice == "required":
        return "required" if declared else None
    function = choice.get("function") if isinstance(choice, dict) and choice.get("type") == "function" else None
    name = function.get("name") if isinstance(function, dict) else None
    return name if isinstance(name, str) and name in declared else None


def fragments(exchange: Exchange) -> Iterator[tuple[int, Any, dict[str, Any], bool]]:
    """Every tool-call delta of the stream: (chunk number, choice index, the delta, whether it is the first of
    its call)."""
    seen: set[tuple[str, str]] = set()
    for number, chunk in enumerate(chunks(exchange)):
        for choice in chunk.get("choices") or []:
            delta = choice.get("delta") if isinstance(choice, dict) else None
            calls = delta.get("tool_calls") if isinstance(delta, dict) else None
            for fragment in calls if isinstance(calls, list) else []:
                if not isinstance(fragment, dict):
                    raise fail(f"chunk #{number}: a tool_calls entry is {fragment!r}, not an object")
                key = (repr(choice.get("index")), repr(fragment.get("index")))
                yield number, choice.get("index"), fragment, key not in seen
                seen.add(key)


# 000 says only "tool_calls array Tool calls requested by model (optional)": how a streamed call is cut into
# fragments (index on each, id/type/name first, then arguments only, no nulls) is OpenAI's stream, which its SDKs
# assemble; a gateway that relays another provider's fragments differently breaks them, but breaks no sentence.
TOOL_FRAGMENTS = Grounds.convention(
    "000 says only \"tool_calls array Tool calls requested by model (optional)\"; how a streamed call is cut into "
    "fragments (an integer index on each, id, type and function.name in the first, then only arguments, no null) "
    "is OpenAI's chat.completion.chunk, which OpenAI SDKs assemble", source="OpenAI chat.completion.chunk")


@check("tools.stream_first_delta", grounds=TOOL_FRAGMENTS)
@requires(_streamed_with_tools)
def stream_first_delta(exchange: Exchange) -> None:
    """The first streamed delta of each tool call carries its `index`, `id`, `type: function` and `function.name`."""
    for number, choice, fragment, first in fragments(exchange):
        if not isinstance(fragment.get("index"), int) or isinstance(fragment.get("index"), bool):
            raise fail(f"chunk #{number}: a tool-call delta of choice {choice} has index {fragment.get('index')!r}; "
                       "clients assemble calls by this integer")
        if not first:
            continue
        function = as_dict(fragment.get("function"))
        missing = [name for name, ok in (
            ("id", isinstance(fragment.get("id"), str) and fragment["id"]),
            ("type: function", fragment.get("type") == "function"),
            ("function.name", isinstance(function.get("name"), str) and function["name"]),
        ) if not ok]
        if missing:
            raise fail(f"chunk #{number}: the first delta of tool call {fragment.get('index')} (choice {choice}) "
                       f"lacks {', '.join(missing)}: {json.dumps(fragment)[:200]}; clients take the call's id, "
                       "type and name from its first delta")


@check("tools.stream_later_deltas", grounds=TOOL_FRAGMENTS)
@requires(_streamed_with_tools)
def stream_later_deltas(exchange: Exchange) -> None:
    """Later deltas of a tool call carry only `index` and `function.arguments` (clients concatenate the rest);
    a repeated `type: "function"` is harmless: the openai SDK's `accumulate_delta` replaces `index` and `type`
    (the union's discriminator) instead of concatenating them, so only a repeated id or name is doubled."""
    for number, choice, fragment, first in fragments(exchange):
        if first:
            continue
        function = as_dict(fragment.get("function"))  # null fields are tools.stream_no_nulls' to report
        extra = [key for key, value in fragment.items() if key not in ("index", "function") and value is not None
                 and (key, value) != ("type", "function")]
        extra += [f"function.{key}" for key, value in function.items() if key != "arguments" and value is not None]
        if extra:
            raise fail(f"chunk #{number}: a later delta of tool call {fragment.get('index')} (choice {choice}) "
                       f"repeats {', '.join(extra)}: {json.dumps(fragment)[:200]}; OpenAI clients append each "
                       "delta's strings to the call, so a repeated id or name is doubled")


def _nulls(value: Any, where: str) -> Iterator[str]:
    if value is None:
        yield where
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _nulls(item, f"{where}.{key}" if where else str(key))


@check("tools.stream_no_nulls", grounds=TOOL_FRAGMENTS)
@requires(_streamed_with_tools)
def stream_no_nulls(exchange: Exchange) -> None:
    """No field inside a streamed tool-call delta is null (absent fields are left out)."""
    for number, choice, fragment, _ in fragments(exchange):
        if found := list(_nulls(fragment, "")):
            raise fail(f"chunk #{number}: a tool-call delta of choice {choice} has null {', '.join(found)}: "
                       f"{json.dumps(fragment)[:200]}; clients that concatenate fragments fail on null strings")


def _validator(schema: Any) -> Draft202012Validator | None:
    """The validator of a function's `parameters`; None when it declares none or is not a usable schema."""
    if not isinstance(schema, dict):
        return None
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError:
        return None  # the request's own schema is broken: that is not the gateway's answer to judge
    return Draft202012Validator(schema)


@check("tools.arguments_valid")
@requires(_offers_tools)
@requires(answered)
def arguments_valid(exchange: Exchange) -> None:
    """Each tool call names an offered function and its arguments (assembled, when streamed) are a JSON object
    text valid against that function's `parameters` schema."""
    functions = offered(exchange)
    for choice in choices_of(exchange):
        if choice.finish_reason == "length":
            continue  # cut by the token limit: its last arguments may be partial
        for k, call in enumerate(choice.tool_calls):
            function = as_dict(call.get("function"))
            name, text = function.get("name"), function.get("arguments")
            where = f"choice {choice.index} tool call {k}"
            if name not in functions:
                raise fail(f"{where} calls {name!r}, which is not among the offered functions {sorted(functions)}")
            if not isinstance(text, str):
                raise fail(f"{where} ({name}): function.arguments is {type(text).__name__} {text!r:.120}, not a "
                           "JSON text; OpenAI clients json.loads() it")
            try:
                value = json.loads(text)
            except ValueError:
                raise fail(f"{where} ({name}): function.arguments is not JSON: {text[:160]!r}") from None
            if not isinstance(value, dict):
                raise fail(f"{where} ({name}): function.arguments is JSON but not an object: {text[:160]!r}")
            validator = _validator(functions[name])
            problems = sorted(validator.iter_errors(value), key=lambda e: list(e.absolute_path)) if validator else []
            if problems:
                at = "/".join(str(part) for part in problems[0].absolute_path) or "(root)"
                raise fail(f"{where} ({name}): arguments {text[:120]!r} do not match the tool's parameters at {at}: "
                           f"{problems[0].message[:160]}")


@check("tools.finish_reason")
@requires(_offers_tools)
@requires(answered)
def finish_reason(exchange: Exchange) -> None:
    """A choice that calls tools ends with finish_reason `tool_calls`; a forced tool_choice (required or a named
    function) gets a call in every choice not cut by the token limit."""
    must = forced(exchange)
    for choice in choices_of(exchange):
        if choice.finish_reason == "length":
            continue
        if choice.tool_calls and choice.finish_reason != "tool_calls":
            raise fail(f"choice {choice.index} calls {len(choice.tool_calls)} tool(s) but ended with finish_reason "
                       f"{choice.finish_reason!r}; 000: 'tool_calls: Model requested tool/function calls'")
        if must and not choice.tool_calls:
            raise fail(f"choice {choice.index} calls no tool although tool_choice forces "
                       f"{'a call' if must == 'required' else repr(must)} (finish_reason {choice.finish_reason!r})")
        names = {(call.get("function") or {}).get("name") for call in choice.tool_calls if isinstance(call, dict)}
        if must not in (None, "required") and names - {must}:
            raise fail(f"choice {choice.index} calls {sorted(map(str, names))} although tool_choice names {must!r}")


@check("tools.result_answered", auto=False)
def result_answered(exchange: Exchange) -> None:
    """A conversation ending with a tool result (role tool, tool_call_id) is answered by the assistant."""
    if exchange.status != 200:
        raise fail(f"a conversation ending with a tool result was answered {exchange.status}: "
                   f"{exchange.excerpt(200)!r}; 000 lists role tool and tool_call_id for tool results")
    found = choices_of(exchange)
    if not found:
        raise fail("the answer to the tool result holds no choice")
    for choice in found:
        if not choice.tool_calls and not (choice.content or "").strip():
            raise fail(f"choice {choice.index} answers the tool result with no text and no further tool call "
                       f"(finish_reason {choice.finish_reason!r})")
