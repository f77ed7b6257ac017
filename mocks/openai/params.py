"""Request-parameter checks worded as OpenAI words them, for the embeddings and audio endpoints."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from typing import Any

from aigw_conformance.mocks.openai import errors


def kind(value: Any) -> str:
    """How OpenAI names a JSON value's type in its error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a decimal"
    return "a string" if isinstance(value, str) else "an array" if isinstance(value, list) else "an object"


def bad_type(param: str, expected: str, value: Any) -> errors.OpenAIError:
    return errors.invalid_request(
        f"Invalid type for '{param}': expected {expected}, but got {kind(value)} instead.",
        param=param, code="invalid_type",
    )


def json_object(raw: bytes) -> dict[str, Any]:
    """The request body as a JSON object (OpenAI's 400 for anything else)."""
    try:
        body = json.loads(raw)
    except ValueError:
        raise errors.invalid_json() from None
    if not isinstance(body, dict):
        raise errors.invalid_json()
    return body


def reject_unknown(body: Mapping[str, Any], known: Collection[str]) -> None:
    unknown = sorted(set(body) - set(known))
    if unknown:
        raise errors.invalid_request(f"Unrecognized request argument supplied: {unknown[0]}")


def required(body: Mapping[str, Any], name: str) -> Any:
    if body.get(name) is None:
        raise errors.invalid_request(
            f"Missing required parameter: '{name}'.", param=name, code="missing_required_parameter")
    return body[name]


def string(body: Mapping[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise bad_type(name, "a string", value)
    return value


def choice(body: Mapping[str, Any], name: str, allowed: Collection[str], default: str | None = None) -> str | None:
    """A string parameter restricted to `allowed` (OpenAI's `invalid_value`)."""
    value = string(body, name)
    if value is None:
        return default
    if value not in allowed:
        quoted = [f"'{a}'" for a in allowed]
        listed = ", ".join(quoted[:-1]) + (", and " if len(quoted) > 2 else " and ") + quoted[-1]
        raise errors.invalid_request(
            f"Invalid value: '{value}'. Supported values are: {listed}.", param=name, code="invalid_value")
    return value


def _bound(name: str, noun: str, value: float, low: float | None, high: float | None) -> None:
    def shown(x: float) -> str:
        return str(int(x)) if float(x).is_integer() else str(x)

    if low is not None and value < low:
        raise errors.invalid_request(
            f"Invalid '{name}': {noun} below minimum value. Expected a value >= {shown(low)}, but got "
            f"{shown(value)} instead.", param=name, code=f"{noun}_below_min_value")
    if high is not None and value > high:
        raise errors.invalid_request(
            f"Invalid '{name}': {noun} above maximum value. Expected a value <= {shown(high)}, but got "
            f"{shown(value)} instead.", param=name, code=f"{noun}_above_max_value")


def integer(body: Mapping[str, Any], name: str, low: int | None = None, high: int | None = None) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad_type(name, "an integer", value)
    _bound(name, "integer", value, low, high)
    return value


def number(body: Mapping[str, Any], name: str, low: float | None = None, high: float | None = None) -> float | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise bad_type(name, "a decimal", value)
    _bound(name, "decimal", value, low, high)
    return float(value)
