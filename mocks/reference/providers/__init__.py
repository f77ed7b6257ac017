"""Upstream adapters: one per wire format (`catalogue.WIRE_FORMATS`), all behind the `Adapter` protocol."""

from __future__ import annotations

from typing import Any

from mocks.reference.catalogue import WIRE_FORMATS, ModelEntry
from mocks.reference.providers.anthropic import ClaudeAdapter
from mocks.reference.providers.base import Adapter, NativeCall
from mocks.reference.providers.gemini import GeminiAdapter
from mocks.reference.providers.openai import OpenAIAdapter, upstream_request
from mocks.reference.settings import GatewaySettings

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
