"""Conformance tests of tool messages on the client gateway (002's message format lists the role `tool`)."""

from __future__ import annotations

from aigw_conformance.suites.conformance.client_tests import post
from aigw_conformance.suites.conformance.registry import TestContext, conformance_test
from aigw_conformance.suites.features import Feature

SCAN = {"role": "user", "content": "Scan the domain threatwinds.com for vulnerabilities"}  # 000 Example 7
CALL_ID = "call_aigwconformance0001"
ASKED = {"role": "assistant", "content": "", "tool_calls": [{
    "id": CALL_ID, "type": "function",
    "function": {"name": "vulnerability_scan", "arguments": '{"domain":"threatwinds.com"}'}}]}
RESULT = '{"open_ports": [443], "findings": [], "grade": "A"}'


@conformance_test("client.tool_result", features=(Feature.CLIENT_CHAT,), api="client")
def tool_result(t: TestContext) -> None:
    """user → assistant (tool_calls) → tool (tool_call_id) is answered 200 with text.

    Decision: 002's message format shows a tool message with only role and content, but an OpenAI-compatible
    provider needs the `tool_call_id` of the call it answers; 002 calls the endpoint OpenAI-compatible, so the
    fields OpenAI's format gives an assistant tool-call turn and a tool result must reach the provider."""
    messages = [SCAN, ASKED, {"role": "tool", "tool_call_id": CALL_ID, "content": RESULT}]
    post(t, {"model": t.client_model(), "messages": messages, "max_tokens": 32}, label="tool result",
         expect=("client.tool_result_answered",))


@conformance_test("client.bare_tool_message", features=(Feature.CLIENT_CHAT,), api="client")
def bare_tool_message(t: TestContext) -> None:
    """A tool message exactly as 002 shows it (role and content only) is answered 200 or refused with 400
    invalid_request_error, never a 5xx.

    Decision: the documents do not say how such a message names its call; a gateway may take it (a lenient
    provider reads it as text) or refuse it as malformed (the bundled reference refuses it with 400, the same for
    every provider); a crash or a provider failure is wrong either way."""
    messages = [SCAN, {"role": "tool", "content": RESULT}]
    post(t, {"model": t.client_model(), "messages": messages, "max_tokens": 32}, label="tool message without "
         "tool_call_id", expect=("client.tool_message_handled",))
