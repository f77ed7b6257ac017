"""Checks of what /chat/completions takes: not embedding and audio models (000), audio input parts (001)."""

from __future__ import annotations

from aigw_conformance.suites.checks.errors import DEDICATED_MODEL_REFUSALS
from aigw_conformance.suites.checks.output import answered, usage_of
from aigw_conformance.suites.checks.preconditions import is_chat, on_ai_api
from aigw_conformance.suites.checks.registry import check, fail, requires
from aigw_conformance.suites.exchange import Exchange
from aigw_conformance.suites.failures import Severity


def _chat_on_ai(exchange: Exchange) -> bool:
    return on_ai_api(exchange) and is_chat(exchange)


@check("models.dedicated_endpoint_refused", severity=Severity.HIGH, auto=False)
@requires(_chat_on_ai)
def dedicated_endpoint_refused(exchange: Exchange) -> None:
    """A chat completion naming an embedding or audio model is refused: 400, 403 or 404 (000: they "use their
    dedicated endpoints (/embeddings, /audio/*) and do not support /chat/completions", no status named)."""
    if exchange.status not in DEDICATED_MODEL_REFUSALS:
        model = exchange.context.get("dedicated_model", "an embedding or audio model")
        allowed = ", ".join(map(str, DEDICATED_MODEL_REFUSALS))
        raise fail(f"/chat/completions with {model} was answered {exchange.status}, expected a refusal ({allowed}; "
                   "000: embedding and audio models 'use their dedicated endpoints (/embeddings, /audio/*) and do not "
                   f"support /chat/completions'): {exchange.excerpt(160)!r}")


@check("audio_input.counted", severity=Severity.HIGH, auto=False, inferred=True)
@requires(_chat_on_ai)
def audio_counted(exchange: Exchange) -> None:
    """A message with an input_audio part is answered and costs more prompt tokens than its text alone (context
    `text_prompt_tokens`): the audio reached the model (001: "Support for text, images, and audio inputs")."""
    if not answered(exchange):
        raise fail(f"a message with an input_audio part was answered {exchange.status}, expected 200 on a model the "
                   f"target lists for audio input: {exchange.excerpt(160)!r}")
    text_only = exchange.context.get("text_prompt_tokens")
    prompt = (usage_of(exchange) or {}).get("prompt_tokens")
    if not isinstance(prompt, int) or not isinstance(text_only, int):
        raise fail(f"cannot compare prompt tokens: with the audio {prompt!r}, the text alone {text_only!r}")
    if prompt <= text_only:
        raise fail(f"with an input_audio part the prompt costs {prompt} tokens, the same text alone {text_only}: "
                   "the audio did not reach the model")


@check("audio_input.refused_400", severity=Severity.MEDIUM, auto=False, inferred=True)
@requires(_chat_on_ai)
def audio_refused(exchange: Exchange) -> None:
    """An input_audio part sent to a model that takes no audio is refused with 400, not dropped silently."""
    if exchange.status != 400:
        raise fail(f"an input_audio part for a model without audio input was answered {exchange.status}, expected "
                   f"400: a part the model cannot take must not be dropped silently: {exchange.excerpt(160)!r}")
