"""Reasoning: which models reason, how many tokens each `reasoning_effort` spends, and the reasoning text."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aigw_conformance.mocks.core.jsongen import Draws
from aigw_conformance.mocks.core.tokens import count_tokens, token_pieces
from aigw_conformance.mocks.openai import errors
from aigw_conformance.mocks.openai.params import choice

REASONING_PREFIXES = ("gpt-5", "o1", "o3", "o4", "gpt-oss", "qwen3")
OPENAI_REASONING_PREFIXES = ("gpt-5", "o1", "o3", "o4")
"""OpenAI's own reasoning models (gpt-oss and Qwen3 are open weights, served by vLLM, which refuses none of this)."""
EFFORT_TOKENS: Mapping[str, int] = {
    "none": 0, "minimal": 8, "low": 24, "medium": 64, "high": 160, "xhigh": 320,
}
_STEPS = ("First, I should clarify", "Next, I will check", "I need to weigh", "Then I can summarise",
          "Let me consider", "I should verify", "It helps to compare", "Finally, I will note")
_TOPICS = ("what the user is asking", "the threat model", "the relevant controls", "the detection logic",
           "the likely attack path", "the evidence available", "the mitigation options", "the edge cases")


def is_reasoning_model(model: str) -> bool:
    return model.lower().startswith(REASONING_PREFIXES) and "-chat" not in model.lower()


def is_openai_reasoning_model(model: str) -> bool:
    return model.lower().startswith(OPENAI_REASONING_PREFIXES) and "-chat" not in model.lower()


def refuse_unsupported(body: Mapping[str, Any]) -> None:
    """What OpenAI's reasoning models refuse (400 `invalid_request_error`), checked in this order, worded as the
    API words them. Sources, each an API answer quoted in a public issue:
    - `logprobs` (any value): "Unsupported parameter: 'logprobs' is not supported with this model." (gpt-5
      series; sashabaranov/go-openai#1061)
    - `stop` (any value): "Unsupported parameter: 'stop' is not supported with this model.", param `stop`, code
      `unsupported_parameter` (gpt-5, o3: BittnerPierre/AI-Agent-Casebook#133, crewAIInc/crewAI#2738)
    - `temperature` other than 1: "Unsupported value: 'temperature' does not support 0.7 with this model. Only
      the default (1) value is supported.", param `temperature`, code `unsupported_value` (gpt-5, gpt-5-mini:
      gabrii/Cursor-Azure-GPT-5#33, QwenLM/qwen-code#921)
    - `top_p` (any value): "Unsupported parameter: 'top_p' is not supported with this model.", code
      `unsupported_parameter` (gpt-5: HIllya51/LunaTranslator#1842)
    A null counts as absent."""
    for name in ("logprobs", "stop"):
        if body.get(name) is not None:
            raise _unsupported_parameter(name)
    temperature = body.get("temperature")
    if temperature is not None and temperature != 1:
        raise errors.invalid_request(
            f"Unsupported value: 'temperature' does not support {temperature} with this model. Only the default (1) "
            "value is supported.", param="temperature", code="unsupported_value")
    if body.get("top_p") is not None:
        raise _unsupported_parameter("top_p")


def _unsupported_parameter(name: str) -> errors.OpenAIError:
    return errors.invalid_request(f"Unsupported parameter: '{name}' is not supported with this model.",
                                  param=name, code="unsupported_parameter")


def effort(body: Mapping[str, Any]) -> str | None:
    """The requested `reasoning_effort` (one of EFFORT_TOKENS), or None."""
    return choice(body, "reasoning_effort", tuple(EFFORT_TOKENS))


def supported(model: str, requested: str | None, *, strict: bool) -> str | None:
    """The effort to apply: OpenAI (strict) refuses it for a model that does not reason; a vLLM-style
    (lenient) server ignores it."""
    if requested is None or is_reasoning_model(model):
        return requested
    if strict:
        raise errors.invalid_request(
            "Unsupported parameter: 'reasoning_effort' is not supported with this model.",
            param="reasoning_effort", code="unsupported_parameter")
    return None


def budget(requested: str, max_tokens: int) -> int:
    """The reasoning tokens of one choice.

    Only reasoning models (ids starting with one of REASONING_PREFIXES) reason, and only when the request sets
    `reasoning_effort` (an unset effort keeps answers exactly as without reasoning). The reasoning spends
    min(EFFORT_TOKENS[effort], max_completion_tokens // 2) tokens, so the answer always keeps at least half of
    the budget; they count in `completion_tokens` and in `completion_tokens_details.reasoning_tokens`. The text
    itself is returned (`message.reasoning`, streamed as `delta.reasoning`) only by a mock serving in
    "reasoning_content" mode (`expose_reasoning`), as vLLM does; OpenAI never returns it.
    """
    return min(EFFORT_TOKENS[requested], max_tokens // 2)


def text(material: str, tokens: int) -> tuple[list[str], int]:
    """Exactly `tokens` tokens of deterministic reasoning for a choice, as pieces and their count."""
    if tokens <= 0:
        return [], 0
    draws, sentences = Draws(f"{material}|reasoning"), list[str]()
    while count_tokens(" ".join(sentences)) < tokens:
        sentences.append(f"{_STEPS[draws.below(len(_STEPS))]} {_TOPICS[draws.below(len(_TOPICS))]}.")
    return token_pieces(" ".join(sentences), tokens)
