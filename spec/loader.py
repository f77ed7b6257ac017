"""Load `openapi.yaml` once and hand out JSON Schema validators and per-API views of it."""

from __future__ import annotations

import copy
import functools
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_PATH = Path(__file__).with_name("openapi.yaml")
SEEDS_DIR = Path(__file__).with_name("seeds")
SPEC_URI = "urn:aigw:openapi"

ApiName = Literal["ai", "client"]
API_PREFIXES: dict[ApiName, str] = {"ai": "/api/ai/v1", "client": "/api/client/v1"}


@functools.cache
def load_spec() -> dict[str, Any]:
    """The parsed spec; callers must not mutate it (use `copy.deepcopy`)."""
    with SPEC_PATH.open(encoding="utf-8") as handle:
        document: dict[str, Any] = yaml.safe_load(handle)
    return document


@functools.cache
def _registry() -> Registry[Any]:
    resource: Resource[Any] = Resource.from_contents(load_spec(), default_specification=DRAFT202012)
    registry: Registry[Any] = Registry().with_resource(SPEC_URI, resource)
    return registry


def validator_for_schema(schema: dict[str, Any]) -> Draft202012Validator:
    """A validator for `schema`, whose `#/components/...` references resolve inside the spec."""
    return Draft202012Validator(
        _rebase(schema),
        registry=_registry(),
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def _rebase(schema: dict[str, Any]) -> dict[str, Any]:
    """Rewrite local `#/...` references to absolute ones into the spec resource."""

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            return {
                key: (SPEC_URI + value if key == "$ref" and isinstance(value, str) and value.startswith("#")
                      else walk(value))
                for key, value in node.items()
            }
        if isinstance(node, list):
            return [walk(item) for item in node]
        return node

    rebased: dict[str, Any] = walk(schema)
    return rebased


@functools.cache
def component_validator(name: str) -> Draft202012Validator:
    """A validator for `#/components/schemas/<name>`."""
    if name not in load_spec().get("components", {}).get("schemas", {}):
        raise KeyError(f"no component schema named {name!r} in {SPEC_PATH.name}")
    return validator_for_schema({"$ref": f"#/components/schemas/{name}"})


def request_body_schema(path: str, method: str) -> dict[str, Any]:
    """The JSON request body schema of an operation (full path, e.g. `/api/ai/v1/chat/completions`)."""
    operation = load_spec()["paths"][path][method.lower()]
    schema: dict[str, Any] = operation["requestBody"]["content"]["application/json"]["schema"]
    return schema


def api_view(api: ApiName) -> dict[str, Any]:
    """A copy of the spec with only one API's paths, its prefix stripped, so a base URL can be any mount."""
    document = copy.deepcopy(load_spec())
    prefix = API_PREFIXES[api]
    document["paths"] = {
        path[len(prefix):] or "/": item for path, item in document["paths"].items() if path.startswith(prefix)
    }
    document["servers"] = [{"url": "/"}]
    return document


@functools.cache
def _templates(api: ApiName) -> list[tuple[re.Pattern[str], str]]:
    compiled = []
    for template in api_view(api)["paths"]:
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
        compiled.append((re.compile(f"^{pattern}$"), template))
    return compiled


def match_operation(api: ApiName, method: str, path: str) -> tuple[str, dict[str, Any]] | None:
    """The path template and operation object serving `method path` (path relative to the API base)."""
    for pattern, template in _templates(api):
        if pattern.match(path):
            operation = api_view_cached(api)["paths"][template].get(method.lower())
            if operation is not None:
                return template, operation
    return None


@functools.cache
def api_view_cached(api: ApiName) -> dict[str, Any]:
    """`api_view` computed once; callers must not mutate it."""
    return api_view(api)
