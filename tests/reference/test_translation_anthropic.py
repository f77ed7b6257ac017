"""Claude models through the reference gateway: OpenAI chat ↔ Anthropic Messages, checked on both sides (the
OpenAI SDK's view of the answer, the Anthropic mock's journal of what the gateway sent)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, get_type_hints

import httpx
import pytest
from openai import OpenAI

from aigw_conformance.mocks.anthropic import wire
from aigw_conformance.mocks.core.tokens import count_tokens
from aigw_conformance.mocks.reference import ReferenceStack
from aigw_conformance.spec.loader import component_validator

MODEL = "claude-sonnet-4-5"
WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "Weather of a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}
LOOKUP = {"type": "function", "function": {
    "name": "lookup_ip", "parameters": {"type": "object", "properties": {"ip": {"type": "string"}}}}}
ErrorCheck = Callable[..., dict[str, Any]]
StreamReader = Callable[[httpx.Response], list[Any]]


def sent(stack: ReferenceStack) -> dict[str, Any]:
    """The last Messages request the Anthropic mock received (body and headers)."""
    entries = httpx.get(stack.mock_url("claude") + "/__mock__/journal", trust_env=False).json()["data"]
    return dict([entry for entry in entries if entry["path"] == "/v1/messages"][-1])


def problems(component: str, instance: Any) -> list[str]:
    return [error.message for error in component_validator(component).iter_errors(instance)]


def ask(text: str, **extra: Any) -> dict[str, Any]:
    return {"model": MODEL, "messages": [{"role": "user", "content": text}], **extra}


def test_catalogue_lists_the_claude_models(client: httpx.Client) -> None:
    models = {model["id"]: model for model in client.get("/models").json()["data"]}
    for model_id in ("claude-sonnet-4-5", "claude-haiku-4-5"):
        model = models[model_id]
        assert (model["provider"], model["owned_by"]) == ("claude", "anthropic")
        assert {"chat", "tools-use", "reasoning", "image", "code-generation"} == set(model["capabilities"])
        assert (model["max_completion_tokens"], model["max_total_tokens"]) == (64_000, 200_000)


def test_sdk_completion_and_what_went_upstream(sdk: OpenAI, stack: ReferenceStack) -> None:
    completion = sdk.chat.completions.create(model=MODEL, messages=[
        {"role": "system", "content": "You are terse."}, {"role": "developer", "content": "Plain text."},
        {"role": "user", "content": "What is XDR?"}])
    assert problems("ChatCompletionResponse", completion.model_dump(exclude_unset=True)) == []
    assert completion.model == MODEL and completion.choices[0].finish_reason == "stop"
    assert completion.choices[0].message.content and completion.usage is not None
    assert completion.usage.total_tokens == completion.usage.prompt_tokens + completion.usage.completion_tokens
    entry = sent(stack)
    native = entry["json"]
    assert native["system"] == "You are terse.\n\nPlain text."
    assert native["messages"] == [{"role": "user", "content": [{"type": "text", "text": "What is XDR?"}]}]
    assert native["max_tokens"] == 32_000  # always sent: 50% of the model's 64000
    assert entry["headers"]["x-api-key"] == stack.settings.upstream_api_key
    assert entry["headers"]["anthropic-version"] == "2023-06-01" and "authorization" not in entry["headers"]


def test_parameters_mapped_clamped_or_dropped(client: httpx.Client, stack: ReferenceStack) -> None:
    dropped = {"n": 2, "seed": 7, "logprobs": True, "top_logprobs": 2, "frequency_penalty": 0.5,
               "presence_penalty": 0.5, "logit_bias": {"50256": -100}, "min_p": 0.1, "repetition_penalty": 1.1,
               "user": "u-1", "service_tier": "flex"}
    body = ask("Hi", temperature=1.6, top_p=0.9, top_k=40, stop="END", max_completion_tokens=500, **dropped)
    reply = client.post("/chat/completions", json=body)
    assert reply.status_code == 200, reply.text
    assert len(reply.json()["choices"]) == 1
    native = sent(stack)["json"]
    assert set(native) <= set(get_type_hints(wire.MessagesRequest))
    assert (native["temperature"], native["top_p"], native["top_k"]) == (1.0, 0.9, 40)  # clamped to 0..1
    assert native["stop_sequences"] == ["END"] and native["max_tokens"] == 500
    client.post("/chat/completions", json=ask("Hi", top_k=-1, temperature=0.4, max_tokens=77))
    native = sent(stack)["json"]
    assert "top_k" not in native and native["temperature"] == 0.4 and native["max_tokens"] == 77


@pytest.mark.parametrize("effort, budget", [("low", 2000), ("medium", 2640), ("high", 4000)])
def test_reasoning_effort_becomes_a_thinking_budget(
    sdk: OpenAI, stack: ReferenceStack, effort: str, budget: int
) -> None:
    completion = sdk.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "Plan a SOC"}],
                                             max_completion_tokens=8000, reasoning_effort=effort,  # type: ignore[arg-type]
                                             temperature=0.2)
    native = sent(stack)["json"]
    assert native["thinking"] == {"type": "enabled", "budget_tokens": budget}
    assert "temperature" not in native  # Anthropic allows no temperature change with thinking
    reasoning = getattr(completion.choices[0].message, "reasoning", None)
    assert isinstance(reasoning, str) and reasoning
    assert completion.usage is not None and completion.usage.completion_tokens_details is not None
    assert completion.usage.completion_tokens_details.reasoning_tokens == count_tokens(reasoning)


def test_thinking_budget_bounds(client: httpx.Client, stack: ReferenceStack) -> None:
    client.post("/chat/completions", json=ask("Hi", reasoning_effort="low", max_completion_tokens=2000))
    assert sent(stack)["json"]["thinking"]["budget_tokens"] == 1024  # 25% is 500: raised to Anthropic's minimum
    client.post("/chat/completions", json=ask("Hi", reasoning_effort="high", max_completion_tokens=1000))
    assert "thinking" not in sent(stack)["json"]  # no room for the minimum budget below max_tokens
    reply = client.post("/chat/completions", json=ask("Hi get_weather", reasoning_effort="high",
                                                      tools=[WEATHER], tool_choice="required"))
    assert reply.status_code == 200, reply.text
    assert "thinking" not in sent(stack)["json"]  # forced tool use and thinking exclude each other


def test_tool_choice_mapping(client: httpx.Client, stack: ReferenceStack) -> None:
    named = {"type": "function", "function": {"name": "lookup_ip"}}
    cases: list[tuple[Any, dict[str, Any]]] = [
        ("auto", {"type": "auto"}), ("required", {"type": "any"}), ("none", {"type": "none"}),
        (named, {"type": "tool", "name": "lookup_ip"}), (None, {"type": "auto", "disable_parallel_tool_use": True}),
    ]
    for choice, expected in cases:
        extra = {"tool_choice": choice} if choice is not None else {"parallel_tool_calls": False}
        reply = client.post("/chat/completions", json=ask("Hi", tools=[WEATHER, LOOKUP], **extra))
        assert reply.status_code == 200, reply.text
        native = sent(stack)["json"]
        assert native["tool_choice"] == expected
    assert native["tools"][0] == {"name": "get_weather", "description": "Weather of a city",
                                  "input_schema": WEATHER["function"]["parameters"]}  # type: ignore[index]


def test_tool_calls_round_trip(sdk: OpenAI, stack: ReferenceStack) -> None:
    first = sdk.chat.completions.create(model=MODEL, tools=[WEATHER, LOOKUP],  # type: ignore[list-item]
                                        messages=[{"role": "user", "content": "get_weather and lookup_ip please"}])
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls"
    calls = choice.message.tool_calls or []
    assert [call.function.name for call in calls] == ["get_weather", "lookup_ip"]  # type: ignore[union-attr]
    for call in calls:
        assert call.id.startswith("toolu_") and isinstance(json.loads(call.function.arguments), dict)  # type: ignore[union-attr]
    assert calls[0].function.arguments == json.dumps(json.loads(calls[0].function.arguments),  # type: ignore[union-attr]
                                                     separators=(",", ":"))
    history: list[Any] = [{"role": "user", "content": "get_weather and lookup_ip please"},
                          choice.message.model_dump(exclude_none=True)]
    history += [{"role": "tool", "tool_call_id": call.id, "content": f"result {n}"} for n, call in enumerate(calls)]
    history.append({"role": "user", "content": "Summarise."})
    second = sdk.chat.completions.create(model=MODEL, tools=[WEATHER, LOOKUP], messages=history)  # type: ignore[list-item]
    assert second.choices[0].finish_reason == "stop"
    turns = sent(stack)["json"]["messages"]
    assert [turn["role"] for turn in turns] == ["user", "assistant", "user"]
    uses = [b for b in turns[1]["content"] if b["type"] == "tool_use"]
    assert [(b["id"], b["input"]) for b in uses] == [(c.id, json.loads(c.function.arguments)) for c in calls]  # type: ignore[union-attr]
    results = turns[2]["content"]
    assert [b["type"] for b in results] == ["tool_result", "tool_result", "text"]
    assert results[0] == {"type": "tool_result", "tool_use_id": calls[0].id, "content": "result 0"}


def test_images_become_image_blocks(client: httpx.Client, stack: ReferenceStack) -> None:
    parts = [{"type": "text", "text": "What is shown?"},
             {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
             {"type": "image_url", "image_url": {"url": "https://example.com/net.png", "detail": "high"}}]
    reply = client.post("/chat/completions", json={"model": MODEL, "messages": [{"role": "user", "content": parts}]})
    assert reply.status_code == 200, reply.text
    blocks = sent(stack)["json"]["messages"][0]["content"]
    assert blocks[1] == {"type": "image", "source": {"type": "base64", "media_type": "image/png",
                                                     "data": "iVBORw0KGgo="}}
    assert blocks[2] == {"type": "image", "source": {"type": "url", "url": "https://example.com/net.png"}}


def test_audio_is_refused(client: httpx.Client, check_error: ErrorCheck) -> None:
    audio = {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}}
    reply = client.post("/chat/completions", json={"model": MODEL, "messages": [{"role": "user", "content": [audio]}]})
    check_error(reply, 400, code="unsupported_content")


def test_json_schema_is_a_forced_tool(client: httpx.Client, stack: ReferenceStack) -> None:
    schema = {"type": "object", "properties": {"name": {"type": "string"}, "severity": {"type": "string"}},
              "required": ["name", "severity"], "additionalProperties": False}
    fmt = {"type": "json_schema", "json_schema": {"name": "threat_record", "strict": True, "schema": schema}}
    body = ask("Describe Log4j", response_format=fmt)
    whole = client.post("/chat/completions", json=body).json()
    assert whole["choices"][0]["finish_reason"] == "stop" and "tool_calls" not in whole["choices"][0]["message"]
    record = json.loads(whole["choices"][0]["message"]["content"])
    assert set(record) == {"name", "severity"}
    native = sent(stack)["json"]
    assert native["tool_choice"] == {"type": "tool", "name": "threat_record"}
    assert native["tools"][0]["input_schema"] == schema
    streamed = client.post("/chat/completions", json={**body, "stream": True}).text
    pieces = [json.loads(line[6:]) for line in streamed.splitlines() if line.startswith("data: {")]
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in pieces if c["choices"])
    assert text == whole["choices"][0]["message"]["content"]
    client.post("/chat/completions", json=ask("Describe Log4j", response_format={"type": "json_object"}))
    assert "JSON" in sent(stack)["json"]["system"] and "tools" not in sent(stack)["json"]


def test_stream_matches_the_whole_answer(sdk: OpenAI, client: httpx.Client, read_stream: StreamReader) -> None:
    request: dict[str, Any] = {"model": MODEL, "messages": [{"role": "user", "content": "Explain EDR"}],
                               "max_completion_tokens": 3000, "reasoning_effort": "low"}
    whole = sdk.chat.completions.create(**request)
    content, reasoning, usage = [], [], None
    for chunk in sdk.chat.completions.create(**request, stream=True, stream_options={"include_usage": True}):
        assert chunk.model == MODEL
        for choice in chunk.choices:
            content.append(choice.delta.content or "")
            reasoning.append(getattr(choice.delta, "reasoning", None) or "")
        usage = chunk.usage or usage
    assert "".join(content) == whole.choices[0].message.content
    assert "".join(reasoning) == getattr(whole.choices[0].message, "reasoning", None)
    assert usage == whole.usage
    chunks = read_stream(client.post("/chat/completions", json={**request, "stream": True}))
    assert all(problems("ChatCompletionChunk", chunk) == [] and "usage" not in chunk for chunk in chunks)
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant" and len({c["id"] for c in chunks}) == 1
    assert [c["choices"][0]["finish_reason"] for c in chunks if c["choices"][0]["finish_reason"]] == ["stop"]


def test_streamed_tool_calls(client: httpx.Client, read_stream: StreamReader) -> None:
    body = ask("get_weather and lookup_ip", tools=[WEATHER, LOOKUP])
    whole = client.post("/chat/completions", json=body).json()["choices"][0]["message"]["tool_calls"]
    chunks = read_stream(client.post("/chat/completions", json={**body, "stream": True}))
    deltas = [call for c in chunks for call in c["choices"][0]["delta"].get("tool_calls", [])]
    headers = [d for d in deltas if "id" in d]
    assert [(h["index"], h["id"], h["type"], h["function"]) for h in headers] == [
        (k, call["id"], "function", {"name": call["function"]["name"], "arguments": ""})
        for k, call in enumerate(whole)]
    for k, call in enumerate(whole):
        fragments = [d["function"]["arguments"] for d in deltas if d["index"] == k and "id" not in d]
        assert set(fragments[0]) and "".join(fragments) == call["function"]["arguments"]
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"


def test_finish_reasons(client: httpx.Client) -> None:
    cut = client.post("/chat/completions", json=ask("Explain SIEM", max_completion_tokens=3)).json()
    assert cut["choices"][0]["finish_reason"] == "length" and cut["usage"]["completion_tokens"] == 3
    natural = client.post("/chat/completions", json=ask("Explain SIEM")).json()["choices"][0]["message"]["content"]
    stop = natural.split()[2]
    stopped = client.post("/chat/completions", json=ask("Explain SIEM", stop=[stop])).json()["choices"][0]
    assert stopped["finish_reason"] == "stop" and stop not in stopped["message"]["content"]


@pytest.mark.parametrize("upstream, gateway", [(529, 500), (500, 500), (429, 500), (401, 500), (400, 400)])
def test_upstream_errors_map_to_documented_statuses(
    client: httpx.Client, check_error: ErrorCheck, upstream: int, gateway: int
) -> None:
    for stream in (False, True):
        reply = client.post("/chat/completions", json=ask("Hi", stream=stream),
                            headers={"x-mock-status": str(upstream)})
        error = check_error(reply, gateway)
        assert error["code"] == ("provider_error" if gateway == 500 else "upstream_rejected")


def test_upstream_400_keeps_the_providers_message(client: httpx.Client, check_error: ErrorCheck) -> None:
    # A provider's own 400 (injected: a tool_choice naming no declared tool, which Anthropic refuses, is now dropped
    # by the gateway, decision positive.acceptance).
    error = check_error(client.post("/chat/completions", json=ask("Hi"), headers={"x-mock-status": "400"}), 400)
    assert error["message"].startswith("claude returned 400: ") and len(error["message"]) > 24


@pytest.mark.parametrize("fault, words", [("x-mock-disconnect-after", "interrupted"),
                                          ("x-mock-malformed-after", "malformed")])
def test_broken_stream_ends_with_an_error_event(client: httpx.Client, fault: str, words: str) -> None:
    reply = client.post("/chat/completions", json=ask("Explain XDR", stream=True), headers={fault: "4"})
    events = [json.loads(line[6:]) for line in reply.text.splitlines() if line.startswith("data: {")]
    assert reply.status_code == 200 and "[DONE]" not in reply.text and words in events[-1]["error"]["message"]
    assert events[-1]["error"]["code"] == "provider_error" and "claude" in events[-1]["error"]["message"]


def test_defect_no_max_tokens(check_error: ErrorCheck) -> None:
    with ReferenceStack(defects=["xlate-claude-no-max-tokens"]) as stack:
        url, headers = stack.base_url + "/chat/completions", {"authorization": f"Bearer {stack.token}"}
        error = check_error(httpx.post(url, json=ask("Hi"), headers=headers, trust_env=False), 400)
        assert "max_tokens" in error["message"] and "max_tokens" not in sent(stack)["json"]
        fine = httpx.post(url, json=ask("Hi", max_completion_tokens=50), headers=headers, trust_env=False)
        assert fine.status_code == 200 and sent(stack)["json"]["max_tokens"] == 50


def test_defect_tool_args_object() -> None:
    with ReferenceStack(defects=["xlate-claude-tool-args-object"]) as stack:
        reply = httpx.post(stack.base_url + "/chat/completions", json=ask("get_weather", tools=[WEATHER]),
                           headers={"authorization": f"Bearer {stack.token}"}, trust_env=False)
        arguments = reply.json()["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"]
        assert isinstance(arguments, dict) and "city" in arguments
        assert problems("ChatCompletionResponse", reply.json()) != []


def test_defect_reasoning_budget_not_scaled() -> None:
    with ReferenceStack(defects=["xlate-reasoning-budget-wrong"]) as stack:
        httpx.post(stack.base_url + "/chat/completions", headers={"authorization": f"Bearer {stack.token}"},
                   json=ask("Hi", reasoning_effort="low", max_completion_tokens=8000), trust_env=False)
        assert sent(stack)["json"]["thinking"]["budget_tokens"] == 4000  # 50%, not low's 25%
