"""Gemini's OpenAPI-subset `Schema` (upper-case types, `nullable`, any key case) as JSON Schema; its instances."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from aigw_conformance.mocks.core import jsongen

TYPES = frozenset({"string", "number", "integer", "boolean", "array", "object", "null"})
_INT_FIELDS = frozenset({"minItems", "maxItems", "minLength", "maxLength", "minProperties", "maxProperties"})
_SCHEMA_FIELDS = frozenset({
    "type", "format", "title", "description", "nullable", "enum", "maxItems", "minItems", "properties",
    "required", "minProperties", "maxProperties", "minLength", "maxLength", "pattern", "example", "anyOf",
    "propertyOrdering", "default", "items", "minimum", "maximum", "additionalProperties", "$ref", "$defs",
})
_ALIASES = {"ref": "$ref", "defs": "$defs"}


class SchemaError(ValueError):
    """The schema is not one Gemini accepts; `path` names the offending field (dotted, snake_case)."""

    def __init__(self, message: str, path: str) -> None:
        super().__init__(message)
        self.path = path


def camel(name: str) -> str:
    """`max_items` -> `maxItems` (protobuf JSON accepts both spellings of every field)."""
    head, *rest = name.split("_")
    return head + "".join(word[:1].upper() + word[1:] for word in rest)


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def field(message: Mapping[str, Any], name: str, default: Any = None) -> Any:
    """Field `name` (camelCase) of a protobuf-JSON message, whichever spelling the sender used."""
    if name in message:
        return message[name]
    return message.get(snake(name), default)


def _type(value: Any, path: str) -> str | None:
    if value == "TYPE_UNSPECIFIED":
        return None
    if not isinstance(value, str) or value.lower() not in TYPES:
        raise SchemaError(f"Invalid value at '{path}' (type.googleapis.com/google.ai.generativelanguage"
                          f".v1beta.Type), \"{value}\"", path)
    return value.lower()


def to_json_schema(schema: Any, path: str = "schema") -> dict[str, Any]:
    """The JSON Schema equivalent of a Gemini `Schema`: types lower-cased, `nullable: true` as a `"null"`
    type (and `null` enum member), int64 fields given as strings turned into integers, keys camelCased.
    Raises `SchemaError` on an unknown field or type."""
    if not isinstance(schema, Mapping):
        raise SchemaError(f"Invalid value at '{path}': expected an object", path)
    out: dict[str, Any] = {}
    for raw_key, value in schema.items():
        key = _ALIASES.get(raw_key, camel(raw_key))
        where = f"{path}.{snake(raw_key)}"
        if key not in _SCHEMA_FIELDS:
            raise SchemaError(f'Invalid JSON payload received. Unknown name "{raw_key}" at \'{path}\': '
                              "Cannot find field.", where)
        if key == "type":
            if (kind := _type(value, where)) is not None:
                out["type"] = kind
        elif key in ("properties", "$defs") and isinstance(value, Mapping):
            out[key] = {name: to_json_schema(sub, f"{where}[{name}].value") for name, sub in value.items()}
        elif key == "items" or (key == "additionalProperties" and isinstance(value, Mapping)):
            out[key] = to_json_schema(value, where)
        elif key == "anyOf" and isinstance(value, list):
            out["anyOf"] = [to_json_schema(sub, f"{where}[{i}]") for i, sub in enumerate(value)]
        elif key in _INT_FIELDS and isinstance(value, str) and value.isdigit():
            out[key] = int(value)
        elif key != "nullable":
            out[key] = value
    if field(schema, "nullable") is True:
        if isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
        if isinstance(out.get("enum"), list) and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
    return out


def instance(schema: Any, seed: str) -> Any:
    """A value valid against `schema` (JSON Schema: a Gemini `Schema` normalised by `to_json_schema`, or a
    `responseJsonSchema`), drawn by the one generator (`mocks.core.jsongen`) from `seed`, with each object's
    keys in its `propertyOrdering` first, as Gemini orders them; None when no valid value can be made."""
    try:
        return _ordered(jsongen.generate(schema, seed), schema)
    except (jsongen.SchemaError, ValueError):  # ValueError: a NaN const
        return None


def _ordered(value: Any, schema: Any) -> Any:
    if not isinstance(schema, Mapping):
        return value
    if isinstance(value, dict):
        props: Mapping[str, Any] = schema["properties"] if isinstance(schema.get("properties"), Mapping) else {}
        first = [name for name in schema.get("propertyOrdering") or [] if name in value]
        names = first + [name for name in value if name not in first]
        return {name: _ordered(value[name], props.get(name)) for name in names}
    if isinstance(value, list):
        return [_ordered(item, schema.get("items")) for item in value]
    return value
