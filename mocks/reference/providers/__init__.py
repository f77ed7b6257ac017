"""Upstream adapters: one per wire format (`catalogue.WIRE_FORMATS`), all behind the `Adapter` protocol."""

from __future__ import annotations

from typing import Any

from aigw_conformance.mocks.reference.catalogue import WIRE_FORMATS, ModelEntry
from aigw_conformance.mocks.reference.providers.anthropic import ClaudeAdapter
from aigw_conformance.mocks.reference.providers.base import Adapter, NativeCall
from aigw_conformance.mocks.reference.providers.gemini import GeminiAdapter
from aigw_conformance.mocks.reference.providers.openai import OpenAIAdapter, upstream_request
from aigw_conformance.mocks.reference.settings import GatewaySettings

__all__ = ["Adapter", "ClaudeAdapter", "GeminiAdapter", "NativeCall", "OpenAIAdapter", "adapter_for",
           "upstream_request"]


def adapter_for(body: dict[str, Any], entry: ModelEntry, settings: GatewaySettings) -> Adapter:
    """The adapter translating this validated request for its model's provider."""
    wire_format = WIRE_FORMATS.get(entry.provider, "openai")
    if wire_format == "anthropic":
        return ClaudeAdapter(body, entry, settings)
    if wire_format == "gemini":
        return GeminiAdapter(body, entry, settings)
    return OpenAIAdapter(body, entry, settings)
