"""Structured output: validate `response_format` and generate its JSON content (`json_object`, `json_schema`)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aigw_conformance.mocks.core import jsongen
from aigw_conformance.mocks.core.sse import dumps
from aigw_conformance.mocks.openai import errors
from aigw_conformance.mocks.openai.params import bad_type, choice

NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
JSON_OBJECT_SCHEMA: Mapping[str, Any] = {
    "type": "object",
    "properties": {
        "summary": {"type": "string", "minLength": 8, "maxLength": 60},
        "severity": {"enum": ["low", "medium", "high", "critical"]},
        "confidence": {"type": "number", "minimum": 0, "maximum": 1},
        "indicators": {"type": "array", "items": {"type": "string", "format": "ipv4"}, "maxItems": 3},
    },
    "required": ["summary", "severity", "confidence", "indicators"],
    "additionalProperties": False,
}
"""What `json_object` answers are instances of: an object, as OpenAI promises, and nothing more."""


@dataclass(frozen=True)
class OutputFormat:
    kind: str  # "json_object" or "json_schema"
    name: str
    schema: Mapping[str, Any]
    strict: bool


def missing(param: str) -> errors.OpenAIError:
    return errors.invalid_request(f"Missing required parameter: '{param}'.", param=param,
                                  code="missing_required_parameter")


def kind_of(value: Mapping[str, Any], param: str, allowed: tuple[str, ...]) -> str:
    """The `type` of a tagged object such as a tool or a response format, one of `allowed`."""
    if value.get("type") is None:
        raise missing(f"{param}.type")
    return str(choice({f"{param}.type": value["type"]}, f"{param}.type", allowed))


def _subschemas(schema: Mapping[str, Any], context: tuple[str, ...]) -> Iterator[tuple[Any, tuple[str, ...]]]:
    for key in ("properties", "$defs", "definitions"):
        if isinstance(schema.get(key), Mapping):
            yield from ((sub, (*context, key, name)) for name, sub in schema[key].items())
    if isinstance(schema.get("items"), Mapping):
        yield schema["items"], (*context, "items")
    for key in ("anyOf", "allOf", "oneOf"):
        if isinstance(schema.get(key), list):
            yield from ((sub, (*context, key, str(i))) for i, sub in enumerate(schema[key]))


def strict_problem(schema: Any, context: tuple[str, ...] = ()) -> str | None:
    """What OpenAI's strict mode objects to, worded as it words it: every object schema must set
    `additionalProperties: false` and list every property in `required`. None: the schema is fine."""
    if not isinstance(schema, Mapping):
        return None
    if schema.get("type") == "object" or "properties" in schema:
        if schema.get("additionalProperties") is not False:
            return f"In context={context}, 'additionalProperties' is required to be supplied and to be false."
        listed = schema.get("required")
        required: list[Any] = listed if isinstance(listed, list) else []
        absent = [key for key in schema.get("properties") or {} if key not in required]
        if absent:
            return (f"In context={context}, 'required' is required to be supplied and to be an array including "
                    f"every key in properties. Missing '{absent[0]}'.")
    for sub, where in _subschemas(schema, context):
        problem = strict_problem(sub, where)
        if problem:
            return problem
    return None


def _mentions_json(messages: Sequence[Any]) -> bool:
    return any("json" in str(m.get("content")).lower() for m in messages if isinstance(m, dict))


def parse(body: Mapping[str, Any], messages: Sequence[Any], *, strict: bool = True) -> OutputFormat | None:
    """`response_format`, validated; None for plain text. `strict` (OpenAI): `json_object` needs the word
    "json" somewhere in the messages."""
    value = body.get("response_format")
    if value is None:
        return None
    if not isinstance(value, dict):
        raise bad_type("response_format", "an object", value)
    kind = kind_of(value, "response_format", ("text", "json_object", "json_schema"))
    if kind == "text":
        return None
    if kind == "json_object":
        if strict and not _mentions_json(messages):
            raise errors.invalid_request("'messages' must contain the word 'json' in some form, to use "
                                         "'response_format' of type 'json_object'.", param="messages")
        return OutputFormat(kind, "json_object", JSON_OBJECT_SCHEMA, False)
    spec = value.get("json_schema")
    if not isinstance(spec, dict):
        raise missing("response_format.json_schema") if spec is None else bad_type(
            "response_format.json_schema", "an object", spec)
    name, schema, exact = spec.get("name"), spec.get("schema"), spec.get("strict")
    if not isinstance(name, str):
        raise missing("response_format.json_schema.name") if name is None else bad_type(
            "response_format.json_schema.name", "a string", name)
    if not NAME.match(name):
        raise errors.invalid_request(
            "Invalid 'response_format.json_schema.name': string does not match pattern. Expected a string that "
            "matches the pattern '^[a-zA-Z0-9_-]{1,64}$'.", param="response_format.json_schema.name",
            code="invalid_value")
    if not isinstance(schema, dict):
        raise missing("response_format.json_schema.schema") if schema is None else bad_type(
            "response_format.json_schema.schema", "an object", schema)
    if exact is not None and not isinstance(exact, bool):
        raise bad_type("response_format.json_schema.strict", "a boolean", exact)
    declared = schema.get("type", "object")
    problem = (f"schema must be a JSON Schema of 'type: \"object\"', got 'type: \"{declared}\"'."
               if exact and declared != "object" else strict_problem(schema) if exact else None)
    if problem:
        raise errors.invalid_request(f"Invalid schema for response_format '{name}': {problem}",
                                     param="response_format")
    return OutputFormat(kind, name, schema, bool(exact))


def content(fmt: OutputFormat, material: str) -> str:
    """The JSON answer: a `jsongen` instance of the schema seeded by the choice's material, compact."""
    try:
        return dumps(jsongen.generate(fmt.schema, f"{material}|{fmt.kind}:{fmt.name}"))
    except (jsongen.SchemaError, ValueError) as exc:  # ValueError: a NaN const
        raise errors.invalid_request(f"Invalid schema for response_format '{fmt.name}': {exc}",
                                     param="response_format") from None
