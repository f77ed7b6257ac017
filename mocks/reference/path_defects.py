"""Defects that touch one provider's path only, or what the answer names: switched on by name (defects.py)."""

from __future__ import annotations

from typing import Any

from aigw_conformance.mocks.reference.catalogue import CATALOGUE
from aigw_conformance.mocks.reference.settings import GatewaySettings

# What the Gemini adapter sends when it "helps" an empty conversation past Gemini's refusal of empty `contents`.
BLANK_TURN: dict[str, Any] = {"role": "user", "content": "."}


def padded_messages(raw: Any, settings: GatewaySettings) -> Any:
    """`empty-messages-gemini-padded`: a request for a Gemini model with `messages: []` gets one blank user turn
    before it is validated (so 000's "minimum 1" is never seen on that path); any other request unchanged."""
    if not settings.has("empty-messages-gemini-padded") or not isinstance(raw, dict) or raw.get("messages") != []:
        return raw
    entry = next((e for e in CATALOGUE if e.id == raw.get("model")), None)
    return {**raw, "messages": [dict(BLANK_TURN)]} if entry is not None and entry.provider == "gemini" else raw


def reported_model(model_id: str, settings: GatewaySettings) -> str:
    """`model-reported-sibling`: the answer names another chat model of the same provider (a cost router's
    substitution, reported), or the ID with `-lite` when the provider has no other; else `model_id`."""
    if not settings.has("model-reported-sibling"):
        return model_id
    entry = next((e for e in CATALOGUE if e.id == model_id), None)
    siblings = [e.id for e in CATALOGUE if entry is not None and e.provider == entry.provider
                and e.endpoint == "chat" and e.id != model_id]
    return siblings[0] if siblings else f"{model_id}-lite"
