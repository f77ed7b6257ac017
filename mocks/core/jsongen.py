"""Deterministic JSON-Schema instances: a seeded value that is valid against the schema by construction."""

from __future__ import annotations

import copy
import functools
import hashlib
import json
from collections.abc import Mapping
from typing import Any

import jsonschema

from aigw_conformance.mocks.core import jsonvalues, regexgen
from aigw_conformance.mocks.core.jsonvalues import FORMATS, SOFT_DEPTH, SchemaError, filler_text, is_multiple

HARD_DEPTH = 32
ATTEMPTS = 8
_JSON_TYPES = ("object", "array", "string", "integer", "number", "boolean", "null")

class Draws:
    """A version-stable stream of integers from a seed string (sha256 in counter mode)."""

    def __init__(self, seed: str) -> None:
        self._seed, self._counter = hashlib.sha256(seed.encode("utf-8")).digest(), 0

    def below(self, n: int) -> int:
        self._counter += 1
        block = hashlib.sha256(self._seed + self._counter.to_bytes(8, "big")).digest()
        return int.from_bytes(block[:8], "big") % max(n, 1)


@functools.lru_cache(maxsize=512)
def _check_schema(text: str) -> None:
    """Metaschema validation is the slow part; each distinct schema is checked once (failures re-raise)."""
    jsonschema.Draft202012Validator.check_schema(json.loads(text))


def generate(schema: Any, seed: str) -> Any:
    """An instance of `schema` (draft 2020-12; `$ref`s local to it) drawn from `seed`: the same schema and
    seed always give the same value. Raises `SchemaError` when it cannot produce a valid one."""
    if not isinstance(schema, Mapping | bool):
        raise SchemaError("a schema must be an object or a boolean")
    try:
        _check_schema(json.dumps(schema, sort_keys=True))
        validator = jsonschema.Draft202012Validator(schema)
        draws, last = Draws(seed), "no attempt"
        for _ in range(ATTEMPTS):
            try:
                value = _Generator(schema, draws, validator).value(schema, 0)
            except (SchemaError, regexgen.PatternError) as exc:
                last = str(exc)
                continue
            error = jsonschema.exceptions.best_match(validator.iter_errors(value))
            if error is None:
                return value
            last = error.message
    except SchemaError:
        raise
    except jsonschema.exceptions.SchemaError as exc:
        raise SchemaError(f"invalid schema: {exc.message}") from None
    except Exception as exc:  # jsonschema and referencing raise many kinds on a broken schema
        raise SchemaError(f"{type(exc).__name__}: {exc}") from None
    raise SchemaError(f"no valid instance could be generated: {last}")


def _merge(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """The conjunction of two schemas' keywords, enough for `allOf` and a branch with its siblings."""
    out = dict(base)
    for key, value in extra.items():
        if key not in out:
            out[key] = value
        elif key == "properties" and isinstance(value, Mapping) and isinstance(out[key], Mapping):
            out[key] = {**out[key], **{k: _merge(out[key][k], v) if isinstance(out[key].get(k), Mapping)
                                       and isinstance(v, Mapping) else v for k, v in value.items()}}
        elif key == "required" and isinstance(value, list) and isinstance(out[key], list):
            out[key] = [*out[key], *(r for r in value if r not in out[key])]
        elif key == "type":
            mine = out[key] if isinstance(out[key], list) else [out[key]]
            theirs = value if isinstance(value, list) else [value]
            both = [t for t in mine if t in theirs or (t == "integer" and "number" in theirs)]
            both += [t for t in theirs if t == "integer" and "number" in mine and t not in both]
            out[key] = both or ["__none__"]
        elif key in ("minimum", "minLength", "minItems", "minProperties", "exclusiveMinimum"):
            out[key] = max(out[key], value)
        elif key in ("maximum", "maxLength", "maxItems", "maxProperties", "exclusiveMaximum"):
            out[key] = min(out[key], value)
        else:
            out[key] = value
    return out


class _Generator:
    def __init__(self, root: Any, draws: Draws, validator: jsonschema.protocols.Validator) -> None:
        self.root, self.draws, self.validator = root, draws, validator

    def pick(self, n: int) -> int:
        return self.draws.below(n)

    def resolve(self, schema: Mapping[str, Any], depth: int) -> dict[str, Any]:
        out = dict(schema)
        while "$ref" in out:
            ref = out.pop("$ref")
            out = _merge(self.pointer(ref), out)
            depth += 1
            if depth > HARD_DEPTH:
                raise SchemaError("$ref recursion too deep")
        for part in out.pop("allOf", None) or []:
            out = _merge(out, self.resolve(part, depth + 1) if isinstance(part, Mapping) else {})
        return out

    def pointer(self, ref: Any) -> dict[str, Any]:
        if not isinstance(ref, str) or not ref.startswith("#"):
            raise SchemaError(f"only local $refs are supported, not {ref!r}")
        node: Any = self.root
        for raw in [p for p in ref[1:].split("/") if p]:
            key = raw.replace("~1", "/").replace("~0", "~")
            node = node[int(key)] if isinstance(node, list) else node.get(key) if isinstance(node, Mapping) else None
        if node is True or node is None:
            return {} if node is True else _raise(f"unresolvable $ref {ref!r}")
        if not isinstance(node, Mapping):
            raise SchemaError(f"$ref {ref!r} is not a schema")
        return dict(node)

    def value(self, schema: Any, depth: int) -> Any:
        if depth > HARD_DEPTH:
            raise SchemaError("schema nesting too deep")
        if schema is True:
            return filler_text(self.pick, 1, 24)
        if not isinstance(schema, Mapping):
            raise SchemaError("the false schema has no instances")
        schema = self.resolve(schema, depth)
        if "const" in schema:
            return copy.deepcopy(schema["const"])
        if "enum" in schema:
            options = [v for v in schema["enum"] if _fits_type(v, schema.get("type"))]
            return copy.deepcopy(options[self.pick(len(options))]) if options else _raise("no enum value fits")
        for key in ("anyOf", "oneOf"):
            if isinstance(schema.get(key), list):
                return self.branch(schema, key, depth)
        return jsonvalues.generate(self, self.kind(schema, depth), schema, depth)

    def branch(self, schema: Mapping[str, Any], key: str, depth: int) -> Any:
        """The first satisfiable branch (past SOFT_DEPTH, branches without `$ref` first); for `oneOf`, a value
        that no other branch also accepts."""
        rest = {k: v for k, v in schema.items() if k != key}
        branches = list(schema[key])
        if depth >= SOFT_DEPTH:
            branches.sort(key=lambda b: "$ref" in json.dumps(b))
        for branch in branches:
            merged = _merge(rest, self.resolve(branch, depth)) if isinstance(branch, Mapping) else rest
            others = [b for b in schema[key] if b is not branch] if key == "oneOf" else []
            for _ in range(ATTEMPTS if others else 1):
                try:
                    value = self.value(merged if branch is not False else False, depth + 1)
                except SchemaError:
                    break
                if not any(self.validator.evolve(schema=other).is_valid(value) for other in others):
                    return value
        raise SchemaError(f"no `{key}` branch is satisfiable")

    def kind(self, schema: Mapping[str, Any], depth: int) -> str:
        declared = schema.get("type")
        if isinstance(declared, list):
            real = [str(t) for t in declared if t in _JSON_TYPES and t != "null"]
            if "null" in declared and (not real or depth >= SOFT_DEPTH):
                return "null"
            return real[self.pick(len(real))] if real else _raise("no usable type")
        if isinstance(declared, str):
            return declared if declared in _JSON_TYPES else _raise(f"unknown type {declared!r}")
        if {"properties", "required", "additionalProperties", "minProperties"} & set(schema):
            return "object"
        if {"items", "prefixItems", "minItems", "maxItems"} & set(schema):
            return "array"
        if {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"} & set(schema):
            return "number"
        return "string"


def _fits_type(value: Any, declared: Any) -> bool:
    if declared is None:
        return True
    kinds = declared if isinstance(declared, list) else [declared]
    return any(jsonschema.Draft202012Validator.TYPE_CHECKER.is_type(value, k) for k in kinds if isinstance(k, str))


def _raise(message: str) -> Any:
    raise SchemaError(message)


__all__ = ["FORMATS", "Draws", "SchemaError", "generate", "is_multiple"]
