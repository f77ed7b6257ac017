"""Function tools: validate `tools`/`tool_choice`, pick the calls deterministically, generate arguments."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aigw_conformance.mocks.core import jsongen
from aigw_conformance.mocks.core.sse import dumps
from aigw_conformance.mocks.core.tokens import token_pieces
from aigw_conformance.mocks.openai import errors
from aigw_conformance.mocks.openai.params import bad_type, choice
from aigw_conformance.mocks.openai.structured import kind_of, missing, strict_problem

NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
MAX_TOOLS = 128
USE_A_TOOL = re.compile(r"\buse a tool\b", re.IGNORECASE)


@dataclass(frozen=True)
class Function:
    name: str
    parameters: Mapping[str, Any] | None
    strict: bool
    param: str  # where it was in the request, for error messages


@dataclass(frozen=True)
class ToolPlan:
    """The request's tools and how they may be used: `mode` is none, auto, required or function."""

    functions: tuple[Function, ...]
    mode: str
    forced: str | None = None
    allowed: tuple[str, ...] | None = None
    parallel: bool = True


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    pieces: tuple[str, ...]  # the argument text, as streamed
    tokens: int

    @property
    def arguments(self) -> str:
        return "".join(self.pieces)


def _function(tool: Any, i: int) -> Function:
    where = f"tools[{i}]"
    if not isinstance(tool, dict):
        raise bad_type(where, "an object", tool)
    if kind_of(tool, where, ("function", "custom")) == "custom":
        raise errors.invalid_request(f"Invalid value for '{where}.type': this mock supports only 'function' tools.",
                                     param=f"{where}.type", code="invalid_value")
    spec = tool.get("function")
    if spec is None:
        raise missing(f"{where}.function")
    if not isinstance(spec, dict):
        raise bad_type(f"{where}.function", "an object", spec)
    name = spec.get("name")
    if not isinstance(name, str):
        raise missing(f"{where}.function.name") if name is None else bad_type(f"{where}.function.name",
                                                                              "a string", name)
    if not NAME.match(name):
        raise errors.invalid_request(
            f"Invalid '{where}.function.name': string does not match pattern. Expected a string that matches "
            "the pattern '^[a-zA-Z0-9_-]{1,64}$'.", param=f"{where}.function.name", code="invalid_value")
    parameters, strict = spec.get("parameters"), spec.get("strict")
    if parameters is not None and not isinstance(parameters, dict):
        raise bad_type(f"{where}.function.parameters", "an object", parameters)
    if strict is not None and not isinstance(strict, bool):
        raise bad_type(f"{where}.function.strict", "a boolean", strict)
    declared = (parameters or {}).get("type", "object")
    problem = (f"schema must be a JSON Schema of 'type: \"object\"', got 'type: \"{declared}\"'."
               if declared != "object" else strict_problem(parameters) if strict and parameters else None)
    if problem:
        raise errors.invalid_request(f"Invalid schema for function '{name}': {problem}",
                                     param=f"{where}.function.parameters", code="invalid_function_parameters")
    return Function(name, parameters, bool(strict), f"{where}.function.parameters")


def _named(value: Any, param: str) -> str:
    function = value.get("function") if isinstance(value, dict) else None
    name = function.get("name") if isinstance(function, dict) else None
    if not isinstance(name, str):
        raise missing(f"{param}.function.name")
    return name


def parse(body: Mapping[str, Any]) -> ToolPlan | None:
    """`tools`, `tool_choice` and `parallel_tool_calls`, validated; None when there are no tools."""
    tools, tool_choice = body.get("tools"), body.get("tool_choice")
    if tools is not None and not isinstance(tools, list):
        raise bad_type("tools", "an array", tools)
    if tools is not None and len(tools) > MAX_TOOLS:
        raise errors.invalid_request(
            f"Invalid 'tools': array too long. Expected an array with maximum length {MAX_TOOLS}, but got an "
            f"array with length {len(tools)} instead.", param="tools", code="array_above_max_length")
    functions = tuple(_function(tool, i) for i, tool in enumerate(tools or []))
    for name, value in (("tool_choice", tool_choice), ("parallel_tool_calls", body.get("parallel_tool_calls"))):
        if value is not None and not functions:
            raise errors.invalid_request(
                f"Invalid value for '{name}': '{name}' is only allowed when 'tools' are specified.", param=name)
    parallel = body.get("parallel_tool_calls", True)
    if not isinstance(parallel, bool):
        raise bad_type("parallel_tool_calls", "a boolean", parallel)
    if not functions:
        return None
    names = {f.name for f in functions}
    if tool_choice is None or isinstance(tool_choice, str):
        mode = choice({"tool_choice": tool_choice}, "tool_choice", ("none", "auto", "required"), "auto")
        return ToolPlan(functions, mode or "auto", parallel=parallel)
    if not isinstance(tool_choice, dict):
        raise bad_type("tool_choice", "a string or an object", tool_choice)
    if kind_of(tool_choice, "tool_choice", ("function", "allowed_tools")) == "function":
        name = _named(tool_choice, "tool_choice")
        if name not in names:
            raise errors.invalid_request(
                f"Invalid value for 'tool_choice': function '{name}' is not among the functions in 'tools'.",
                param="tool_choice", code="invalid_value")
        return ToolPlan(functions, "function", forced=name, parallel=parallel)
    allowed = tool_choice.get("allowed_tools")
    if not isinstance(allowed, dict) or not isinstance(allowed.get("tools"), list):
        raise missing("tool_choice.allowed_tools.tools")
    where = "tool_choice.allowed_tools.mode"
    mode = choice({where: allowed.get("mode")}, where, ("auto", "required"), "auto")
    listed = tuple(_named(t, f"tool_choice.allowed_tools.tools[{i}]") for i, t in enumerate(allowed["tools"]))
    return ToolPlan(functions, mode or "auto", allowed=tuple(n for n in listed if n in names), parallel=parallel)


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(p["text"] for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
    return ""


def selected(plan: ToolPlan, messages: Sequence[Any]) -> list[Function]:
    """The functions this request calls (empty: answer with text). The rule, per choice:

    * no `tools`, or `tool_choice: "none"` -> a text answer;
    * `tool_choice: {"type": "function", "function": {"name": N}}` -> exactly one call, to N;
    * `"required"` -> the functions the last user message mentions, or else the first function;
    * `"auto"` (the default) -> the functions the last message mentions when it is a user message, or the first
      function when it says "use a tool"; otherwise a text answer (so a `tool` result is answered with text);
    * `allowed_tools` restricts the candidates to its list, then applies its `mode` (auto or required) as above;
    * a function is *mentioned* when its name appears as a whole word, case-insensitively; several mentioned
      functions are called in `tools` order, one call each, unless `parallel_tool_calls` is false (first only).
    """
    if plan.mode == "none":
        return []
    if plan.mode == "function":
        return [f for f in plan.functions if f.name == plan.forced][:1]
    candidates = [f for f in plan.functions if plan.allowed is None or f.name in plan.allowed]
    last = messages[-1] if messages and isinstance(messages[-1], dict) else {}
    said = _text(last.get("content")) if last.get("role") == "user" else ""
    user_said = said or next((_text(m.get("content")) for m in reversed(messages)
                              if isinstance(m, dict) and m.get("role") == "user"), "")
    text = user_said if plan.mode == "required" else said
    chosen = list({f.name: f for f in candidates if re.search(
        rf"(?<![A-Za-z0-9_-]){re.escape(f.name)}(?![A-Za-z0-9_-])", text, re.IGNORECASE)}.values())
    if not chosen and candidates and (plan.mode == "required" or USE_A_TOOL.search(said)):
        chosen = candidates[:1]
    return chosen if plan.parallel else chosen[:1]


def calls(functions: Sequence[Function], material: str, budget: int) -> tuple[list[ToolCall], bool]:
    """The calls within `budget` completion tokens (arguments tokens count), and whether it cut them short.
    Arguments are `jsongen` instances of the function's `parameters` (a missing `type` is taken as "object"),
    seeded by the choice's seed material, the call's index and the function name, as compact JSON text; the
    id is `call_` + 24 hex digits of sha256 of that seed. A call cut by the budget keeps its partial arguments
    and the calls after it are dropped."""
    out: list[ToolCall] = []
    for index, function in enumerate(functions):
        if budget <= 0:
            return out, True
        schema = dict(function.parameters or {"properties": {}})
        schema.setdefault("type", "object")
        seed = f"{material}|call:{index}:{function.name}"
        try:
            arguments = dumps(jsongen.generate(schema, seed))
        except (jsongen.SchemaError, ValueError) as exc:  # ValueError: a NaN const
            raise errors.invalid_request(f"Invalid schema for function '{function.name}': {exc}",
                                         param=function.param, code="invalid_function_parameters") from None
        pieces, tokens = token_pieces(arguments)
        cut, used = token_pieces(arguments, budget) if tokens > budget else (pieces, tokens)
        call_id = "call_" + hashlib.sha256(seed.encode("utf-8")).hexdigest()[:24]
        out.append(ToolCall(call_id, function.name, tuple(cut), used))
        budget -= used
        if tokens > used:
            return out, True
    return out, False
