"""`mocks.core.jsongen`: seeded JSON-Schema instances, valid by construction (checked with jsonschema)."""

from __future__ import annotations

import re
import urllib.parse
import uuid
from datetime import datetime
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aigw_conformance.mocks.core import regexgen
from aigw_conformance.mocks.core.jsongen import Draws, SchemaError, generate

FORMATS = jsonschema.Draft202012Validator.FORMAT_CHECKER


def valid(schema: Any, seed: str = "seed") -> Any:
    value = generate(schema, seed)
    jsonschema.Draft202012Validator(schema, format_checker=FORMATS).validate(value)
    return value


def test_same_seed_same_value_and_seeds_vary() -> None:
    schema = {"type": "object", "properties": {"n": {"type": "integer"}, "s": {"type": "string"}},
              "required": ["n", "s"]}
    assert generate(schema, "a") == generate(schema, "a")
    assert len({repr(generate(schema, str(i))) for i in range(8)}) > 1


@pytest.mark.parametrize("schema", [
    {"type": "integer", "minimum": 5, "maximum": 5},
    {"type": "integer", "exclusiveMinimum": 4, "exclusiveMaximum": 6},
    {"type": "integer", "multipleOf": 7, "minimum": 10, "maximum": 20},
    {"type": "integer", "multipleOf": 0.5, "minimum": -3},
    {"type": "number", "exclusiveMinimum": 0, "maximum": 1e-3},
    {"type": "number", "multipleOf": 0.1, "minimum": 0.25, "maximum": 0.75},
    {"type": "number", "maximum": -1000},
    {"type": ["integer", "null"], "minimum": 3},
    {"type": ["null"]},
    {"type": "boolean"},
    {"enum": ["red", 2, None]},
    {"type": "string", "enum": [1, "only-string"]},
    {"const": {"a": [1, 2]}},
    True,
    {},
])
def test_scalars(schema: Any) -> None:
    valid(schema)


@pytest.mark.parametrize("schema", [
    {"type": "string", "minLength": 40},
    {"type": "string", "minLength": 3, "maxLength": 3},
    {"type": "string", "maxLength": 0},
    {"type": "string", "pattern": r"^[A-Z]{3}-\d{2,4}$"},
    {"type": "string", "pattern": r"^(ab|cd)+(?:x|yz)?\.[^a-z]$", "maxLength": 12},
    {"type": "string", "pattern": "error", "minLength": 10},
    {"type": "string", "format": "date-time"},
    {"type": "string", "format": "email"},
    {"type": "string", "format": "uuid"},
    {"type": "string", "format": "ipv4"},
    {"type": "string", "format": "uri"},
])
def test_strings(schema: Any) -> None:
    value = valid(schema)
    fmt = schema.get("format")
    if fmt == "date-time":
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    elif fmt == "uuid":
        assert uuid.UUID(value).version == 4
    elif fmt == "uri":
        assert urllib.parse.urlparse(value).scheme == "https"
    elif fmt == "email":
        assert re.fullmatch(r"[a-z]+\.\d+@example\.com", value)


def test_objects_arrays_refs_and_combinators() -> None:
    schema = {
        "$defs": {"node": {"type": "object", "properties": {
            "value": {"type": "integer"}, "next": {"anyOf": [{"$ref": "#/$defs/node"}, {"type": "null"}]}},
            "required": ["value", "next"], "additionalProperties": False}},
        "type": "object",
        "properties": {
            "head": {"$ref": "#/$defs/node"},
            "tags": {"type": "array", "items": {"type": "string", "maxLength": 5}, "minItems": 2, "maxItems": 4,
                     "uniqueItems": True},
            "pair": {"type": "array", "prefixItems": [{"type": "integer"}, {"type": "boolean"}], "items": False},
            "either": {"oneOf": [{"type": "string", "maxLength": 3}, {"type": "string"}]},
            "both": {"allOf": [{"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]},
                               {"properties": {"b": {"type": "string"}}, "required": ["b"]}]},
            "optional": {"type": "string"},
            "extra": {"type": "object", "minProperties": 2, "additionalProperties": {"type": "integer"}},
        },
        "required": ["head", "tags", "pair", "either", "both", "extra"],
        "additionalProperties": False,
    }
    for seed in ("1", "2", "3"):
        value = valid(schema, seed)
        assert len(value["tags"]) >= 2 and len(value["pair"]) <= 2 and {"a", "b"} <= set(value["both"])
        assert len(value["either"]) > 3  # the first branch would match both: oneOf needs the second


def test_nested_depth_keeps_required_only() -> None:
    schema: dict[str, Any] = {"type": "string"}
    for level in range(12):
        schema = {"type": "object", "properties": {f"l{level}": schema, "opt": {"type": "integer"}},
                  "required": [f"l{level}"]}
    value = valid(schema)
    assert "opt" in value and value  # near the top optional properties appear, deep down they do not


@pytest.mark.parametrize("schema", [
    False, {"type": 5}, {"type": "string", "minLength": 5, "maxLength": 2}, {"$ref": "#"},
    {"$ref": "https://example.com/schema.json"}, {"type": "array", "items": False, "minItems": 1},
    {"enum": [1, 2], "type": "string"}, {"not": {}}, {"type": "integer", "minimum": 2, "maximum": 1},
    {"type": "object", "required": ["x"], "additionalProperties": False},
    {"type": "string", "pattern": "(?=lookahead)"}, ["not", "a", "schema"],
])
def test_unusable_schemas_raise_schema_error(schema: Any) -> None:
    with pytest.raises(SchemaError):
        generate(schema, "seed")


def test_regexgen_full_match() -> None:
    draws = Draws("x")
    for pattern in (r"^\d{3}-[a-f]{2}$", r"(foo|bar)+baz?", r"[^0-9]{4}", r"\w+@\w+\.com", r"a{2,}b*"):
        assert re.fullmatch(pattern.strip("^$"), regexgen.generate(pattern, draws.below))


# ---- property: any schema built from the supported keywords yields a valid instance ----

_PATTERNS = (r"^[a-z]{2,6}$", r"^\d{4}-\d{2}$", r"^(low|high)$", r"^id_[A-Z0-9]{3,5}$")
_FORMATS = ("date-time", "email", "uuid", "ipv4", "uri", "date")
_NAMES = st.text("abcdefgh_", min_size=1, max_size=6)


@st.composite
def _string(draw: st.DrawFn) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": draw(st.sampled_from(["string", ["string", "null"]]))}
    kind = draw(st.sampled_from(["plain", "pattern", "format"]))
    if kind == "pattern":
        schema["pattern"] = draw(st.sampled_from(_PATTERNS))
    elif kind == "format":
        schema["format"] = draw(st.sampled_from(_FORMATS))
    else:
        low = draw(st.integers(0, 20))
        schema["minLength"] = low
        if draw(st.booleans()):
            schema["maxLength"] = low + draw(st.integers(0, 10))
    return schema


@st.composite
def _number(draw: st.DrawFn) -> dict[str, Any]:
    integer = draw(st.booleans())
    schema: dict[str, Any] = {"type": "integer" if integer else "number"}
    low = draw(st.integers(-1000, 1000))
    step = draw(st.sampled_from([None, 1, 3, 0.5, 0.25] if integer else [None, 2, 0.5, 0.1, 0.01]))
    width = draw(st.integers(4, 500))
    if draw(st.booleans()):
        schema["exclusiveMinimum" if draw(st.booleans()) else "minimum"] = low
    if draw(st.booleans()):
        schema["exclusiveMaximum" if draw(st.booleans()) else "maximum"] = low + width * (step or 1)
    if step is not None:
        schema["multipleOf"] = step
    return schema


_LEAVES = st.one_of(
    _string(), _number(), st.just({"type": "boolean"}), st.just({"type": "null"}),
    st.lists(st.one_of(st.integers(), st.text(max_size=5), st.none()), min_size=1, max_size=4).map(
        lambda values: {"enum": values}),
    st.integers().map(lambda value: {"const": value}),
)


def _compound(children: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    objects = st.dictionaries(_NAMES, children, max_size=4).flatmap(lambda props: st.builds(
        lambda required, closed: {"type": "object", "properties": props, "required": required,
                                  "additionalProperties": not closed},
        st.lists(st.sampled_from(sorted(props)), unique=True) if props else st.just([]), st.booleans()))
    arrays = st.tuples(children, st.integers(0, 3), st.integers(0, 3)).map(
        lambda t: {"type": "array", "items": t[0], "minItems": t[1], "maxItems": t[1] + t[2]})
    unions = st.lists(children, min_size=1, max_size=3).map(lambda branches: {"anyOf": branches})
    nullable = children.map(lambda child: {"anyOf": [child, {"type": "null"}]})
    return st.one_of(objects, arrays, unions, nullable)


_TREES = st.recursive(_LEAVES, _compound, max_leaves=12)
SCHEMAS = st.one_of(_TREES, st.tuples(_TREES, _TREES).map(lambda pair: {
    "$defs": {"item": pair[0]}, "type": "object", "additionalProperties": False, "required": ["x", "y"],
    "properties": {"x": {"$ref": "#/$defs/item"}, "y": {"type": "array", "items": {"$ref": "#/$defs/item"}},
                   "z": pair[1]},
}))


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(schema=SCHEMAS, seed=st.text(max_size=8))
def test_generated_instances_validate(schema: dict[str, Any], seed: str) -> None:
    value = valid(schema, seed)
    assert generate(schema, seed) == value
