"""A positive generated chat case fitted to the model it names: within its documented limits and inputs."""

# The schema cannot say what one model takes; the catalogue does (001: "The response includes all active models
# with their provider, capabilities, and token limits", "max_completion_tokens: Maximum tokens the model can
# generate", and the client's part: "Check Token Limits: Validate against model token limits before requests").
# So a positive case that names a model is kept inside that model's limits, as the model name itself is pinned:
# `max_completion_tokens`/`max_tokens` at most the model's `max_completion_tokens`, and no `input_audio` part for a
# model the target lists as refusing audio input ([models] audio_input_unsupported); decision positive.acceptance.

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

TOKEN_CAPS = ("max_completion_tokens", "max_tokens")


@dataclass(frozen=True)
class ModelFit:
    """What a model takes: its largest completion (None: unknown) and whether it takes `input_audio` parts."""

    max_completion_tokens: int | None = None
    audio_input: bool = True


def fit(body: Any, model: ModelFit) -> Any:
    """`body` (a generated chat request) within `model`'s limits; anything but a dict unchanged."""
    if not isinstance(body, dict):
        return body
    cap = model.max_completion_tokens
    for name in TOKEN_CAPS:
        value = body.get(name)
        if cap is not None and isinstance(value, int | float) and not isinstance(value, bool) and value > cap:
            body[name] = cap
    if not model.audio_input and isinstance(body.get("messages"), list):
        body["messages"] = [_without_audio(m) for m in body["messages"]]
    return body


def _without_audio(message: Any) -> Any:
    content = message.get("content") if isinstance(message, dict) else None
    if not isinstance(content, list):
        return message
    kept = [part for part in content if not (isinstance(part, dict) and part.get("type") == "input_audio")]
    return message if len(kept) == len(content) else {**message, "content": kept}
