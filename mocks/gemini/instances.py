"""A small deterministic JSON-Schema instance generator, for function-call args and structured output."""

from __future__ import annotations

import hashlib
import math
import uuid
from collections.abc import Mapping
from typing import Any

MAX_DEPTH = 6
"""Past this nesting depth only required properties and `minItems` items are generated (cuts `$ref` cycles)."""

_WORDS = (
    "sentinel", "firewall", "beacon", "tenant", "cipher", "ledger", "quarantine", "audit", "gateway",
    "incident", "triage", "vault",
)
_KEYWORDS = {"properties": "object", "required": "object", "additionalProperties": "object", "items": "array",
             "minItems": "array", "maxItems": "array", "minimum": "number", "maximum": "number"}


class Draws:
    """A version-stable stream of small integers from a seed (sha256 in counter mode)."""

    def __init__(self, seed: bytes) -> None:
        self._seed, self._counter = seed, 0

    def below(self, n: int) -> int:
        self._counter += 1
        block = hashlib.sha256(self._seed + self._counter.to_bytes(8, "big")).digest()
        return int.from_bytes(block[:8], "big") % max(n, 1)

    def word(self) -> str:
        return _WORDS[self.below(len(_WORDS))]


def _resolve(root: Any, ref: str) -> Any:
    node = root
    for token in ref.removeprefix("#").strip("/").split("/") if ref not in ("#", "") else ():
        node = node[token.replace("~1", "/").replace("~0", "~")]
    return node


def _merge(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        if key == "properties":
            out["properties"] = {**out.get("properties", {}), **value}
        elif key == "required":
            out["required"] = [*out.get("required", []), *value]
        else:
            out.setdefault(key, value)
    return out


def _kind(schema: Mapping[str, Any]) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        return next((k for k in kind if k != "null"), "null")
    if isinstance(kind, str):
        return kind
    return next((v for k, v in _KEYWORDS.items() if k in schema), "string")


def _bounds(schema: Mapping[str, Any], integer: bool) -> tuple[float, float]:
    low, high = schema.get("minimum"), schema.get("maximum")
    step = 1 if integer else 0.0
    if isinstance(schema.get("exclusiveMinimum"), int | float) and not isinstance(schema["exclusiveMinimum"], bool):
        low = max(low, schema["exclusiveMinimum"] + step) if low is not None else schema["exclusiveMinimum"] + step
    elif schema.get("exclusiveMinimum") is True and low is not None:
        low += step
    if isinstance(schema.get("exclusiveMaximum"), int | float) and not isinstance(schema["exclusiveMaximum"], bool):
        high = min(high, schema["exclusiveMaximum"] - step) if high is not None else schema["exclusiveMaximum"] - step
    elif schema.get("exclusiveMaximum") is True and high is not None:
        high -= step
    low = low if low is not None else (high - 100 if high is not None else 0)
    high = high if high is not None else low + 100
    return (math.ceil(low), math.floor(high)) if integer else (low, high)


def _number(schema: Mapping[str, Any], draws: Draws, integer: bool) -> int | float:
    low, high = _bounds(schema, integer)
    step = schema.get("multipleOf")
    if isinstance(step, int | float) and step > 0:
        first, last = math.ceil(low / step), math.floor(high / step)
        k = first + draws.below(last - first + 1) if last >= first else first
        value = k * step
        return int(value) if integer or isinstance(step, int) else value
    if integer:
        return int(low) + draws.below(int(high - low) + 1)
    return low + (high - low) * (1 + draws.below(98)) / 100  # strictly inside: exclusive bounds hold


def _string(schema: Mapping[str, Any], draws: Draws) -> str:
    word = draws.word()
    formats = {
        "date-time": f"2025-{1 + draws.below(12):02}-{1 + draws.below(28):02}T{draws.below(24):02}:00:00Z",
        "date": f"2025-{1 + draws.below(12):02}-{1 + draws.below(28):02}", "time": "12:30:00Z",
        "email": f"{word}@example.com", "uri": f"https://example.com/{word}", "url": f"https://example.com/{word}",
        "hostname": f"{word}.example.com", "ipv4": f"10.0.{draws.below(256)}.{draws.below(256)}",
        "uuid": str(uuid.UUID(int=draws.below(2**63) << 64 | draws.below(2**63), version=4)),
    }
    text: str = formats.get(str(schema.get("format")), f"{word} {draws.word()}")
    low, high = schema.get("minLength", 0), schema.get("maxLength")
    text = text + "x" * max(0, low - len(text))
    return text[:high] if isinstance(high, int) else text


def _object(schema: Mapping[str, Any], draws: Draws, root: Any, depth: int) -> dict[str, Any]:
    props: Mapping[str, Any] = schema.get("properties") or {}
    required = list(dict.fromkeys(schema.get("required") or []))
    ordering = [p for p in schema.get("propertyOrdering") or [] if p in props]
    names = ordering + [p for p in props if p not in ordering]
    if depth >= MAX_DEPTH:
        names = [p for p in names if p in required]
    limit = schema.get("maxProperties")
    if isinstance(limit, int) and len(names) > limit:
        names = [p for p in names if p in required] + [p for p in names if p not in required]
        names = names[: max(limit, len(required))]
    out = {name: instance(props[name], draws, root=root, depth=depth + 1) for name in names}
    extra = schema.get("additionalProperties", True)
    for name in required:
        out.setdefault(name, instance(extra if isinstance(extra, Mapping) else {}, draws, root=root, depth=depth + 1))
    while len(out) < schema.get("minProperties", 0) and extra is not False:
        out[f"extra_{len(out)}"] = instance(extra if isinstance(extra, Mapping) else {}, draws, root=root,
                                            depth=depth + 1)
    return out


def _array(schema: Mapping[str, Any], draws: Draws, root: Any, depth: int) -> list[Any]:
    low = schema.get("minItems", 0)
    high = schema.get("maxItems", low + 3)
    count = low if depth >= MAX_DEPTH else max(low, min(high, 1 + draws.below(3)))
    items = schema.get("items", {})
    out: list[Any] = []
    for _ in range(count * 8 if schema.get("uniqueItems") else count):
        value = instance(items, draws, root=root, depth=depth + 1)
        if not (schema.get("uniqueItems") and value in out):
            out.append(value)
        if len(out) == count:
            break
    return out


def instance(schema: Any, draws: Draws, *, root: Any = None, depth: int = 0) -> Any:
    """A value valid against `schema` (JSON Schema; normalise Gemini's `Schema` with `schema.to_json_schema`
    first). Same schema and seed -> same value. `pattern` and `not` are not honoured."""
    root = schema if root is None else root
    if not isinstance(schema, Mapping):
        return None if schema is False else draws.word()
    if isinstance(schema.get("$ref"), str):
        rest = {k: v for k, v in schema.items() if k != "$ref"}
        return instance(_merge(rest, _resolve(root, schema["$ref"])), draws, root=root, depth=depth + 1)
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][draws.below(len(schema["enum"]))]
    if isinstance(schema.get("allOf"), list):
        merged = {k: v for k, v in schema.items() if k != "allOf"}
        for sub in schema["allOf"]:
            merged = _merge(merged, _resolve(root, sub["$ref"]) if "$ref" in sub else sub)
        return instance(merged, draws, root=root, depth=depth)
    for key in ("oneOf", "anyOf"):
        if isinstance(schema.get(key), list) and schema[key]:
            options = [o for o in schema[key] if not (isinstance(o, Mapping) and o.get("type") == "null")]
            options = options or schema[key]
            pick = options[0] if key == "oneOf" else options[draws.below(len(options))]
            rest = {k: v for k, v in schema.items() if k != key}
            return instance(_merge(rest, pick), draws, root=root, depth=depth)
    kind = _kind(schema)
    if kind == "object":
        return _object(schema, draws, root, depth)
    if kind == "array":
        return _array(schema, draws, root, depth)
    if kind in ("integer", "number"):
        return _number(schema, draws, kind == "integer")
    if kind == "boolean":
        return draws.below(2) == 1
    return None if kind == "null" else _string(schema, draws)
