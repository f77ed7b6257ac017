"""Function declarations and `toolConfig`: their validation and the deterministic rule for calling them."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aigw_conformance.mocks.gemini import errors
from aigw_conformance.mocks.gemini.fields import check_known, field, message, strings
from aigw_conformance.mocks.gemini.schema import SchemaError, to_json_schema

TOOL_FIELDS = ("functionDeclarations", "googleSearch", "googleSearchRetrieval", "codeExecution", "urlContext",
               "computerUse", "fileSearch", "googleMaps")
DECLARATION_FIELDS = ("name", "description", "parameters", "parametersJsonSchema", "response",
                      "responseJsonSchema", "behavior")
MODES = ("MODE_UNSPECIFIED", "AUTO", "ANY", "NONE", "VALIDATED")
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.:-]{0,63}")
EMPTY_OBJECT: dict[str, Any] = {"type": "object", "properties": {}}


@dataclass(frozen=True)
class Declaration:
    """A declared function; `schema` is its parameters as JSON Schema (Gemini `Schema` normalised)."""

    name: str
    schema: Any


@dataclass(frozen=True)
class Tooling:
    declarations: tuple[Declaration, ...] = ()
    mode: str = "AUTO"  # AUTO (also for MODE_UNSPECIFIED and VALIDATED), ANY or NONE
    allowed: tuple[str, ...] = ()


def _declaration(item: Any, where: str, strict: bool) -> Declaration:
    if not isinstance(item, dict):
        raise errors.invalid_json(f"Invalid value at '{where}': expected an object.")
    check_known(item, DECLARATION_FIELDS, where, strict)
    name = item.get("name")
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise errors.invalid_argument(
            f"* GenerateContentRequest.{where}.name: Invalid function name. Must start with a letter or an "
            "underscore. Must be a-z, A-Z, 0-9, or contain underscores, dots, colons and dashes, with a maximum "
            "length of 64.\n", field=f"{where}.name")
    parameters, json_schema = field(item, "parameters"), field(item, "parametersJsonSchema")
    if parameters is not None and json_schema is not None:
        raise errors.invalid_argument(f"* GenerateContentRequest.{where}: parameters and parameters_json_schema "
                                      "cannot both be set.\n", field=where)
    if parameters is None:
        return Declaration(name, EMPTY_OBJECT if json_schema is None else json_schema)
    try:
        return Declaration(name, to_json_schema(parameters, f"{where}.parameters"))
    except SchemaError as exc:
        raise errors.invalid_argument(str(exc), field=exc.path) from None


def parse(body: Mapping[str, Any], *, strict: bool = True) -> Tooling:
    """`tools` and `toolConfig` of a request, validated."""
    tools = field(body, "tools") or []
    if not isinstance(tools, list):
        raise errors.invalid_json("Invalid value at 'tools': expected a list.")
    declarations: list[Declaration] = []
    for i, tool in enumerate(tools):
        if not isinstance(tool, dict):
            raise errors.invalid_json(f"Invalid value at 'tools[{i}]': expected an object.")
        check_known(tool, TOOL_FIELDS, f"tools[{i}]", strict)
        items = field(tool, "functionDeclarations") or []
        for j, item in enumerate(items if isinstance(items, list) else [items]):
            declarations.append(_declaration(item, f"tools[{i}].function_declarations[{j}]", strict))
    names = [d.name for d in declarations]
    if duplicate := next((n for n in names if names.count(n) > 1), None):
        raise errors.invalid_argument(f"* GenerateContentRequest.tools: Duplicate function declaration found: "
                                      f"{duplicate}\n", field="tools")
    where = "tool_config.function_calling_config"
    config = message(message(body, "toolConfig", "tool_config"), "functionCallingConfig", where)
    mode = config.get("mode", "AUTO")
    if mode not in MODES:
        raise errors.invalid_json(f"Invalid value at '{where}.mode' (type.googleapis.com/google.ai."
                                  f"generativelanguage.v1beta.FunctionCallingConfig.Mode), \"{mode}\"")
    allowed = strings(config, "allowedFunctionNames", f"{where}.allowed_function_names")
    if allowed and mode not in ("ANY", "VALIDATED"):
        raise errors.invalid_argument(f"* GenerateContentRequest.{where}.allowed_function_names: "
                                      "allowed_function_names can only be set when mode is ANY or VALIDATED.\n")
    if unknown := [n for n in allowed if n not in names]:
        raise errors.invalid_argument(f"* GenerateContentRequest.{where}.allowed_function_names: function "
                                      f"{unknown[0]} is not declared in tools.\n")
    if mode == "ANY" and not declarations:
        raise errors.invalid_argument(f"* GenerateContentRequest.{where}.mode: function calling mode ANY "
                                      "requires function_declarations.\n")
    effective = mode if mode in ("ANY", "NONE") else "AUTO"
    return Tooling(tuple(declarations), effective, tuple(allowed))


def _mentions(text: str, name: str) -> bool:
    return re.search(rf"(?<![\w.:-]){re.escape(name)}(?![\w:-]|\.\w)", text) is not None


def choose(tooling: Tooling, contents: Sequence[Mapping[str, Any]]) -> list[Declaration]:
    """The functions to call instead of answering text (empty: answer text). The rule:

    * `NONE`, or no declarations: none.
    * candidates are the declarations in order, restricted to `allowedFunctionNames` when given;
    * "mentioned" = a candidate's exact name appears as a whole token (not inside a longer identifier) in the
      text parts of the last `user` turn;
    * `ANY`: the mentioned candidates, or the first candidate if none is mentioned;
    * `AUTO` (and `VALIDATED`, `MODE_UNSPECIFIED`): the mentioned candidates, but none when the last turn
      carries a `functionResponse` (the model answers the tool result in text).
    """
    pool = [d for d in tooling.declarations if not tooling.allowed or d.name in tooling.allowed]
    if tooling.mode == "NONE" or not pool:
        return []
    last = contents[-1] if contents else {}
    if tooling.mode == "AUTO" and any(field(p, "functionResponse") is not None for p in last.get("parts", [])):
        return []
    users = [c for c in contents if c.get("role") in (None, "", "user")]
    text = " ".join(p["text"] for p in (users[-1]["parts"] if users else []) if isinstance(p.get("text"), str))
    mentioned = [d for d in pool if _mentions(text, d.name)]
    return mentioned or (pool[:1] if tooling.mode == "ANY" else [])
