"""Helpers the checks share: schema validation against the spec and safe JSON access."""

from __future__ import annotations

from typing import Any, cast

from aigw_conformance.spec.loader import ApiName, component_validator, load_spec, match_operation
from aigw_conformance.suites.checks.registry import fail
from aigw_conformance.suites.exchange import Exchange
from aigw_conformance.suites.failures import CheckFailed, Grounds
from aigw_conformance.suites.grounds import schema_error_grounds


def json_body(exchange: Exchange) -> Any:
    try:
        return exchange.json
    except ValueError:
        raise fail(f"body is not JSON: {exchange.excerpt()!r}") from None


def schema_errors(component: str, instance: Any, limit: int = 3) -> list[str]:
    """Human-readable violations of `#/components/schemas/<component>`, at most `limit`."""
    return [message for message, _ in schema_violations(component, instance)[:limit]]


def schema_violations(component: str, instance: Any, at: list[Any] | None = None) -> list[tuple[str, Grounds | None]]:
    """Every violation of `#/components/schemas/<component>` with its grounds (the violated element's provenance);
    with `at`, only those at that instance path."""
    validator = component_validator(component)
    errors = sorted(validator.iter_errors(instance), key=lambda error: list(error.absolute_path))
    errors = [error for error in errors if at is None or list(error.absolute_path) == at]
    violations = []
    for error in errors:
        where = "/".join(str(part) for part in error.absolute_path) or "(root)"
        violations.append((f"{where}: {error.message[:200]}", schema_error_grounds(validator.schema, error)))
    return violations


def schema_failure(what: str, violations: list[tuple[str, Grounds | None]], limit: int = 3) -> CheckFailed:
    """One failure per kind of grounds: the violations of documented elements (with the first one's quote) apart
    from those of inferred elements only (convention), so the convention ones never fail the default gate."""
    groups: dict[str, list[tuple[str, Grounds | None]]] = {}
    for message, grounds in violations:
        groups.setdefault(grounds.kind if grounds else "", []).append((message, grounds))
    parts = [(f"{what}: " + "; ".join(message for message, _ in group[:limit])
              + (f" (and {len(group) - limit} more)" if len(group) > limit else ""), group[0][1])
             for kind in ("documented", "", "convention") if (group := groups.get(kind))]
    return CheckFailed(parts[0][0], parts[0][1], parts=parts)


def require_schema(component: str, instance: Any, what: str) -> None:
    violations = schema_violations(component, instance)
    if violations:
        raise schema_failure(f"{what} does not match the spec's {component} schema", violations)


def _deref(node: Any) -> Any:
    """Follow a local `$ref` (e.g. to `#/components/responses/...`) inside the spec."""
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/"):
        target: Any = load_spec()
        for part in node["$ref"][2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def response_component(exchange: Exchange, media_type: str) -> str | None:
    """The component schema the spec gives for this exchange's operation, status and media type, looked up in
    the exchange's own API: `application/json` → the body schema, `text/event-stream` → its `x-chunk-schema`.
    So one check reads ChatCompletionResponse on the AI API and ClientChatCompletionResponse on the client's."""
    method, _, path = exchange.operation.partition(" ")
    matched = match_operation(cast(ApiName, exchange.api), method, path)
    if matched is None:
        return None
    response = _deref(matched[1].get("responses", {}).get(str(exchange.status)))
    content = (response or {}).get("content", {}).get(media_type) if isinstance(response, dict) else None
    if not isinstance(content, dict):
        return None
    ref = (content.get("x-chunk-schema") if media_type == "text/event-stream" else content.get("schema")) or {}
    name = ref.get("$ref", "") if isinstance(ref, dict) else ""
    prefix = "#/components/schemas/"
    return name[len(prefix):] if name.startswith(prefix) else None


def require_component(exchange: Exchange, media_type: str) -> str:
    """`response_component`, or a failure saying the spec documents no schema for it."""
    component = response_component(exchange, media_type)
    if component is None:
        raise fail(f"the spec documents no {media_type} schema for {exchange.api} {exchange.operation} "
                   f"{exchange.status}")
    return component
