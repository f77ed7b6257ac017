"""The catalogue as the documents give it (GET /models), and whether the inferred GET /models/{id} exists."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from aigw_conformance.suites.conformance.registry import TestContext

# 001 names the catalogue ("GET /api/ai/v1/models") and what it gives per model; it never names a path for one
# model. A gateway without GET /models/{id} deviates from nothing the documents say.
RETRIEVE_ABSENT = ("GET /models/{{id}} answers {status} for the listed model {model!r}: the documents never name "
                   "this operation (its path is inferred from OpenAI's), so a test that needs it cannot run")


def listed(t: TestContext, label: str) -> dict[str, dict[str, Any]]:
    """The gateway's models by ID from GET /models (checked like every exchange); empty when unreadable."""
    exchange = t.send("GET", "/models", label=label, expect=["http.success"])
    try:
        data = exchange.json.get("data") if isinstance(exchange.json, dict) else None
    except ValueError:
        data = None
    return {str(m["id"]): m for m in data or [] if isinstance(m, dict) and "id" in m}


def listed_record(t: TestContext, model: str, label: str) -> dict[str, Any] | None:
    """`model`'s entry in GET /models, or None when the catalogue does not list it."""
    return listed(t, label).get(model)


def require_retrieve(t: TestContext, model: str) -> None:
    """Skip, with the reason, when GET /models/{id} does not exist for a listed model (404 or 405). A probe, not
    a verdict: no check runs on it."""
    exchange = t.probe.send("ai", t.base_url("ai"), "GET", f"/models/{quote(model, safe='')}",
                            headers=t.credentials("ai"), label=f"does GET /models/{{id}} exist ({model})")
    if exchange.status in (404, 405):
        raise t.skip(RETRIEVE_ABSENT.format(status=exchange.status, model=model))
