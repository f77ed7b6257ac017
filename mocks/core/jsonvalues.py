"""Per-type instance generators behind `mocks.core.jsongen`: objects, arrays, strings, numbers, booleans."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from aigw_conformance.mocks.core import regexgen

SOFT_DEPTH = 4
"""From this nesting depth on, objects carry only required properties and arrays only their minimum items."""
MAX_ITEMS = 256
MAX_LENGTH = 4096
SCAN = 200
"""How many multiples of `multipleOf` are tried before giving up."""

Draw = Callable[[int], int]
_WORDS = ("alert", "beacon", "host", "token", "policy", "scan", "agent", "tenant", "signal", "audit", "firewall",
          "session", "incident", "sensor", "domain", "finding")


class SchemaError(ValueError):
    """The schema is invalid, uses something unsupported, or no instance could be generated for it."""


class Context(Protocol):
    """What the per-type generators need from the generator: draws, and recursion into subschemas."""

    def pick(self, n: int) -> int: ...

    def value(self, schema: Any, depth: int) -> Any: ...


def filler_text(pick: Draw, low: int, high: int | None) -> str:
    """Security-flavoured words, at least `low` and at most `high` characters long."""
    words = [_WORDS[pick(len(_WORDS))] for _ in range(1 + pick(3))]
    while len(" ".join(words)) < low:
        words.append(_WORDS[pick(len(_WORDS))])
    text = " ".join(words)
    text = text if high is None else text[:high]
    return text.rstrip() if len(text.rstrip()) >= low else text


def _uuid(pick: Draw) -> str:
    digits = "".join("0123456789abcdef"[pick(16)] for _ in range(30))
    return f"{digits[:8]}-{digits[8:12]}-4{digits[12:15]}-{'89ab'[pick(4)]}{digits[15:18]}-{digits[18:30]}"


FORMATS: dict[str, Callable[[Draw], str]] = {
    "date-time": lambda p: f"2025-{1 + p(12):02}-{1 + p(28):02}T{p(24):02}:{p(60):02}:{p(60):02}Z",
    "date": lambda p: f"2025-{1 + p(12):02}-{1 + p(28):02}",
    "time": lambda p: f"{p(24):02}:{p(60):02}:{p(60):02}Z",
    "email": lambda p: f"{_WORDS[p(len(_WORDS))]}.{p(1000)}@example.com",
    "uri": lambda p: f"https://example.com/{_WORDS[p(len(_WORDS))]}/{p(1000)}",
    "url": lambda p: f"https://example.com/{_WORDS[p(len(_WORDS))]}/{p(1000)}",
    "uuid": _uuid,
    "hostname": lambda p: f"{_WORDS[p(len(_WORDS))]}-{p(100)}.example.com",
    "ipv4": lambda p: f"10.{p(256)}.{p(256)}.{1 + p(254)}",
    "ipv6": lambda p: f"2001:db8::{p(65536):x}",
}
"""The `format`s generated in their own shape; any other format gets plain text."""


def is_multiple(value: float, step: float) -> bool:
    """`multipleOf` exactly as jsonschema judges it (float steps by quotient, integer steps by modulo)."""
    if isinstance(step, float):
        quotient = value / step
        return math.isfinite(quotient) and int(quotient) == quotient
    return value % step == 0


def _count(schema: Mapping[str, Any], key: str) -> int | None:
    value = schema.get(key)
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _string(ctx: Context, schema: Mapping[str, Any]) -> str:
    low, high = _count(schema, "minLength") or 0, _count(schema, "maxLength")
    if low > MAX_LENGTH or (high is not None and high < low):
        raise SchemaError(f"string length bounds [{low}, {high}] are not generable")
    pattern = schema.get("pattern")
    if isinstance(pattern, str):
        for _ in range(8):
            text = regexgen.generate(pattern, ctx.pick)
            text += "x" * max(low - len(text), 0)
            if (high is None or len(text) <= high) and re.search(pattern, text):
                return text
        raise SchemaError(f"no string of length [{low}, {high}] matching {pattern!r} was found")
    fmt = schema.get("format")
    if isinstance(fmt, str) and fmt in FORMATS:
        text = FORMATS[fmt](ctx.pick)
        if low <= len(text) <= (len(text) if high is None else high):
            return text
    return filler_text(ctx.pick, low, high)


def _bound(schema: Mapping[str, Any], inclusive: str, exclusive: str, pick_max: bool) -> tuple[float | None, bool]:
    """The tighter of `minimum`/`exclusiveMinimum` (or the maximums): (bound, whether it is exclusive)."""
    values = [(v, flag) for v, flag in ((schema.get(inclusive), False), (schema.get(exclusive), True))
              if isinstance(v, int | float) and not isinstance(v, bool)]
    if not values:
        return None, False
    return sorted(values, key=lambda item: (item[0], item[1] if pick_max else not item[1]))[-1 if pick_max else 0]


def _number(ctx: Context, schema: Mapping[str, Any], integer: bool) -> int | float:
    low, low_x = _bound(schema, "minimum", "exclusiveMinimum", True)
    high, high_x = _bound(schema, "maximum", "exclusiveMaximum", False)

    def inside(v: float) -> bool:
        return ((low is None or v > low or (v == low and not low_x))
                and (high is None or v < high or (v == high and not high_x)))

    if integer:
        low = None if low is None else math.floor(low) + 1 if low_x else math.ceil(low)
        high = None if high is None else math.ceil(high) - 1 if high_x else math.floor(high)
        low_x = high_x = False
    lo = low if low is not None else (high - 100 if high is not None else 0)
    hi = high if high is not None else lo + 100
    raw_step = schema.get("multipleOf")
    if isinstance(raw_step, int | float) and not isinstance(raw_step, bool) and raw_step > 0:
        step: float = raw_step
        first, last = math.ceil(lo / step), math.floor(hi / step)
        start = first + ctx.pick(min(max(last - first, 0), SCAN) + 1)
        for k in [*range(start, start + SCAN), *range(start - 1, start - SCAN, -1)]:
            v: float = k * step if isinstance(step, int) else round(k * step, 12)
            v = round(v) if integer else v
            if inside(v) and is_multiple(v, step):
                return v
        raise SchemaError(f"no multiple of {step} within the bounds")
    if integer:
        if lo > hi:
            raise SchemaError(f"no integer in [{lo}, {hi}]")
        return int(lo) + ctx.pick(min(int(hi) - int(lo), 10_000) + 1)
    candidate = round(lo + (hi / 2 - lo / 2) * 2 * (1 + ctx.pick(999)) / 1000, 2)
    for v in (candidate, lo / 2 + hi / 2, float(lo), float(hi)):
        if inside(v) and math.isfinite(v):
            return v
    raise SchemaError(f"no number within the bounds [{low}, {high}]")


def _array(ctx: Context, schema: Mapping[str, Any], depth: int) -> list[Any]:
    prefix = schema.get("prefixItems") if isinstance(schema.get("prefixItems"), list) else []
    assert isinstance(prefix, list)
    items = schema.get("items", True)
    low, high = _count(schema, "minItems") or 0, _count(schema, "maxItems")
    if items is False:
        high = len(prefix) if high is None else min(high, len(prefix))
    count = low if depth >= SOFT_DEPTH else max(low, 1 + ctx.pick(3))
    count = count if high is None else min(count, high)
    if count < low or low > MAX_ITEMS:
        raise SchemaError(f"cannot generate {low} items")
    out: list[Any] = []
    seen: set[str] = set()
    for i in range(count):
        for _ in range(8):
            item = ctx.value(prefix[i] if i < len(prefix) else items, depth + 1)
            key = json.dumps(item, sort_keys=True)
            if schema.get("uniqueItems") is not True or key not in seen:
                break
        else:
            if len(out) >= low:
                break
            raise SchemaError("uniqueItems could not be satisfied")
        seen.add(key)
        out.append(item)
    return out


def _object(ctx: Context, schema: Mapping[str, Any], depth: int) -> dict[str, Any]:
    props = schema.get("properties") if isinstance(schema.get("properties"), Mapping) else {}
    assert isinstance(props, Mapping)
    required = [r for r in schema.get("required") or [] if isinstance(r, str)]
    extra = schema.get("additionalProperties", True)
    names = list(dict.fromkeys([*props, *required]))
    chosen = [n for n in names if n in required or depth < SOFT_DEPTH]
    most, least = _count(schema, "maxProperties"), _count(schema, "minProperties") or 0
    if most is not None:
        optional = [n for n in chosen if n not in required][: max(most - len(set(required)), 0)]
        chosen = [n for n in chosen if n in required or n in optional]
    chosen += [n for n in names if n not in chosen][: max(least - len(chosen), 0)]
    chosen += [f"extra_{i}" for i in range(max(least - len(chosen), 0))] if extra is not False else []
    out: dict[str, Any] = {}
    for name in chosen:
        if name not in props and extra is False:
            raise SchemaError(f"required property {name!r} is not allowed by additionalProperties: false")
        out[name] = ctx.value(props.get(name, extra), depth + 1)
    return out


def generate(ctx: Context, kind: str, schema: Mapping[str, Any], depth: int) -> Any:
    """An instance of `schema` read as type `kind` (one of the seven JSON types)."""
    if kind == "object":
        return _object(ctx, schema, depth)
    if kind == "array":
        return _array(ctx, schema, depth)
    if kind in ("integer", "number"):
        return _number(ctx, schema, kind == "integer")
    if kind == "boolean":
        return ctx.pick(2) == 1
    if kind == "null":
        return None
    return _string(ctx, schema)
