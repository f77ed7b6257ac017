"""Conformance tests of tool calling: forced calls whole and streamed, valid arguments, a tool result answered."""

from __future__ import annotations

from typing import Any

from aigw_conformance.suites.checks.output import choices_of
from aigw_conformance.suites.conformance.registry import TestContext, conformance_test
from aigw_conformance.suites.failures import CheckFailed
from aigw_conformance.suites.features import Feature

CHAT = "/chat/completions"
SCAN = [{"role": "user", "content": "Scan the domain threatwinds.com for vulnerabilities"}]  # 000 Example 7
TOOLS: list[dict[str, Any]] = [
    {"type": "function", "function": {
        "name": "vulnerability_scan",
        "description": "Perform a vulnerability scan on a domain",
        "parameters": {
            "type": "object",
            "properties": {
                "domain": {"type": "string", "description": "Domain to scan"},
                "scan_type": {"type": "string", "enum": ["quick", "full", "stealth"]},
            },
            "required": ["domain"],
        },
    }},
    {"type": "function", "function": {
        "name": "block_ip",
        "description": "Block an IP address at the perimeter firewall",
        "parameters": {
            "type": "object",
            "properties": {"ip": {"type": "string"}, "hours": {"type": "integer", "minimum": 1}},
            "required": ["ip", "hours"],
        },
    }},
]
NAMED = {"type": "function", "function": {"name": "vulnerability_scan"}}
SCAN_RESULT = '{"open_ports": [443], "findings": [], "grade": "A"}'
WHOLE_CHECKS = ["http.success", "tools.arguments_valid", "tools.finish_reason"]
STREAM_CHECKS = [*WHOLE_CHECKS, "tools.stream_first_delta", "tools.stream_later_deltas", "tools.stream_no_nulls"]


def _body(model: str, **extra: Any) -> dict[str, Any]:
    """000 Example 7 (no max_completion_tokens: the model's default applies) with a tool_choice."""
    return {"model": model, "messages": SCAN, "tools": TOOLS, **extra}


@conformance_test("tools.call", features=(Feature.TOOLS,))
def call(t: TestContext) -> None:
    """A named tool_choice gets that call, with arguments valid against its parameters and finish tool_calls."""
    for model in t.models("tools"):
        t.send("POST", CHAT, json_body=_body(model, tool_choice=NAMED), label=f"{model}, tool_choice named",
               expect=WHOLE_CHECKS)


@conformance_test("tools.stream", features=(Feature.TOOLS, Feature.CHAT_STREAMING))
def stream(t: TestContext) -> None:
    """Streamed tool calls: id, type and name in the first delta, then arguments only, no nulls; valid arguments."""
    for model in t.models("tools"):
        t.send("POST", CHAT, json_body=_body(model, tool_choice="required", stream=True),
               label=f"{model}, tool_choice required", expect=STREAM_CHECKS)


@conformance_test("tools.result", features=(Feature.TOOLS,))
def result(t: TestContext) -> None:
    """The model's own tool call, answered with a tool message (tool_call_id), gets an assistant answer."""
    for model in t.models("tools"):
        asked = t.send("POST", CHAT, json_body=_body(model, tool_choice=NAMED), label=f"{model}, tool_choice named",
                       expect=WHOLE_CHECKS)
        try:
            calls = [call for choice in choices_of(asked)[:1] for call in choice.tool_calls] \
                if asked.status == 200 else []
        except CheckFailed:
            calls = []
        if not calls:
            continue  # the first answer's failures say why
        turn = {"role": "assistant", "content": "", "tool_calls": calls}
        results = [{"role": "tool", "tool_call_id": call.get("id"), "content": SCAN_RESULT} for call in calls]
        t.send("POST", CHAT, json_body={"model": model, "messages": [*SCAN, turn, *results], "tools": TOOLS},
               label=f"{model}, tool result", expect=["tools.result_answered"])
