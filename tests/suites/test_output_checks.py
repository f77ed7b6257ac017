"""The output and tool checks pass well-formed answers and fail crafted bad ones; target model lists load."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from aigw_conformance.suites.exchange import Exchange
from aigw_conformance.suites.target import TargetError, load_target
from tests.suites.outcomes import outcome

TOOL = {"type": "function", "function": {"name": "scan", "parameters": {
    "type": "object", "properties": {"domain": {"type": "string"}}, "required": ["domain"]}}}


def exchange(request: dict[str, Any], answer: Any, *, stream: bool = False, context: dict[str, Any] | None = None,
             operation: str = "POST /chat/completions", status: int = 200) -> Exchange:
    if stream:
        body = "".join(f"data: {json.dumps(chunk)}\n\n" for chunk in answer).encode() + b"data: [DONE]\n\n"
    else:
        body = json.dumps(answer).encode()
    return Exchange(api="ai", operation=operation, method="POST", url="http://t" + operation.split()[1],
                    request_headers={}, request_json={"model": "m", "messages": [], **request,
                                                      **({"stream": True} if stream else {})},
                    status=status, body=body, elapsed_s=0.01, context=dict(context or {}),
                    headers=httpx.Headers({"content-type": "text/event-stream" if stream else "application/json"}))


def completion(*choices: dict[str, Any], usage: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"choices": [{"index": i, "message": {"role": "assistant", **c.get("message", {})},
                         "finish_reason": c.get("finish", "stop")} for i, c in enumerate(choices)],
            "usage": usage or {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8}}


def chunk(index: int = 0, finish: str | None = None, **delta: Any) -> dict[str, Any]:
    return {"choices": [{"index": index, "delta": delta, "finish_reason": finish}]}


def test_stop_sequences_in_whole_and_streamed_content_fail() -> None:
    whole = completion({"message": {"content": "The SOC blocks it. Then more."}})
    assert outcome("output.stop_honoured", exchange({"stop": ["Then"]}, whole)) is not None
    assert outcome("output.stop_honoured", exchange({"stop": "never"}, whole)) is None
    streamed = [chunk(role="assistant", content=""), chunk(content="The SOC"), chunk(content=" Th"),
                chunk(content="en"), chunk(finish="stop")]
    assert "'Then'" in (outcome("output.stop_honoured", exchange({"stop": ["Then"]}, streamed, stream=True)) or "")


def test_stream_choice_count_follows_n() -> None:
    two = [chunk(0, role="assistant", content=""), chunk(1, role="assistant", content=""), chunk(0, "stop"),
           chunk(1, "stop")]
    assert outcome("sse.choice_indices", exchange({"n": 2}, two, stream=True)) is None
    assert "for n=3" in (outcome("sse.choice_indices", exchange({"n": 3}, two, stream=True)) or "")


def test_one_choice_is_accepted_where_the_model_s_provider_restricts_n() -> None:
    """000: "Some providers may restrict this value": a model the target's [models] n list leaves out may answer
    n=2 with one choice; a model it names may not, nor may any model when the target says nothing."""
    one_streamed = [chunk(0, role="assistant", content="x"), chunk(0, "stop")]
    one = completion({"message": {"content": "x"}})
    restricted, honoured = {"n_models": ("gpt-5",)}, {"n_models": ("m",)}
    for name, answer, stream in (("sse.choice_indices", one_streamed, True), ("chat.choice_indices", one, False)):
        assert outcome(name, exchange({"n": 2}, answer, stream=stream, context=restricted)) is None, name
        assert "for n=2" in (outcome(name, exchange({"n": 2}, answer, stream=stream, context=honoured)) or ""), name
        assert "for n=2" in (outcome(name, exchange({"n": 2}, answer, stream=stream)) or ""), name
        three = exchange({"n": 3}, [*one_streamed, chunk(1, "stop")] if stream else completion(
            {"message": {"content": "x"}}, {"message": {"content": "y"}}), stream=stream, context=restricted)
        assert "for n=3" in (outcome(name, three) or ""), name  # restricted means one, not any number


def test_limits_and_length() -> None:
    over = completion({"message": {"content": "a b c d"}, "finish": "length"},
                      usage={"prompt_tokens": 5, "completion_tokens": 4, "total_tokens": 9})
    assert outcome("output.completion_within_limit", exchange({"max_completion_tokens": 3}, over)) is not None
    assert outcome("output.completion_within_limit", exchange({"max_tokens": 4}, over)) is None
    assert outcome("output.length_finish", exchange({"max_completion_tokens": 3}, over)) is None
    stopped = completion({"message": {"content": "a"}, "finish": "stop"})
    assert "'stop'" in (outcome("output.length_finish", exchange({"max_completion_tokens": 3}, stopped)) or "")


def test_structured_output() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}
    request = {"response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": schema}}}
    assert outcome("structured.json_schema", exchange(request, completion({"message": {"content": '{"a": 1}'}}))) \
        is None
    assert outcome("structured.json_schema", exchange(request, completion({"message": {"content": '{"a": "1"}'}})))
    assert outcome("structured.json_object", exchange({}, completion({"message": {"content": "[1]"}})))
    assert outcome("structured.json_object", exchange({}, completion({"message": {"content": "plain"}})))


def test_tool_call_deltas_and_arguments() -> None:
    request = {"tools": [TOOL], "tool_choice": "required"}
    first = {"index": 0, "id": "call_1", "type": "function", "function": {"name": "scan", "arguments": ""}}
    good = [chunk(role="assistant", tool_calls=[first]), chunk(tool_calls=[{"index": 0, "function": {
        "arguments": '{"domain"'}}]), chunk(tool_calls=[{"index": 0, "function": {"arguments": ': "x.com"}'}}]),
        chunk(finish="tool_calls")]
    for name in ("tools.stream_first_delta", "tools.stream_later_deltas", "tools.stream_no_nulls",
                 "tools.arguments_valid", "tools.finish_reason"):
        assert outcome(name, exchange(request, good, stream=True)) is None, name
    repeated = [*good[:1], chunk(tool_calls=[{**first, "function": {"name": "scan", "arguments": "{}"}}]), good[-1]]
    assert "repeats id, function.name" in (outcome("tools.stream_later_deltas",
                                                   exchange(request, repeated, stream=True)) or "")
    typed = [*good[:1], chunk(tool_calls=[{"index": 0, "type": "function", "function": {"arguments": "{}"}}]),
             good[-1]]  # the SDK replaces `type` rather than appending it: harmless
    assert outcome("tools.stream_later_deltas", exchange(request, typed, stream=True)) is None
    retyped = [*good[:1], chunk(tool_calls=[{"index": 0, "type": "other", "function": {"arguments": "{}"}}]), good[-1]]
    assert "repeats type" in (outcome("tools.stream_later_deltas", exchange(request, retyped, stream=True)) or "")
    nulls = [*good[:1], chunk(tool_calls=[{"index": 0, "id": None, "function": {"arguments": "{}"}}]), good[-1]]
    assert "null id" in (outcome("tools.stream_no_nulls", exchange(request, nulls, stream=True)) or "")
    nameless = [chunk(role="assistant", tool_calls=[{"index": 0, "function": {"arguments": "{}"}}]), good[-1]]
    assert "lacks id, type: function, function.name" in (
        outcome("tools.stream_first_delta", exchange(request, nameless, stream=True)) or "")
    wrong = [*good[:1], chunk(tool_calls=[{"index": 0, "function": {"arguments": '{"domain": 7}'}}]),
             chunk(finish="stop")]
    assert outcome("tools.arguments_valid", exchange(request, wrong, stream=True))
    assert "finish_reason 'stop'" in (outcome("tools.finish_reason", exchange(request, wrong, stream=True)) or "")
    as_object = completion({"message": {"content": None, "tool_calls": [
        {"id": "c", "type": "function", "function": {"name": "scan", "arguments": {"domain": "x"}}}]},
        "finish": "tool_calls"})
    assert "not a JSON text" in (outcome("tools.arguments_valid", exchange(request, as_object)) or "")
    none_called = completion({"message": {"content": "I would rather not."}})
    assert "calls no tool" in (outcome("tools.finish_reason", exchange(request, none_called)) or "")


def test_reasoning_vision_and_counting() -> None:
    usage = {"prompt_tokens": 5, "completion_tokens": 100, "total_tokens": 105,
             "completion_tokens_details": {"reasoning_tokens": 60}}
    low = exchange({"reasoning_effort": "low", "max_completion_tokens": 200}, completion(
        {"message": {"content": "x"}}, usage=usage))
    assert outcome("reasoning.tokens_reported", low) is None
    assert "at most 50" in (outcome("reasoning.budget", low) or "")
    high = exchange({"reasoning_effort": "high", "max_completion_tokens": 200},
                    completion({"message": {"content": "x"}}, usage=usage), context={"lower": {"medium": 61}})
    assert outcome("reasoning.budget", high) is None  # 001's budgets are ceilings: fewer than medium spent is fine
    bare = exchange({"reasoning_effort": "low"}, completion({"message": {"content": "x"}}))
    assert "reasoning_tokens is missing" in (outcome("reasoning.tokens_reported", bare) or "")
    image = exchange({}, completion({"message": {"content": "x"}}), context={"text_prompt_tokens": 5})
    assert outcome("vision.image_counted", image)
    counted = exchange({"model": "m"}, {"model": "m", "prompt_tokens": 6}, operation="POST /chat/count",
                       context={"prompt_tokens": 5})
    assert "says 6" in (outcome("count.matches_usage", counted) or "")
    accepted = exchange({"model": "claude"}, {"prompt_tokens": 6}, operation="POST /chat/count")
    assert outcome("count.unsupported_refused", accepted)


def test_model_lists_load_and_fall_back(tmp_path: Path) -> None:
    path = tmp_path / "t.toml"
    path.write_text('[models]\nchat = ["a", "b"]\ntools = "c"\nuncountable = ["d"]\n')
    target = load_target(path)
    assert target.model_for("chat") == "a" and target.models_for("chat") == ("a", "b")
    assert target.models_for("tools") == ("c",) and target.models_for("vision") == ("a",)
    assert target.models_for("count", fallback=False) == () and target.models_for("uncountable") == ("d",)
    assert target.with_overrides(model="z").models_for("chat") == ("z",)
    path.write_text('[models]\nchat = ["a", ""]\n')
    with pytest.raises(TargetError, match="a model ID or a list of them"):
        load_target(path)


def test_a_tool_choice_forces_only_a_declared_tool() -> None:
    """tool_choice naming a function no tool declares steers nothing a gateway could honour (000: unsupported
    parameters are silently ignored): a plain answer passes; a declared name or `required` still binds."""
    plain = completion({"message": {"content": "hello"}})
    named = {"type": "function", "function": {"name": "undeclared"}}
    assert outcome("tools.finish_reason", exchange({"tool_choice": named, "tools": [TOOL]}, plain)) is None
    scan = {"type": "function", "function": {"name": "scan"}}
    assert "calls no tool" in (outcome("tools.finish_reason", exchange({"tool_choice": scan, "tools": [TOOL]},
                                                                       plain)) or "")
    assert "calls no tool" in (outcome("tools.finish_reason", exchange({"tool_choice": "required", "tools": [TOOL]},
                                                                       plain)) or "")
