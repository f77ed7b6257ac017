"""Deterministic JSON-Schema instances for tool inputs: the same schema and seed always give the same value."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from typing import Any, TypeGuard

import jsonschema

MAX_DEPTH = 8
_WORDS = (
    "alert", "host", "incident", "beacon", "token", "tenant", "policy", "session", "payload", "indicator",
    "firewall", "endpoint", "audit", "phish", "vault", "triage",
)
_FORMATS = {
    "date-time": "2025-01-01T00:00:00Z", "date": "2025-01-01", "time": "12:00:00Z", "email": "soc@example.com",
    "idn-email": "soc@example.com", "hostname": "gateway.example.com", "idn-hostname": "gateway.example.com",
    "ipv4": "192.0.2.10", "ipv6": "2001:db8::10", "uri": "https://example.com/incidents/1",
    "iri": "https://example.com/incidents/1", "uri-reference": "/incidents/1", "iri-reference": "/incidents/1",
    "duration": "PT1H", "json-pointer": "/incident/id", "regex": "^alert-[0-9]+$",
}


class Draws:
    """A version-stable stream of integers from a seed (sha256 in counter mode)."""

    def __init__(self, seed: bytes) -> None:
        self._seed, self._counter = seed, 0

    def below(self, n: int) -> int:
        self._counter += 1
        block = hashlib.sha256(self._seed + self._counter.to_bytes(8, "big")).digest()
        return int.from_bytes(block[:8], "big") % max(n, 1)


def instance(schema: Any, seed: bytes) -> Any:
    """A value valid against `schema` (JSON Schema draft 2020-12 / draft 7). Honoured: `type` (and type lists),
    `const`, `enum`, `properties`, `required`, `additionalProperties`, `minProperties`/`maxProperties`,
    `items`/`prefixItems`, `minItems`/`maxItems`, `uniqueItems`, `minimum`/`maximum` (and exclusive forms),
    `multipleOf`, `minLength`/`maxLength`, common `format`s, local `$ref` ($defs/definitions), `allOf`
    (merged shallowly), `anyOf`/`oneOf` (first branch). Not honoured: `pattern`, `not`, `if`/`then`."""
    return _Generator(schema, Draws(seed)).value(schema, 0)


def valid_instance(schema: Any, seed: bytes, attempts: int = 8) -> Any:
    """`instance(schema, seed)`, checked with jsonschema (formats included); on a miss (an unsupported keyword)
    the next seeds `seed + b"/1"`, ... are tried, and the last value is returned if none validates."""
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    value = None
    for attempt in range(attempts):
        value = instance(schema, seed if attempt == 0 else seed + f"/{attempt}".encode())
        if validator.is_valid(value):
            break
    return value


class _Generator:
    def __init__(self, root: Any, draws: Draws) -> None:
        self.root, self.draws = root, draws

    def value(self, schema: Any, depth: int) -> Any:
        if schema is True or not isinstance(schema, Mapping):
            return "value"
        schema = self._resolve(schema)
        if "const" in schema:
            return schema["const"]
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            return schema["enum"][self.draws.below(len(schema["enum"]))]
        if depth > 2 * MAX_DEPTH:
            return None
        make = getattr(self, f"_{self._type(schema)}", None)
        return make(schema, depth) if make else None

    def _resolve(self, schema: Mapping[str, Any]) -> Mapping[str, Any]:
        for _ in range(MAX_DEPTH):
            ref = schema.get("$ref")
            if isinstance(ref, str) and ref.startswith("#"):
                target: Any = self.root
                for token in filter(None, ref[1:].split("/")):
                    key = token.replace("~1", "/").replace("~0", "~")
                    target = target.get(key, {}) if isinstance(target, Mapping) else {}
                schema = {**{k: v for k, v in schema.items() if k != "$ref"}, **(target or {})}
                continue
            branches = schema.get("anyOf") or schema.get("oneOf")
            if isinstance(branches, list) and branches:
                rest = {k: v for k, v in schema.items() if k not in ("anyOf", "oneOf")}
                schema = {**rest, **branches[0]} if isinstance(branches[0], Mapping) else rest
                continue
            if isinstance(schema.get("allOf"), list):
                merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
                for branch in schema["allOf"]:
                    if isinstance(branch, Mapping):
                        part = self._resolve(branch)
                        props = {**merged.get("properties", {}), **part.get("properties", {})}
                        required = [*merged.get("required", []), *part.get("required", [])]
                        merged.update(part)
                        merged["properties"], merged["required"] = props, list(dict.fromkeys(required))
                schema = merged
                continue
            break
        return schema

    @staticmethod
    def _type(schema: Mapping[str, Any]) -> str:
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), kind[0] if kind else None)
        if isinstance(kind, str):
            return kind
        if "properties" in schema or "required" in schema:
            return "object"
        if "items" in schema or "prefixItems" in schema:
            return "array"
        if any(k in schema for k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")):
            return "number"
        return "string"

    def _null(self, schema: Mapping[str, Any], depth: int) -> None:
        return None

    def _boolean(self, schema: Mapping[str, Any], depth: int) -> bool:
        return self.draws.below(2) == 1

    def _string(self, schema: Mapping[str, Any], depth: int) -> str:
        low, high = int(schema.get("minLength", 0)), schema.get("maxLength")
        fmt = schema.get("format")
        if fmt == "uuid":
            text = str(hashlib.sha256(str(self.draws.below(2**32)).encode()).hexdigest())
            text = f"{text[:8]}-{text[8:12]}-4{text[13:16]}-8{text[17:20]}-{text[20:32]}"
        elif isinstance(fmt, str) and fmt in _FORMATS:
            text = _FORMATS[fmt]
        else:
            words = [_WORDS[self.draws.below(len(_WORDS))] for _ in range(1 + self.draws.below(3))]
            text = "-".join(words)
        while len(text) < low:
            text += "-" + _WORDS[self.draws.below(len(_WORDS))]
        return text if high is None else text[: int(high)]

    def _integer(self, schema: Mapping[str, Any], depth: int) -> int:
        low, high = _int_bound(schema, lower=True), _int_bound(schema, lower=False)
        step = schema.get("multipleOf")
        step = int(step) if _is_number(step) and step >= 1 and float(step).is_integer() else 1
        start = low if low is not None else (high - 100 if high is not None else 0)
        end = high if high is not None else start + 100
        first = -(-start // step) * step
        count = (end - first) // step + 1 if end >= first else 1
        return int(first + step * self.draws.below(count))

    def _number(self, schema: Mapping[str, Any], depth: int) -> int | float:
        step = schema.get("multipleOf")
        candidates: list[int | float] = []
        if not _is_number(step) or float(step).is_integer():
            candidates.append(self._integer(schema, depth))
        else:
            low = _int_bound({**schema, "minimum": schema.get("minimum", -100)}, lower=True) or 0
            first = math.ceil(low / step)
            candidates += [float(f"{k * step:.12g}") for k in range(first, first + 64)][self.draws.below(8):]
        lows = [v for k in ("minimum", "exclusiveMinimum") if _is_number(v := schema.get(k))]
        highs = [v for k in ("maximum", "exclusiveMaximum") if _is_number(v := schema.get(k))]
        if lows and highs:
            candidates.append((max(lows) + min(highs)) / 2)
        return next((c for c in candidates if _fits(schema, c)), candidates[0])

    def _array(self, schema: Mapping[str, Any], depth: int) -> list[Any]:
        items = schema.get("items", {})
        prefix = schema.get("prefixItems")
        if isinstance(items, list):  # draft 7 tuple form
            prefix, items = items, schema.get("additionalItems", {})
        prefix = prefix if isinstance(prefix, list) else []
        low, high = int(schema.get("minItems", 0)), schema.get("maxItems")
        size = max(low, len(prefix), 1 if depth < MAX_DEPTH else 0)
        if high is not None:
            size = min(size, int(high))
        out: list[Any] = []
        for _ in range(4 * size + 4):
            if len(out) >= size:
                break
            value = self.value(prefix[len(out)] if len(out) < len(prefix) else items, depth + 1)
            if not (schema.get("uniqueItems") and value in out):
                out.append(value)
        return out

    def _object(self, schema: Mapping[str, Any], depth: int) -> dict[str, Any]:
        props: Mapping[str, Any] = schema["properties"] if isinstance(schema.get("properties"), Mapping) else {}
        required = [r for r in schema.get("required") or [] if isinstance(r, str)]
        high = schema.get("maxProperties")
        names = list(dict.fromkeys([*required, *(props if depth < MAX_DEPTH else [])]))
        if high is not None:
            names = names[: max(int(high), len(required))]
        out = {name: self.value(props.get(name, {}), depth + 1) for name in names}
        extra = schema.get("additionalProperties", True)
        while len(out) < int(schema.get("minProperties", 0)) and extra is not False:
            out[f"extra_{len(out)}"] = self.value(extra, depth + 1)
        return out


def _is_number(value: Any) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _int_bound(schema: Mapping[str, Any], *, lower: bool) -> int | None:
    """The tightest integer bound from `minimum`/`exclusiveMinimum` (`lower`) or the maximum pair."""
    found: list[int] = []
    inclusive, exclusive = ("minimum", "exclusiveMinimum") if lower else ("maximum", "exclusiveMaximum")
    if _is_number(value := schema.get(inclusive)):
        found.append(math.ceil(value) if lower else math.floor(value))
    if _is_number(value := schema.get(exclusive)):
        found.append(math.floor(value) + 1 if lower else math.ceil(value) - 1)
    if not found:
        return None
    return max(found) if lower else min(found)


def _fits(schema: Mapping[str, Any], value: float) -> bool:
    """Whether `value` meets the numeric keywords of `schema` (multipleOf checked as jsonschema does)."""
    bounds = {key: schema.get(key) for key in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum")}
    ok = [
        not _is_number(low := bounds["minimum"]) or value >= low,
        not _is_number(low := bounds["exclusiveMinimum"]) or value > low,
        not _is_number(high := bounds["maximum"]) or value <= high,
        not _is_number(high := bounds["exclusiveMaximum"]) or value < high,
    ]
    if not all(ok):
        return False
    step = schema.get("multipleOf")
    if not _is_number(step) or step <= 0:
        return True
    quotient = value / step
    return math.isfinite(quotient) and int(quotient) == quotient
