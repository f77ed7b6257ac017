"""Reasoning: which models reason, how many tokens each `reasoning_effort` spends, and the reasoning text."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aigw_conformance.mocks.core.jsongen import Draws
from aigw_conformance.mocks.core.tokens import count_tokens, token_pieces
from aigw_conformance.mocks.openai import errors
from aigw_conformance.mocks.openai.params import choice

REASONING_PREFIXES = ("gpt-5", "o1", "o3", "o4", "gpt-oss", "qwen3")
EFFORT_TOKENS: Mapping[str, int] = {
    "none": 0, "minimal": 8, "low": 24, "medium": 64, "high": 160, "xhigh": 320,
}
_STEPS = ("First, I should clarify", "Next, I will check", "I need to weigh", "Then I can summarise",
          "Let me consider", "I should verify", "It helps to compare", "Finally, I will note")
_TOPICS = ("what the user is asking", "the threat model", "the relevant controls", "the detection logic",
           "the likely attack path", "the evidence available", "the mitigation options", "the edge cases")


def is_reasoning_model(model: str) -> bool:
    return model.lower().startswith(REASONING_PREFIXES) and "-chat" not in model.lower()


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
