"""Helpers the checks share: schema validation against the spec and safe JSON access."""

from __future__ import annotations

from typing import Any, cast

from aigw_conformance.spec.loader import ApiName, component_validator, load_spec, match_operation
from aigw_conformance.suites.checks.registry import fail
from aigw_conformance.suites.exchange import Exchange


def json_body(exchange: Exchange) -> Any:
    try:
        return exchange.json
    except ValueError:
        raise fail(f"body is not JSON: {exchange.excerpt()!r}") from None


def schema_errors(component: str, instance: Any, limit: int = 3) -> list[str]:
    """Human-readable violations of `#/components/schemas/<component>`, at most `limit`."""
    validator = component_validator(component)
    errors = sorted(validator.iter_errors(instance), key=lambda error: list(error.absolute_path))
    messages = []
    for error in errors[:limit]:
        where = "/".join(str(part) for part in error.absolute_path) or "(root)"
        messages.append(f"{where}: {error.message[:200]}")
    return messages


def require_schema(component: str, instance: Any, what: str) -> None:
    problems = schema_errors(component, instance)
    if problems:
        raise fail(f"{what} does not match the spec's {component} schema: " + "; ".join(problems))


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
