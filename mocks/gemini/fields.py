"""Protobuf-JSON field readers that answer type errors the way Google's JSON parser words them."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from aigw_conformance.mocks.gemini import errors
from aigw_conformance.mocks.gemini.schema import camel, field, snake

__all__ = ["check_known", "field", "floating", "integer", "message", "path", "string", "strings"]


def _bad(where: str, kind: str, value: Any) -> errors.GeminiError:
    shown = json.dumps(value, ensure_ascii=False) if not isinstance(value, Mapping | list) else "[object]"
    return errors.invalid_json(f"Invalid value at '{where}' ({kind}), {shown}")


def check_known(message: Mapping[str, Any], names: Iterable[str], where: str | None, strict: bool) -> None:
    """Reject a field the message does not have (either spelling is accepted), as Google does."""
    known = set(names)
    for key in message if strict else ():
        if camel(key) not in known:
            raise errors.unknown_field(key, where)


def message(parent: Mapping[str, Any], name: str, where: str) -> dict[str, Any]:
    """An optional sub-message (`{}` when absent)."""
    value = field(parent, name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise errors.invalid_json(f"Invalid value at '{where}': expected an object.")
    return value


def integer(parent: Mapping[str, Any], name: str, where: str, low: int, high: int) -> int | None:
    """An int32 field: JSON numbers or numeric strings (protobuf JSON accepts both); range-checked."""
    value = field(parent, name)
    if value is None:
        return None
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(where, "TYPE_INT32", value)
    if not low <= value <= high:
        raise errors.invalid_argument(
            f"* {where}: must be in the range [{low}, {high}], got {value}.\n", field=where)
    return value


def floating(parent: Mapping[str, Any], name: str, where: str, low: float, high: float) -> float | None:
    value = field(parent, name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _bad(where, "TYPE_FLOAT", value)
    if not low <= value <= high:
        raise errors.invalid_argument(
            f"* {where}: must be in the range [{low}, {high}], got {value}.\n", field=where)
    return float(value)


def string(parent: Mapping[str, Any], name: str, where: str) -> str | None:
    value = field(parent, name)
    if value is not None and not isinstance(value, str):
        raise _bad(where, "TYPE_STRING", value)
    return value


def strings(parent: Mapping[str, Any], name: str, where: str) -> list[str]:
    value = field(parent, name)
    if value is None:
        return []
    if not isinstance(value, list):
        raise errors.invalid_json(f"Invalid value at '{where}' (TYPE_STRING), expected a list.")
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise _bad(f"{where}[{i}]", "TYPE_STRING", item)
    return value


def path(*names: str) -> str:
    """`generationConfig`, `thinkingConfig` -> `generation_config.thinking_config` (how Google names fields)."""
    return ".".join(snake(n) for n in names)
