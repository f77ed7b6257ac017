"""The reference takes what the request schema admits and providers refuse (mocks/reference/lenient.py)."""

from __future__ import annotations

from typing import Any

from aigw_conformance.mocks.reference.lenient import PLACEHOLDER, for_wire_format, takeable

USER = {"role": "user", "content": "hi"}
CALL = {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
TOOL = {"type": "function", "function": {"name": "f", "parameters": {"properties": {}}}}


def test_a_request_nothing_applies_to_is_the_same_object() -> None:
    body: dict[str, Any] = {"model": "m", "messages": [USER], "n": 2, "tools": [TOOL], "tool_choice": "auto"}
    assert takeable(body) is body and for_wire_format(body, "openai") is body


def test_integral_numbers_become_integers_and_top_k_zero_is_dropped() -> None:
    taken = takeable({"messages": [USER], "n": 2.0, "max_tokens": 8.0, "seed": 1.5, "top_k": 0})
    assert taken == {"messages": [USER], "n": 2, "max_tokens": 8, "seed": 1.5}
    assert isinstance(taken["n"], int)


def test_tool_steering_without_a_tool_to_steer_is_dropped() -> None:
    assert takeable({"messages": [USER], "tool_choice": "none", "parallel_tool_calls": True}) == {"messages": [USER]}
    named = {"type": "function", "function": {"name": "g"}}
    assert takeable({"messages": [USER], "tools": [TOOL], "tool_choice": named}) == {"messages": [USER],
                                                                                   "tools": [TOOL]}
    kept = {"messages": [USER], "tools": [TOOL], "tool_choice": {"type": "function", "function": {"name": "f"}}}
    assert takeable(kept) is kept


def test_orphan_tool_results_become_user_turns_and_unanswered_calls_are_taken_off() -> None:
    orphan = {"role": "tool", "tool_call_id": "call_9", "content": "21"}
    assert takeable({"messages": [USER, orphan]})["messages"] == [USER, {"role": "user", "content": "21"}]
    asked = {"role": "assistant", "content": "", "tool_calls": [CALL, {**CALL, "id": "call_2"}]}
    answer = {"role": "tool", "tool_call_id": "call_1", "content": "ok"}
    fixed = takeable({"messages": [USER, asked, answer, USER]})["messages"]
    assert fixed == [USER, {**asked, "tool_calls": [CALL]}, answer, USER]
    answered = {"messages": [USER, {**asked, "tool_calls": [CALL]}, answer]}
    assert takeable(answered) is answered


def test_gemini_and_claude_get_no_empty_turn_and_something_to_answer() -> None:
    empty = {"messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": ""}]}
    for wire_format in ("gemini", "anthropic"):
        assert for_wire_format(empty, wire_format)["messages"][1] == {"role": "user", "content": PLACEHOLDER}
        lonely = for_wire_format({"messages": [{"role": "developer", "content": "x"}]}, wire_format)
        assert lonely["messages"][-1] == {"role": "user", "content": PLACEHOLDER}
        typed = for_wire_format({"messages": [USER], "tools": [TOOL]}, wire_format)["tools"][0]
        assert typed["function"]["parameters"] == {"type": "object", "properties": {}}
    assert for_wire_format(empty, "openai") is empty
    blank_parts = {"messages": [{"role": "user", "content": [{"type": "text", "text": ""}]}]}
    assert for_wire_format(blank_parts, "anthropic")["messages"] == [{"role": "user", "content": PLACEHOLDER}]


def test_json_object_without_the_word_gets_a_system_message_on_openai_only() -> None:
    body = {"messages": [USER], "response_format": {"type": "json_object"}}
    assert for_wire_format(body, "openai")["messages"][0]["content"] == "Answer in JSON."
    said = {"messages": [{"role": "user", "content": "reply in JSON"}], "response_format": {"type": "json_object"}}
    assert for_wire_format(said, "openai") is said


def test_a_function_declared_twice_is_declared_once_for_gemini_and_claude() -> None:
    other = {"type": "function", "function": {"name": "f", "description": "again", "parameters": {"type": "object"}}}
    body = {"messages": [USER], "tools": [TOOL, other]}
    for wire_format in ("gemini", "anthropic"):
        assert [t["function"].get("description") for t in for_wire_format(body, wire_format)["tools"]] == [None]
    assert for_wire_format(body, "openai") is body


def test_an_assistant_turn_with_only_nameless_calls_or_only_images_gets_text() -> None:
    nameless = {"role": "assistant", "content": "", "tool_calls": [{**CALL, "function": {"name": "", "arguments": ""}}]}
    pictured = {"role": "assistant", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}
    for message in (nameless, pictured):
        filled = for_wire_format({"messages": [USER, message, USER]}, "anthropic")["messages"][1]
        assert filled["content"] == PLACEHOLDER
    calling = {"role": "assistant", "content": "", "tool_calls": [CALL]}
    assert for_wire_format({"messages": [USER, calling]}, "anthropic")["messages"][1] == calling
