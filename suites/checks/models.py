"""Checks on the models catalogue: list and retrieve shapes, consistency, unknown IDs."""

from __future__ import annotations

from aigw_conformance.spec.loader import load_spec
from aigw_conformance.suites.checks.preconditions import is_models_list, is_models_retrieve
from aigw_conformance.suites.checks.registry import check, fail, requires
from aigw_conformance.suites.checks.shapes import json_body, require_schema
from aigw_conformance.suites.exchange import Exchange
from aigw_conformance.suites.failures import Severity


@check("models.list_shape", severity=Severity.HIGH)
@requires(is_models_list)
def list_shape(exchange: Exchange) -> None:
    """The list matches ModelList (provider, owned_by, capabilities, token limits) with unique IDs."""
    body = json_body(exchange)
    require_schema("ModelList", body, "the models list")
    ids = [model["id"] for model in body["data"]]
    if duplicates := sorted({model_id for model_id in ids if ids.count(model_id) > 1}):
        raise fail(f"model IDs listed more than once: {duplicates}")
    if not ids:
        raise fail("the catalogue is empty; a gateway under test must list at least one model")


@check("models.retrieve_shape", severity=Severity.HIGH)
@requires(is_models_retrieve)
def retrieve_shape(exchange: Exchange) -> None:
    """GET /models/{id} returns one Model whose id is the one asked for."""
    body = json_body(exchange)
    require_schema("Model", body, "the model")
    asked = exchange.operation.removeprefix("GET /models/")
    if body.get("id") != asked:
        raise fail(f"asked for model {asked!r}, got id {body.get('id')!r}")


def named_fields(component: str) -> frozenset[str]:
    """The properties the spec names for `component`; any other field is a vendor's extension, legal anywhere."""
    schema = load_spec()["components"]["schemas"][component]
    return frozenset(schema.get("properties") or {})


@check("models.retrieve_matches_list", severity=Severity.MEDIUM, auto=False)
def retrieve_matches_list(exchange: Exchange) -> None:
    """GET /models/{id} returns the same record the list shows for that ID, in every field the documents name
    (fields they do not name are a vendor's extensions: either side may carry them)."""
    listed = exchange.context.get("listed")
    body = json_body(exchange)
    if exchange.status != 200:
        raise fail(f"model {exchange.operation.removeprefix('GET /models/')!r} is listed but retrieving it "
                   f"gives {exchange.status}")
    listed = listed if isinstance(listed, dict) else {}
    body = body if isinstance(body, dict) else {}
    differing = sorted(key for key in named_fields("Model") if body.get(key) != listed.get(key))
    if differing:
        raise fail(f"retrieved model differs from its list entry in {differing}")


@check("models.unknown_404", severity=Severity.MEDIUM, auto=False)
def unknown_404(exchange: Exchange) -> None:
    """An unknown model ID gives 404 (001: "404 Not Found Model or provider not found")."""
    if exchange.status != 404:
        raise fail(f"an unknown model ID gave {exchange.status}; 001 documents 404 'Model or provider not found'")
