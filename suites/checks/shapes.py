"""Helpers the checks share: schema validation against the spec and safe JSON access."""

from __future__ import annotations

from typing import Any

from spec.loader import component_validator
from suites.checks.registry import fail
from suites.exchange import Exchange


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
