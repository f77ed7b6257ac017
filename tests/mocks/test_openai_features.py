"""The OpenAI mock's tools, structured output, logprobs, reasoning and image parts, driven by the official SDK."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import jsonschema
import openai
import pydantic
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aigw_conformance.mocks.core.server import ServerThread
from aigw_conformance.mocks.core.tokens import count_message_tokens, count_tokens
from aigw_conformance.mocks.openai import tools, wire
from aigw_conformance.mocks.openai.app import create_app

AUTH = {"authorization": "Bearer x"}
WEATHER = {"type": "object", "properties": {"city": {"type": "string", "minLength": 2},
                                            "unit": {"type": ["string", "null"], "enum": ["c", "f", None]}},
           "required": ["city", "unit"], "additionalProperties": False}
SCAN = {"type": "object", "properties": {"ip": {"type": "string", "format": "ipv4"},
                                         "ports": {"type": "array", "items": {"type": "integer", "minimum": 1,
                                                                              "maximum": 65535}, "maxItems": 3}},
        "required": ["ip"]}
TOOLS: list[Any] = [
    {"type": "function", "function": {"name": "get_weather", "parameters": WEATHER, "strict": True}},
    {"type": "function", "function": {"name": "scan_host", "description": "Port scan", "parameters": SCAN}},
]
SCHEMAS = {"get_weather": WEATHER, "scan_host": SCAN}
BOTH: list[Any] = [{"role": "user", "content": "Call get_weather for Paris, then scan_host on the gateway."}]
CALL_ID = re.compile(r"^call_[0-9a-f]{24}$")


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with ServerThread(create_app(), name="openai-features") as server:
        yield server.base_url


@pytest.fixture(scope="module")
def client(base_url: str) -> Iterator[openai.OpenAI]:
    """Closed at the end: an unclosed client leaves its pooled socket to the GC, which fails a later test."""
    with openai.OpenAI(base_url=f"{base_url}/v1", api_key="x", max_retries=0, timeout=10) as sdk:
        yield sdk


def post(base_url: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{base_url}/v1/chat/completions", json=body, headers=AUTH, timeout=10)


def chunks(base_url: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    reply = post(base_url, {**body, "stream": True, "stream_options": {"include_usage": True}})
    assert reply.status_code == 200, reply.text
    data = list(wire.iter_sse_data(reply.text.splitlines()))
    assert data[-1] == wire.DONE
    return [json.loads(d) for d in data[:-1]]


def calls_of(reply: Any) -> list[tuple[str, dict[str, Any]]]:
    return [(c.function.name, json.loads(c.function.arguments)) for c in reply.choices[0].message.tool_calls or []]


def test_auto_calls_every_mentioned_tool_with_valid_arguments(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(model="gpt-4o", messages=BOTH, tools=TOOLS)
    [choice] = reply.choices
    assert choice.finish_reason == "tool_calls" and choice.message.content is None
    calls = choice.message.tool_calls or []
    assert [c.function.name for c in calls] == ["get_weather", "scan_host"]
    assert all(CALL_ID.match(c.id) and c.type == "function" for c in calls) and len({c.id for c in calls}) == 2
    for name, arguments in calls_of(reply):
        jsonschema.validate(arguments, SCHEMAS[name], format_checker=jsonschema.FormatChecker())
    usage = reply.usage
    assert usage is not None and usage.completion_tokens == sum(count_tokens(c.function.arguments) for c in calls)
    single = client.chat.completions.create(model="gpt-4o", messages=BOTH, tools=TOOLS, parallel_tool_calls=False)
    assert [name for name, _ in calls_of(single)] == ["get_weather"]


@pytest.mark.parametrize(("text", "tool_choice", "expected"), [
    ("What is XDR?", "auto", []),
    ("Please use a tool for this.", "auto", ["get_weather"]),
    ("Is SCAN_HOST available?", "auto", ["scan_host"]),
    ("Call get_weather now.", "none", []),
    ("What is XDR?", "required", ["get_weather"]),
    ("scan_host please", "required", ["scan_host"]),
    ("Call get_weather and scan_host.", {"type": "function", "function": {"name": "scan_host"}}, ["scan_host"]),
    ("get_weathers is not a tool name", "auto", []),
])
def test_tool_choice_rule(client: openai.OpenAI, text: str, tool_choice: Any, expected: list[str]) -> None:
    reply = client.chat.completions.create(
        model="gpt-5-mini", messages=[{"role": "user", "content": text}], tools=TOOLS, tool_choice=tool_choice)
    assert [name for name, _ in calls_of(reply)] == expected
    assert reply.choices[0].finish_reason == ("tool_calls" if expected else "stop")
    assert (reply.choices[0].message.content is None) == bool(expected)


_PROPERTY = st.one_of(
    st.just({"type": "string", "format": "email"}), st.just({"type": ["integer", "null"], "minimum": 0}),
    st.lists(st.text(max_size=4), min_size=1, max_size=3).map(lambda values: {"enum": values}),
    st.just({"type": "array", "items": {"type": "number", "multipleOf": 0.5}, "minItems": 1}),
    st.just({"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}),
)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(properties=st.dictionaries(st.from_regex(r"[a-z]{1,8}", fullmatch=True), _PROPERTY, max_size=5),
       strict=st.booleans(), seed=st.text(max_size=6))
def test_tool_arguments_satisfy_any_parameters_schema(properties: dict[str, Any], strict: bool, seed: str) -> None:
    schema = {"type": "object", "properties": properties, "required": sorted(properties) if strict else []}
    function = tools.Function("probe", {**schema, "additionalProperties": not strict}, strict, "tools[0]")
    [call], cut = tools.calls([function], seed, 10_000)
    assert not cut and CALL_ID.match(call.id)
    jsonschema.validate(json.loads(call.arguments), function.parameters or {},
                        format_checker=jsonschema.FormatChecker())


def test_tool_results_are_answered_with_text(client: openai.OpenAI) -> None:
    first = client.chat.completions.create(model="gpt-4o", messages=BOTH, tools=TOOLS)
    message = first.choices[0].message
    history: list[Any] = [*BOTH, message.model_dump(exclude_none=True)]
    history += [{"role": "tool", "tool_call_id": c.id, "content": '{"ok": true}'} for c in message.tool_calls or []]
    reply = client.chat.completions.create(model="gpt-4o", messages=history, tools=TOOLS)
    assert reply.choices[0].finish_reason == "stop" and reply.choices[0].message.content
    assert reply.choices[0].message.tool_calls is None


def test_streamed_tool_calls_follow_openai_deltas(client: openai.OpenAI, base_url: str) -> None:
    body = {"model": "gpt-4o", "messages": BOTH, "tools": TOOLS}
    whole = client.chat.completions.create(model="gpt-4o", messages=BOTH, tools=TOOLS)
    events = chunks(base_url, body)
    deltas = [e["choices"][0]["delta"] for e in events if e["choices"]]
    assert deltas[0]["role"] == "assistant" and deltas[0]["content"] is None
    headers: dict[int, dict[str, Any]] = {}
    arguments: dict[int, str] = {}
    for delta in deltas:
        for call in delta.get("tool_calls", []):
            assert None not in call.values() and None not in call.get("function", {}).values()
            if call["index"] not in headers:
                assert set(call) == {"index", "id", "type", "function"} and call["function"]["arguments"] == ""
                assert set(call["function"]) == {"name", "arguments"} and call["type"] == "function"
                headers[call["index"]], arguments[call["index"]] = call, ""
            else:
                assert set(call) == {"index", "function"} and set(call["function"]) == {"arguments"}
                arguments[call["index"]] += call["function"]["arguments"]
    assert list(headers) == [0, 1]
    expected = whole.choices[0].message.tool_calls or []
    assert [(h["id"], h["function"]["name"], arguments[i]) for i, h in headers.items()] == [
        (c.id, c.function.name, c.function.arguments) for c in expected]
    finish = [e["choices"][0] for e in events if e["choices"] and e["choices"][0]["finish_reason"]]
    assert len(finish) == 1 and finish[0]["finish_reason"] == "tool_calls" and finish[0]["delta"] == {}
    assert events[-1]["usage"]["completion_tokens"] == whole.usage.completion_tokens if whole.usage else False
    with client.chat.completions.stream(model="gpt-4o", messages=BOTH, tools=TOOLS) as stream:
        final = stream.get_final_completion()
    assert [c.function.arguments for c in final.choices[0].message.tool_calls or []] == [
        c.function.arguments for c in expected]


class Finding(pydantic.BaseModel):
    host: str
    severity: str
    ports: list[int]
    confirmed: bool | None


def test_parse_with_a_pydantic_model(client: openai.OpenAI) -> None:
    reply = client.chat.completions.parse(model="gpt-5", messages=BOTH, response_format=Finding)
    parsed = reply.choices[0].message.parsed
    assert isinstance(parsed, Finding) and reply.choices[0].finish_reason == "stop"
    assert reply.choices[0].message.content == parsed.model_dump_json().replace(", ", ",")


def test_json_schema_content_is_valid_whole_and_streamed(client: openai.OpenAI, base_url: str) -> None:
    fmt: Any = {"type": "json_schema", "json_schema": {"name": "scan", "schema": SCAN}}
    reply = client.chat.completions.create(model="gpt-4o", messages=BOTH, response_format=fmt, n=2)
    contents = [c.message.content or "" for c in reply.choices]
    for content in contents:
        jsonschema.validate(json.loads(content), SCAN, format_checker=jsonschema.FormatChecker())
    assert reply.usage is not None and reply.usage.completion_tokens == sum(map(count_tokens, contents))
    events = chunks(base_url, {"model": "gpt-4o", "messages": BOTH, "response_format": fmt, "n": 2})
    streamed = {0: [], 1: []}  # type: dict[int, list[str]]
    for event in events:
        for choice in event["choices"]:
            streamed[choice["index"]].append(choice["delta"].get("content") or "")
    assert ["".join(streamed[i]) for i in (0, 1)] == contents
    assert all(sum(1 for piece in streamed[i] if piece) > 3 for i in (0, 1))


def test_json_object_needs_the_word_json(client: openai.OpenAI) -> None:
    asked: Any = [{"role": "user", "content": "Reply in JSON with a summary."}]
    reply = client.chat.completions.create(model="gpt-4o", messages=asked, response_format={"type": "json_object"})
    assert isinstance(json.loads(reply.choices[0].message.content or ""), dict)
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="gpt-4o", messages=BOTH[:1], response_format={"type": "json_object"})
    assert caught.value.param == "messages"


def test_logprobs_per_token_whole_and_streamed(client: openai.OpenAI, base_url: str) -> None:
    body: dict[str, Any] = {"model": "gpt-4o", "messages": BOTH, "logprobs": True, "top_logprobs": 3}
    reply = client.chat.completions.create(**body)
    entries = (reply.choices[0].logprobs and reply.choices[0].logprobs.content) or []
    assert reply.usage is not None and len(entries) == reply.usage.completion_tokens
    assert "".join(e.token for e in entries) == reply.choices[0].message.content
    for entry in entries:
        assert entry.logprob <= 0 and entry.bytes == list(entry.token.encode())
        ranked = [t.logprob for t in entry.top_logprobs]
        assert len(ranked) == 3 and entry.top_logprobs[0].token == entry.token and ranked == sorted(ranked)[::-1]
        assert len({t.token for t in entry.top_logprobs}) == 3 and ranked[0] == entry.logprob
    streamed = [c["choices"][0]["logprobs"]["content"] for c in chunks(base_url, body)
                if c["choices"] and c["choices"][0]["delta"].get("content")]
    assert [entry for batch in streamed for entry in batch] == [e.model_dump() for e in entries]
    bare = client.chat.completions.create(model="gpt-4o", messages=BOTH, logprobs=True)
    assert all(e.top_logprobs == [] for e in (bare.choices[0].logprobs and bare.choices[0].logprobs.content) or [])


def test_reasoning_tokens_grow_with_effort_and_stay_in_budget(client: openai.OpenAI) -> None:
    spent = []
    for effort in ("low", "medium", "high"):
        reply = client.chat.completions.create(model="gpt-5", messages=BOTH, reasoning_effort=effort,
                                               max_completion_tokens=400)
        usage = reply.usage
        assert usage is not None and usage.completion_tokens_details is not None
        reasoning = usage.completion_tokens_details.reasoning_tokens or 0
        answer = count_tokens(reply.choices[0].message.content or "")
        assert usage.completion_tokens == reasoning + answer
        assert "reasoning" not in reply.choices[0].message.model_dump()  # OpenAI never returns the text
        spent.append(reasoning)
    assert 0 < spent[0] < spent[1] < spent[2]
    capped = client.chat.completions.create(model="gpt-5", messages=BOTH, reasoning_effort="high",
                                            max_completion_tokens=10)
    assert capped.usage is not None and capped.usage.completion_tokens <= 10
    assert capped.usage.completion_tokens_details and capped.usage.completion_tokens_details.reasoning_tokens == 5
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="gpt-4o", messages=BOTH, reasoning_effort="low")
    assert caught.value.code == "unsupported_parameter" and caught.value.param == "reasoning_effort"


def test_reasoning_text_in_reasoning_content_mode() -> None:
    app = create_app(expose_reasoning=True)
    with ServerThread(app, name="openai-reasoning") as server:
        body = {"model": "gpt-oss-20b", "messages": BOTH, "reasoning_effort": "medium"}
        reply = post(server.base_url, body).json()
        text = reply["choices"][0]["message"]["reasoning"]
        assert count_tokens(text) == reply["usage"]["completion_tokens_details"]["reasoning_tokens"] > 0
        events = chunks(server.base_url, body)
        thought = "".join(e["choices"][0]["delta"].get("reasoning", "") for e in events if e["choices"])
        answer = "".join(e["choices"][0]["delta"].get("content") or "" for e in events if e["choices"])
        assert thought == text and answer == reply["choices"][0]["message"]["content"]


def test_image_parts_count_by_detail(client: openai.OpenAI) -> None:
    def prompt_tokens(detail: str | None) -> int:
        image: dict[str, Any] = {"url": "https://example.com/alert.png", **({"detail": detail} if detail else {})}
        messages: Any = [{"role": "user", "content": [{"type": "text", "text": "What is shown?"},
                                                      {"type": "image_url", "image_url": image}]}]
        usage = client.chat.completions.create(model="gpt-4o", messages=messages).usage
        assert usage is not None and usage.prompt_tokens == count_message_tokens(messages)
        return usage.prompt_tokens

    text_only = client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": [{"type": "text", "text": "What is shown?"}]}])
    assert text_only.usage is not None
    base = text_only.usage.prompt_tokens
    assert [prompt_tokens(d) - base for d in (None, "low", "auto", "high")] == [85, 85, 85, 765]


@pytest.mark.parametrize("extra", [{"tools": TOOLS}, {"response_format": {"type": "json_schema", "json_schema": {
    "name": "scan", "schema": SCAN}}}], ids=["tool-call", "json"])
def test_token_cap_truncates_structured_output(base_url: str, extra: dict[str, Any]) -> None:
    body = {"model": "gpt-4o", "messages": BOTH, "max_completion_tokens": 4, **extra}
    reply = post(base_url, body).json()
    assert reply["choices"][0]["finish_reason"] == "length" and reply["usage"]["completion_tokens"] == 4
    message = reply["choices"][0]["message"]
    produced = message["content"] or "".join(c["function"]["arguments"] for c in message["tool_calls"])
    assert count_tokens(produced) == 4
    events = chunks(base_url, body)
    assert events[-1]["usage"]["completion_tokens"] == 4
    assert [c["choices"][0]["finish_reason"] for c in events if c["choices"]][-1] == "length"


def test_usage_details_are_always_present(base_url: str) -> None:
    usage = post(base_url, {"model": "gpt-4o", "messages": BOTH}).json()["usage"]
    assert usage["prompt_tokens_details"] == {"cached_tokens": 0, "audio_tokens": 0}
    assert usage["completion_tokens_details"] == {"reasoning_tokens": 0, "audio_tokens": 0,
                                                  "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}


def test_same_request_same_bytes(base_url: str) -> None:
    for stream in (False, True):
        body = {"model": "gpt-5", "messages": BOTH, "tools": TOOLS, "stream": stream, "logprobs": True}
        assert post(base_url, body).content == post(base_url, body).content


@pytest.mark.parametrize(("change", "param"), [
    ({"top_logprobs": 2}, "top_logprobs"),
    ({"logprobs": True, "top_logprobs": 21}, "top_logprobs"),
    ({"tool_choice": "auto"}, "tool_choice"),
    ({"tools": TOOLS, "tool_choice": {"type": "function", "function": {"name": "nope"}}}, "tool_choice"),
    ({"tools": TOOLS, "tool_choice": "sometimes"}, "tool_choice"),
    ({"tools": [{"type": "function", "function": {"name": "bad name"}}]}, "tools[0].function.name"),
    ({"tools": [{"type": "function"}]}, "tools[0].function"),
    ({"tools": [{"type": "function", "function": {"name": "f", "strict": True, "parameters": SCAN}}]},
     "tools[0].function.parameters"),
    ({"tools": TOOLS, "parallel_tool_calls": None}, "parallel_tool_calls"),
    ({"response_format": {"type": "json_schema", "json_schema": {"name": "x"}}},
     "response_format.json_schema.schema"),
    ({"response_format": {"type": "json_schema", "json_schema": {"name": "x", "strict": True, "schema": SCAN}}},
     "response_format"),
    ({"response_format": {"type": "yaml"}}, "response_format.type"),
    ({"reasoning_effort": "extreme"}, "reasoning_effort"),
    ({"messages": [{"role": "tool", "tool_call_id": "call_1", "content": "{}"}]}, "messages.[0].role"),
    ({"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "u", "detail": "4k"}}]}]},
     "messages[0].content[0].image_url.detail"),
])
def test_feature_validation_is_openai_shaped(base_url: str, change: dict[str, Any], param: str) -> None:
    reply = post(base_url, {"model": "gpt-5", "messages": BOTH, **change})
    assert reply.status_code == 400, reply.text
    error = reply.json()["error"]
    assert error["type"] == "invalid_request_error" and error["param"] == param, error
