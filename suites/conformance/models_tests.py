"""Conformance tests of the models catalogue (GET /models, GET /models/{id})."""

from __future__ import annotations

from urllib.parse import quote

from aigw_conformance.suites.conformance.catalogue import require_retrieve
from aigw_conformance.suites.conformance.registry import TestContext, conformance_test
from aigw_conformance.suites.features import Feature

UNKNOWN_MODEL = "aigw-conformance-no-such-model"
MAX_RETRIEVED = 10


@conformance_test("models.list", features=(Feature.MODELS,))
def list_models(t: TestContext) -> None:
    """GET /models lists the catalogue with provider, owner, capabilities and token limits."""
    t.send("GET", "/models", expect=["http.success"])


@conformance_test("models.retrieve", features=(Feature.MODELS,))
def retrieve_models(t: TestContext) -> None:
    """GET /models/{id} returns, for each listed model, the record the list shows (skipped where the gateway has
    no GET /models/{id}: the documents never name it)."""
    listing = t.send("GET", "/models", expect=["http.success"])
    if listing.status != 200:
        return
    models = listing.json.get("data") if isinstance(listing.json, dict) else None
    ids = [m["id"] for m in models or [] if isinstance(m, dict) and isinstance(m.get("id"), str)]
    if ids:
        require_retrieve(t, ids[0])
    for model in (models or [])[:MAX_RETRIEVED]:
        if isinstance(model, dict) and isinstance(model.get("id"), str):
            t.send("GET", f"/models/{quote(model['id'], safe='')}", label=f"listed model {model['id']}",
                   expect=["models.retrieve_matches_list"], context={"listed": model})


@conformance_test("models.unknown", features=(Feature.MODELS,))
def unknown_model(t: TestContext) -> None:
    """GET /models/{id} for an ID that does not exist gives 404 with the error contract."""
    t.send("GET", f"/models/{UNKNOWN_MODEL}", label="unknown model", expect=["models.unknown_404"])
