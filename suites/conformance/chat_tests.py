"""Conformance tests of non-streaming and streaming chat completions."""

from __future__ import annotations

from typing import Any

from aigw_conformance.suites.conformance.registry import TestContext, conformance_test
from aigw_conformance.suites.features import Feature

QUESTION = [{"role": "user", "content": "What is XDR in cybersecurity?"}]
MULTI_TURN = [
    {"role": "system", "content": "You are a cybersecurity expert"},
    {"role": "user", "content": "What is a zero-day vulnerability?"},
    {"role": "assistant", "content": "A zero-day vulnerability is a software security flaw that is unknown to "
                                     "the vendor..."},
    {"role": "user", "content": "How can organizations protect against them?"},
]


def chat_body(t: TestContext, capability: str = "chat", **extra: Any) -> dict[str, Any]:
    return {"model": t.model(capability), "messages": QUESTION, "max_completion_tokens": 64, **extra}


@conformance_test("chat.simple", features=(Feature.CHAT,))
def simple(t: TestContext) -> None:
    """A simple question (000 Example 1) returns a chat.completion with usage."""
    t.send("POST", "/chat/completions", json_body=chat_body(t), expect=["http.success"])


@conformance_test("chat.multi_turn", features=(Feature.CHAT,))
def multi_turn(t: TestContext) -> None:
    """A multi-turn conversation with system and assistant messages (000 Example 2) is answered."""
    body = chat_body(t, messages=MULTI_TURN)
    t.send("POST", "/chat/completions", json_body=body, expect=["http.success"])


@conformance_test("chat.default_max_tokens", features=(Feature.CHAT,))
def default_max_tokens(t: TestContext) -> None:
    """A request without max_completion_tokens is answered (the default is 50% of the model maximum)."""
    body = {"model": t.model(), "messages": QUESTION}
    t.send("POST", "/chat/completions", json_body=body, expect=["http.success"])


@conformance_test("chat.max_tokens_alias", features=(Feature.CHAT,))
def max_tokens_alias(t: TestContext) -> None:
    """`max_tokens` is accepted as the alias of max_completion_tokens."""
    body = {"model": t.model(), "messages": QUESTION, "max_tokens": 32}
    t.send("POST", "/chat/completions", json_body=body, expect=["http.success"])


@conformance_test("stream.basic", features=(Feature.CHAT_STREAMING,))
def stream_basic(t: TestContext) -> None:
    """`stream: true` gives SSE chunks with one id, the role first, a finish reason, then [DONE]."""
    t.send("POST", "/chat/completions", json_body=chat_body(t, "stream", stream=True), expect=["http.success"])


@conformance_test("stream.multi_turn", features=(Feature.CHAT_STREAMING,))
def stream_multi_turn(t: TestContext) -> None:
    """A streamed multi-turn conversation follows the same chunk contract."""
    body = chat_body(t, "stream", stream=True, messages=MULTI_TURN)
    t.send("POST", "/chat/completions", json_body=body, expect=["http.success"])


@conformance_test("stream.include_usage", features=(Feature.STREAM_USAGE,))
def stream_include_usage(t: TestContext) -> None:
    """`stream_options.include_usage: true` adds one final usage-only chunk (000 Example 3)."""
    body = chat_body(t, "stream", stream=True, stream_options={"include_usage": True})
    t.send("POST", "/chat/completions", json_body=body, expect=["http.success"])


@conformance_test("stream.include_usage_false", features=(Feature.STREAM_USAGE,))
def stream_include_usage_false(t: TestContext) -> None:
    """`stream_options.include_usage: false` sends no usage chunk."""
    body = chat_body(t, "stream", stream=True, stream_options={"include_usage": False})
    t.send("POST", "/chat/completions", json_body=body, expect=["http.success"])


TOOL_HISTORY = [
    {"role": "developer", "content": "Answer as a security analyst."},
    {"role": "user", "content": "Scan the domain threatwinds.com for vulnerabilities"},
    {"role": "assistant", "content": "", "tool_calls": [{
        "id": "call_1", "type": "function",
        "function": {"name": "vulnerability_scan", "arguments": '{"domain": "threatwinds.com"}'},
    }]},
    {"role": "tool", "tool_call_id": "call_1", "content": '{"open_ports": [443], "findings": []}'},
]


@conformance_test("chat.roles", features=(Feature.CHAT,))
def roles(t: TestContext) -> None:
    """The developer and tool roles (000: 'user, assistant, system, tool, developer') are accepted."""
    body = chat_body(t, messages=TOOL_HISTORY)
    t.send("POST", "/chat/completions", json_body=body, label="developer + tool messages", expect=["http.success"])
