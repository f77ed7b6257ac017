"""Conformance tests of what the gateway admits: Content-Type, restricted credentials, providers, capabilities."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from aigw_conformance.suites.conformance.chat_tests import QUESTION, chat_body
from aigw_conformance.suites.conformance.output_tests import PNG_1X1, VISION_TEXT
from aigw_conformance.suites.conformance.registry import TestContext, conformance_test
from aigw_conformance.suites.conformance.tools_tests import TOOLS
from aigw_conformance.suites.exchange import Exchange
from aigw_conformance.suites.features import Feature

CHAT = "/chat/completions"
# 001 names providers (OpenAI, Gemini, Claude, ThreatWinds) and says a 404 means "Model or provider not found", but
# no request field names a provider: a model ID of the `provider/model` form, common to gateways that route by
# prefix, is the one place a request can name one. This provider does not exist anywhere.
UNKNOWN_PROVIDER_MODEL = "aigw-conformance-no-such-provider/gpt-5"
MAX_PER_CAPABILITY = 8  # models tried per capability: a large catalogue is sampled, not exhausted
# How each capability is used in a request (001 "Model Capabilities"); capabilities without a chat behaviour
# (text-generation, code-generation, embeddings, transcription, speech, vision-embeddings) are left to the
# dedicated endpoints' own tests.
USES: dict[str, dict[str, Any]] = {
    "chat": {"messages": QUESTION, "max_completion_tokens": 16},
    "image": {"messages": [{"role": "user", "content": [
        {"type": "text", "text": VISION_TEXT},
        {"type": "image_url", "image_url": {"url": PNG_1X1, "detail": "low"}}]}], "max_completion_tokens": 16},
    "tools-use": {"messages": [{"role": "user", "content": "Scan threatwinds.com with vulnerability_scan"}],
                  "tools": TOOLS[:1], "tool_choice": "required"},
    "reasoning": {"messages": QUESTION, "reasoning_effort": "low", "max_completion_tokens": 64},
}


@conformance_test("errors.content_type", features=(Feature.ERROR_HEADERS,))
def content_type(t: TestContext) -> None:
    """A valid JSON chat body with `Content-Type: text/plain`, or none, is refused, 400 or 415, with the error
    contract (000: 'Content-Type ... Must be application/json'; 400 is the documents' status, 415 HTTP's own)."""
    body = chat_body(t, max_completion_tokens=8)
    t.send("POST", CHAT, json_body=body, headers={"content-type": "text/plain"}, label="content-type: text/plain",
           expect=["http.content_type_400"])
    t.send("POST", CHAT, content=json.dumps(body).encode(), label="no content-type", expect=["http.content_type_400"])


def _bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


@conformance_test("auth.no_ai_access", features=(Feature.PERMISSIONS,))
def no_ai_access(t: TestContext) -> None:
    """A valid token without AI API access ([auth.restricted]) gets 403 on models list, retrieve and chat."""
    token = t.target.restricted.no_access_token
    if not token:
        raise t.skip("the target gives no credential without AI API access ([auth.restricted] token)")
    for method, path, body in (("GET", "/models", None), ("GET", f"/models/{quote(t.model(), safe='')}", None),
                               ("POST", CHAT, chat_body(t, max_completion_tokens=8))):
        t.send(method, path, json_body=body, headers=_bearer(token), authenticated=False,
               label="credential without AI API access", expect=["auth.no_access_403"])


@conformance_test("auth.model_not_allowed", features=(Feature.PERMISSIONS,))
def model_not_allowed(t: TestContext) -> None:
    """A token allowed some models only ([auth.restricted_models]) chats with its `allowed` model (200) and gets
    403 for its `denied` one."""
    restricted = t.target.restricted
    if not (restricted.models_token and restricted.allowed_model and restricted.denied_model):
        raise t.skip("the target gives no credential restricted to some models ([auth.restricted_models] token, "
                     "allowed, denied)")
    headers = _bearer(restricted.models_token)
    for model, check in ((restricted.allowed_model, "http.success"), (restricted.denied_model,
                                                                      "auth.model_not_allowed_403")):
        body = {"model": model, "messages": QUESTION, "max_completion_tokens": 8}
        t.send("POST", CHAT, json_body=body, headers=headers, authenticated=False, context={"model": model},
               label=f"restricted credential, model {model}", expect=[check])


@conformance_test("models.unknown_provider", features=(Feature.MODELS,))
def unknown_provider(t: TestContext) -> None:
    """A model ID naming an unknown provider (`provider/model`) gives 404 on retrieve and on chat."""
    t.send("GET", f"/models/{UNKNOWN_PROVIDER_MODEL}", label="unknown provider",
           expect=["models.unknown_provider_404"])
    t.send("POST", CHAT, json_body={"model": UNKNOWN_PROVIDER_MODEL, "messages": QUESTION}, label="unknown provider",
           expect=["models.unknown_provider_404"])


def _listed(t: TestContext) -> list[dict[str, Any]]:
    listing: Exchange = t.send("GET", "/models", expect=["http.success"])
    data = listing.json.get("data") if listing.status == 200 and isinstance(listing.json, dict) else None
    return [model for model in data or [] if isinstance(model, dict) and isinstance(model.get("id"), str)
            and isinstance(model.get("capabilities"), list)]


@conformance_test("models.capabilities", features=(Feature.MODELS, Feature.CHAT))
def capabilities(t: TestContext) -> None:
    """Each listed capability holds (chat answers, image accepts an image part, tools-use calls a tool, reasoning
    takes reasoning_effort), and a model without `chat` is refused by /chat/completions."""
    models = _listed(t)
    for capability, use in USES.items():
        holders = [model["id"] for model in models if capability in model["capabilities"]]
        for model in holders[:MAX_PER_CAPABILITY]:
            t.send("POST", CHAT, json_body={"model": model, **use}, label=f"{model} lists {capability}",
                   expect=["models.capability_honoured"],
                   context={"capability": capability, "model": model, "claimed": True})
    for model in [model["id"] for model in models if "chat" not in model["capabilities"]][:MAX_PER_CAPABILITY]:
        t.send("POST", CHAT, json_body={"model": model, **USES["chat"]}, label=f"{model} does not list chat",
               expect=["models.capability_honoured"], context={"capability": "chat", "model": model, "claimed": False})
