"""Conformance tests of what answers carry when asked: logprobs, reasoning text, parallel tool calls."""

from __future__ import annotations

from typing import Any

from aigw_conformance.suites.checks.output import choices_of
from aigw_conformance.suites.conformance.output_tests import DESIGN, EXPLAIN
from aigw_conformance.suites.conformance.registry import TestContext, conformance_test
from aigw_conformance.suites.conformance.tools_tests import TOOLS
from aigw_conformance.suites.failures import CheckFailed
from aigw_conformance.suites.features import Feature

CHAT = "/chat/completions"
TOP_K = 3
# A prompt that names both tools of tools_tests.TOOLS, so a model free to call several calls both.
BOTH_TOOLS = [{"role": "user", "content": "Run vulnerability_scan on threatwinds.com and block_ip 203.0.113.7 for "
                                          "24 hours"}]
# Claude thinks only with max_tokens above 1024 (its minimum thinking budget); 001's medium share of this leaves it.
REASONING_TEXT_LIMIT = 2048
REPLAYED = [  # 000 Example 5, a reasoning turn replayed with its `reasoning` (000: "for assistant messages")
    {"role": "user", "content": "Design a zero-trust network architecture for a financial institution"},
    {"role": "assistant", "content": "Segment by sensitivity, verify every access, and log everything.",
     "reasoning": "The user wants an architecture; I should cover identity, segmentation and monitoring."},
    {"role": "user", "content": "Which of these should come first?"},
]


@conformance_test("logprobs.requested", features=(Feature.CHAT,))
def logprobs_requested(t: TestContext) -> None:
    """`logprobs: true, top_logprobs: 3` gives per-token entries with 3 alternatives each, whole and streamed
    (models: [models] logprobs; 000's table: Gemini has none)."""
    for model in t.models("logprobs", fallback=False):
        body: dict[str, Any] = {"model": model, "messages": EXPLAIN, "max_completion_tokens": 12, "logprobs": True,
                                "top_logprobs": TOP_K}
        t.send("POST", CHAT, json_body=body, label=f"{model}, top_logprobs={TOP_K}",
               expect=["http.success", "logprobs.content"])
        if not t.target.skip_reason(Feature.CHAT_STREAMING):
            t.send("POST", CHAT, json_body={**body, "stream": True}, label=f"{model}, streamed, top_logprobs={TOP_K}",
                   expect=["http.success", "logprobs.content"])


@conformance_test("logprobs.not_requested", features=(Feature.CHAT,))
def logprobs_not_requested(t: TestContext) -> None:
    """Without `logprobs`, no choice carries logprobs (000: 'Log probabilities (when requested)')."""
    for model in t.models("logprobs", fallback=False):
        body = {"model": model, "messages": EXPLAIN, "max_completion_tokens": 12}
        t.send("POST", CHAT, json_body=body, label=model, expect=["http.success", "logprobs.absent_unless_requested"])


def _calls(t: TestContext, body: dict[str, Any], label: str) -> int | None:
    answer = t.send("POST", CHAT, json_body=body, label=label, expect=["http.success"])
    try:
        return max((len(choice.tool_calls) for choice in choices_of(answer)), default=0) \
            if answer.status == 200 else None
    except CheckFailed:
        return None


@conformance_test("tools.parallel_calls", features=(Feature.TOOLS,))
def parallel_calls(t: TestContext) -> None:
    """A prompt naming two tools, with `parallel_tool_calls: false`, gets one call per choice (the same request
    without it may get several); models: [models] parallel_tools (000's table: Gemini has no parallel_tool_calls)."""
    for model in t.models("parallel_tools", fallback=False):
        body: dict[str, Any] = {"model": model, "messages": BOTH_TOOLS, "tools": TOOLS, "tool_choice": "required"}
        several = _calls(t, body, f"{model}, parallel_tool_calls default")
        t.send("POST", CHAT, json_body={**body, "parallel_tool_calls": False}, context={"parallel_calls": several},
               label=f"{model}, parallel_tool_calls false", expect=["http.success", "tools.parallel_honoured"])


def _reasoning_text(t: TestContext, stream: bool) -> None:
    for model in t.models("reasoning_text", fallback=False):
        body: dict[str, Any] = {"model": model, "messages": DESIGN, "max_completion_tokens": REASONING_TEXT_LIMIT,
                                "reasoning_effort": "medium", **({"stream": True} if stream else {})}
        t.send("POST", CHAT, json_body=body, label=f"{model}, reasoning_effort=medium",
               expect=["http.success", "reasoning.text_returned"])


@conformance_test("reasoning.text", features=(Feature.REASONING,))
def reasoning_text(t: TestContext) -> None:
    """With reasoning_effort, message.reasoning carries the reasoning text (models: [models] reasoning_text, those
    whose provider returns it; OpenAI's does not)."""
    _reasoning_text(t, stream=False)


@conformance_test("reasoning.text_stream", features=(Feature.REASONING, Feature.CHAT_STREAMING))
def reasoning_text_stream(t: TestContext) -> None:
    """Streamed with reasoning_effort, `delta.reasoning` carries the reasoning text, apart from content."""
    _reasoning_text(t, stream=True)


@conformance_test("reasoning.replayed", features=(Feature.REASONING,))
def reasoning_replayed(t: TestContext) -> None:
    """A conversation whose assistant turn carries its `reasoning` is accepted (000: 'reasoning: Reasoning text
    (for assistant messages)')."""
    for model in t.models("reasoning"):
        body = {"model": model, "messages": REPLAYED, "max_completion_tokens": 32}
        t.send("POST", CHAT, json_body=body, label=f"{model}, assistant reasoning replayed",
               expect=["reasoning.assistant_accepted"])
