"""A conservative fast path for the spec's request schemas: "surely valid" or "don't know", never a rejection."""

# jsonschema walks the spec's ChatCompletionRequest in ~100 us per request, most of the gateway's own work on a
# chat call. `compile_schema` turns a schema into plain closures that answer VALID only when the instance is
# certainly valid under JSON Schema 2020-12 for the keywords it understands (type, enum, const, numeric bounds,
# item counts, items, properties, required, oneOf, $ref, dependentSchemas whose trigger is absent); any other
# keyword, any value it cannot decide on (an integer-valued float, an enum of numbers, ...) gives UNSURE, and the
# caller then asks jsonschema, which also words every rejection. INVALID is only ever said for a definite type
# mismatch, so that a oneOf can tell its one matching branch from the others.

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from aigw_conformance.spec.loader import load_spec

VALID, INVALID, UNSURE = 0, 1, 2
Check = Callable[[Any], int]
ANNOTATIONS = frozenset({"description", "title", "default", "examples", "deprecated", "$comment"})
JSON_TYPES = (dict, list, str, int, float, bool, type(None))
NUMERIC_BOUNDS: dict[str, Callable[[Any, Any], bool]] = {
    "minimum": lambda value, bound: bool(value >= bound),
    "maximum": lambda value, bound: bool(value <= bound),
    "exclusiveMinimum": lambda value, bound: bool(value > bound),
    "exclusiveMaximum": lambda value, bound: bool(value < bound),
}


def _is_number(value: Any) -> bool:
    return type(value) is int or type(value) is float


def _kind_check(*kinds: type) -> Check:
    return lambda value: VALID if type(value) in kinds else INVALID if type(value) in JSON_TYPES else UNSURE


def _integer(value: Any) -> int:
    """2020-12 counts an integer-valued float as an integer: a float is left to jsonschema."""
    kind = type(value)
    return VALID if kind is int else UNSURE if kind is float or kind not in JSON_TYPES else INVALID


# JSON Schema type → its check on what json.loads makes; UNSURE for any other Python type.
TYPE_CHECKS: dict[str, Check] = {
    "string": _kind_check(str), "integer": _integer, "number": _kind_check(int, float), "boolean": _kind_check(bool),
    "object": _kind_check(dict), "array": _kind_check(list), "null": _kind_check(type(None)),
}


def _members(values: Any) -> frozenset[Any] | None:
    """An enum's members when they are all strings (compared exactly); None otherwise (left to jsonschema)."""
    if isinstance(values, list) and all(isinstance(item, str) for item in values):
        return frozenset(values)
    return None


class Compiler:
    """Compiles schemas of one document (its `#/...` references resolved inside it), each reference once."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document
        self.refs: dict[str, Check] = {}

    def reference(self, ref: Any) -> Check:
        if not isinstance(ref, str) or not ref.startswith("#/"):
            return lambda value: UNSURE
        if ref not in self.refs:
            cell: list[Check] = []
            self.refs[ref] = lambda value: cell[0](value)  # a recursive schema reaches itself through the cell
            node: Any = self.document
            for part in ref[2:].split("/"):
                part = part.replace("~1", "/").replace("~0", "~")
                node = node.get(part) if isinstance(node, Mapping) else None
            cell.append(self.compile(node))
        return self.refs[ref]

    def compile(self, schema: Any) -> Check:
        if schema is True or schema == {}:
            return lambda value: VALID
        if not isinstance(schema, Mapping):
            return lambda value: UNSURE
        checks: list[Check] = []
        for keyword, argument in schema.items():
            if keyword in ANNOTATIONS or keyword.startswith("x-") or keyword == "type":
                continue
            if keyword in NUMERIC_BOUNDS:
                checks.append(self._bound(NUMERIC_BOUNDS[keyword], argument))
            elif keyword in ("enum", "const"):
                checks.append(self._enum(_members(argument if keyword == "enum" else [argument])))
            elif keyword in ("minItems", "maxItems") and type(argument) is int:
                checks.append(self._count(*((argument, None) if keyword == "minItems" else (0, argument))))
            elif keyword == "items":
                checks.append(self._items(self.compile(argument)))
            elif keyword == "properties" and isinstance(argument, Mapping):
                checks.append(self._properties({name: self.compile(sub) for name, sub in argument.items()}))
            elif keyword == "required" and isinstance(argument, list):
                checks.append(self._required(tuple(argument), present=True))
            elif keyword == "dependentSchemas" and isinstance(argument, Mapping):
                checks.append(self._required(tuple(argument), present=False))  # sure only while no trigger is
            elif keyword == "oneOf" and isinstance(argument, list):
                checks.append(self._one_of([self.compile(branch) for branch in argument]))
            elif keyword == "$ref":
                checks.append(self.reference(argument))
            else:
                return self._typed(schema.get("type"), [lambda value: UNSURE])
        return self._typed(schema.get("type"), checks)

    @staticmethod
    def _typed(type_name: Any, checks: list[Check]) -> Check:
        type_check = None if type_name is None else TYPE_CHECKS.get(type_name, lambda value: UNSURE) \
            if isinstance(type_name, str) else (lambda value: UNSURE)

        def check(value: Any) -> int:
            if type_check is not None:
                verdict = type_check(value)
                if verdict != VALID:
                    return verdict
            for one in checks:
                if one(value) != VALID:
                    return UNSURE
            return VALID

        return check

    @staticmethod
    def _enum(members: frozenset[Any] | None) -> Check:
        if members is None:
            return lambda value: UNSURE
        return lambda value: VALID if isinstance(value, str) and value in members else UNSURE

    @staticmethod
    def _count(low: int, high: int | None) -> Check:
        def check(value: Any) -> int:
            if not isinstance(value, list) or (len(value) >= low and (high is None or len(value) <= high)):
                return VALID
            return UNSURE

        return check

    @staticmethod
    def _required(names: tuple[Any, ...], *, present: bool) -> Check:
        """`required` (every name present) or, with present=False, no name present (dependentSchemas' triggers)."""
        if present:
            return lambda value: VALID if not isinstance(value, dict) or all(n in value for n in names) else UNSURE
        return lambda value: VALID if not isinstance(value, dict) or not any(n in value for n in names) else UNSURE

    @staticmethod
    def _bound(test: Callable[[Any, Any], bool], bound: Any) -> Check:
        if not _is_number(bound):
            return lambda value: UNSURE
        return lambda value: VALID if not _is_number(value) or test(value, bound) else UNSURE

    @staticmethod
    def _items(item: Check) -> Check:
        return lambda value: VALID if not isinstance(value, list) or all(item(x) == VALID for x in value) else UNSURE

    @staticmethod
    def _properties(properties: dict[str, Check]) -> Check:
        def check(value: Any) -> int:
            if isinstance(value, dict):
                for name, item in value.items():
                    sub = properties.get(name)
                    if sub is not None and sub(item) != VALID:
                        return UNSURE
            return VALID

        return check

    @staticmethod
    def _one_of(branches: list[Check]) -> Check:
        def check(value: Any) -> int:
            verdicts = [branch(value) for branch in branches]
            if verdicts.count(VALID) == 1 and verdicts.count(INVALID) == len(verdicts) - 1:
                return VALID
            return INVALID if verdicts.count(INVALID) == len(verdicts) else UNSURE

        return check


def compile_schema(schema: Any, document: Mapping[str, Any] | None = None) -> Check:
    """A check answering VALID only for instances surely valid under `schema` (references into `document`,
    by default the spec); INVALID for a definite type mismatch; UNSURE otherwise."""
    return Compiler(load_spec() if document is None else document).compile(schema)
