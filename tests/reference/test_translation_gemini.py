"""Gemini models through the reference gateway: OpenAI chat ↔ generateContent / streamGenerateContent, checked
on both sides (the OpenAI SDK's view of the answer, the Gemini mock's journal of what the gateway sent)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from openai import OpenAI

from aigw_conformance.mocks.core.server import ServerThread
from aigw_conformance.mocks.reference import GatewaySettings, ReferenceStack, create_app
from aigw_conformance.mocks.reference.catalogue import find
from aigw_conformance.mocks.reference.providers.gemini_request import generate_request
from aigw_conformance.spec.loader import component_validator

MODEL = "gemini-3-pro"
WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "Weather of a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}
LOOKUP = {"type": "function", "function": {
    "name": "lookup_ip", "parameters": {"type": "object", "properties": {"ip": {"type": "string"}}}}}
CALL_ID = re.compile(r"^call_[0-9a-f]{24}$")
ErrorCheck = Callable[..., dict[str, Any]]
StreamReader = Callable[[httpx.Response], list[Any]]


def sent(stack: ReferenceStack) -> dict[str, Any]:
    """The last generate request the Gemini mock received (path, query, headers, body)."""
    entries = httpx.get(stack.mock_url("gemini") + "/__mock__/journal", trust_env=False).json()["data"]
    return dict([entry for entry in entries if "Content" in entry["path"]][-1])


def problems(component: str, instance: Any) -> list[str]:
    return [error.message for error in component_validator(component).iter_errors(instance)]


def ask(text: str, **extra: Any) -> dict[str, Any]:
    return {"model": MODEL, "messages": [{"role": "user", "content": text}], **extra}


def test_catalogue_lists_the_gemini_models(client: httpx.Client) -> None:
    models = {model["id"]: model for model in client.get("/models").json()["data"]}
    for model_id in ("gemini-3-pro", "gemini-3-flash"):
        model = models[model_id]
        assert (model["provider"], model["owned_by"]) == ("gemini", "google")
        assert set(model["capabilities"]) == {"chat", "tools-use", "reasoning", "image"}
        assert (model["max_input_tokens"], model["max_completion_tokens"]) == (1_048_576, 65_536)


def test_sdk_completion_and_what_went_upstream(sdk: OpenAI, stack: ReferenceStack) -> None:
    completion = sdk.chat.completions.create(model=MODEL, messages=[
        {"role": "system", "content": "You are terse."}, {"role": "user", "content": "What is XDR?"},
        {"role": "assistant", "content": "Extended detection and response."}, {"role": "user", "content": "More?"}])
    assert problems("ChatCompletionResponse", completion.model_dump(exclude_unset=True)) == []
    assert completion.model == MODEL and completion.choices[0].finish_reason == "stop"
    assert completion.choices[0].message.content
    entry = sent(stack)
    assert entry["path"] == "/v1beta/models/gemini-3-pro:generateContent"
    assert entry["headers"]["x-goog-api-key"] == stack.settings.upstream_api_key
    assert "authorization" not in entry["headers"]
    native = entry["json"]
    assert native["systemInstruction"] == {"parts": [{"text": "You are terse."}]}
    assert [(turn["role"], turn["parts"]) for turn in native["contents"]] == [
        ("user", [{"text": "What is XDR?"}]), ("model", [{"text": "Extended detection and response."}]),
        ("user", [{"text": "More?"}])]
    assert native["generationConfig"] == {"maxOutputTokens": 32_768}  # 50% of 65536, always sent


def test_usage_is_the_upstreams(client: httpx.Client, stack: ReferenceStack) -> None:
    body = ask("Plan a SOC", reasoning_effort="medium", max_completion_tokens=3000)
    usage = client.post("/chat/completions", json=body).json()["usage"]
    entry = sent(stack)
    direct = httpx.post(stack.mock_url("gemini") + entry["path"], json=entry["json"], trust_env=False,
                        headers={"x-goog-api-key": stack.settings.upstream_api_key}).json()["usageMetadata"]
    assert usage["prompt_tokens"] == direct["promptTokenCount"]
    assert usage["completion_tokens"] == direct["candidatesTokenCount"] + direct["thoughtsTokenCount"]
    assert usage["completion_tokens_details"]["reasoning_tokens"] == direct["thoughtsTokenCount"] > 0


def test_table_drops_and_keeps(client: httpx.Client, stack: ReferenceStack) -> None:
    dropped = {"n": 3, "seed": 7, "frequency_penalty": 0.5, "presence_penalty": 0.5, "logprobs": True,
               "top_logprobs": 2, "logit_bias": {"1": 5}, "min_p": 0.1, "repetition_penalty": 1.1, "user": "u",
               "parallel_tool_calls": False, "response_format": {"type": "json_object"}}
    body = ask("Hi", temperature=1.5, top_p=0.8, top_k=20, stop=["END", "STOP"], max_tokens=99, **dropped)
    reply = client.post("/chat/completions", json=body)
    assert reply.status_code == 200, reply.text
    assert len(reply.json()["choices"]) == 1  # n is "No" for Gemini in 000's table
    assert sent(stack)["json"]["generationConfig"] == {
        "maxOutputTokens": 99, "temperature": 1.5, "topP": 0.8, "topK": 20, "stopSequences": ["END", "STOP"]}


def test_dropped_parameters_have_a_mapping_the_table_switches_off() -> None:
    entry = find(MODEL, {"gemini": "http://unused"})
    assert entry is not None
    schema = {"type": "object", "properties": {"a": {"type": "string"}}}
    fmt = {"type": "json_schema", "json_schema": {"name": "r", "strict": True, "schema": schema}}
    config = generate_request(ask("Hi", n=2, seed=3, response_format=fmt), entry, GatewaySettings())["generationConfig"]
    assert (config["candidateCount"], config["seed"]) == (2, 3)
    assert (config["responseMimeType"], config["responseJsonSchema"]) == ("application/json", schema)


@pytest.mark.parametrize("effort, budget", [("low", 1000), ("medium", 1320), ("high", 2000)])
def test_reasoning_effort_becomes_a_thinking_budget(
    sdk: OpenAI, stack: ReferenceStack, effort: str, budget: int
) -> None:
    completion = sdk.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "Plan a SOC"}],
                                             max_completion_tokens=4000, reasoning_effort=effort)  # type: ignore[arg-type]
    config = sent(stack)["json"]["generationConfig"]
    assert config["thinkingConfig"] == {"thinkingBudget": budget, "includeThoughts": True}
    assert getattr(completion.choices[0].message, "reasoning", None)
    assert completion.usage is not None and completion.usage.completion_tokens_details is not None
    assert completion.usage.completion_tokens_details.reasoning_tokens


def test_thinking_budget_is_capped(client: httpx.Client, stack: ReferenceStack) -> None:
    client.post("/chat/completions", json=ask("Hi", reasoning_effort="high", max_completion_tokens=65_536))
    assert sent(stack)["json"]["generationConfig"]["thinkingConfig"]["thinkingBudget"] == 32_768


def test_tool_choice_mapping(client: httpx.Client, stack: ReferenceStack) -> None:
    named = {"type": "function", "function": {"name": "lookup_ip"}}
    cases: list[tuple[Any, dict[str, Any]]] = [
        ("auto", {"mode": "AUTO"}), ("required", {"mode": "ANY"}), ("none", {"mode": "NONE"}),
        (named, {"mode": "ANY", "allowedFunctionNames": ["lookup_ip"]})]
    for choice, expected in cases:
        reply = client.post("/chat/completions", json=ask("Hi", tools=[WEATHER, LOOKUP], tool_choice=choice))
        assert reply.status_code == 200, reply.text
        native = sent(stack)["json"]
        assert native["toolConfig"] == {"functionCallingConfig": expected}
    assert native["tools"] == [{"functionDeclarations": [
        {"name": "get_weather", "description": "Weather of a city",
         "parametersJsonSchema": WEATHER["function"]["parameters"]},  # type: ignore[index]
        {"name": "lookup_ip", "parametersJsonSchema": LOOKUP["function"]["parameters"]}]}]  # type: ignore[index]


def test_tool_calls_round_trip(sdk: OpenAI, client: httpx.Client, stack: ReferenceStack) -> None:
    question = {"role": "user", "content": "get_weather and lookup_ip please"}
    first = sdk.chat.completions.create(model=MODEL, tools=[WEATHER, LOOKUP], messages=[question])  # type: ignore[list-item]
    choice = first.choices[0]
    calls = choice.message.tool_calls or []
    assert choice.finish_reason == "tool_calls" and choice.message.content is None
    assert [call.function.name for call in calls] == ["get_weather", "lookup_ip"]  # type: ignore[union-attr]
    assert all(CALL_ID.match(call.id) for call in calls)
    again = client.post("/chat/completions", json={"model": MODEL, "tools": [WEATHER, LOOKUP], "messages": [question]})
    assert [c["id"] for c in again.json()["choices"][0]["message"]["tool_calls"]] == [c.id for c in calls]
    history: list[Any] = [question, {**choice.message.model_dump(exclude_none=True), "content": ""}]
    history += [{"role": "tool", "tool_call_id": calls[0].id, "content": '{"temp_c": 21}'},
                {"role": "tool", "tool_call_id": calls[1].id, "content": "AS13335"}]
    second = sdk.chat.completions.create(model=MODEL, tools=[WEATHER, LOOKUP], messages=history)  # type: ignore[list-item]
    assert second.choices[0].finish_reason == "stop" and second.choices[0].message.content
    turns = sent(stack)["json"]["contents"]
    assert [turn["role"] for turn in turns] == ["user", "model", "user"]
    assert [p["functionCall"]["name"] for p in turns[1]["parts"]] == ["get_weather", "lookup_ip"]
    assert turns[2]["parts"] == [
        {"functionResponse": {"name": "get_weather", "response": {"temp_c": 21}}},
        {"functionResponse": {"name": "lookup_ip", "response": {"output": "AS13335"}}}]


def test_a_tool_result_answering_no_call_is_sent_as_a_user_turn(client: httpx.Client, stack: ReferenceStack) -> None:
    # The schema admits it and the documents state no rule against it: taken, not refused (decision
    # positive.acceptance, mocks/reference/lenient.py); what the client said still reaches the model.
    messages = [{"role": "user", "content": "Hi"}, {"role": "tool", "tool_call_id": "call_x", "content": "1"}]
    reply = client.post("/chat/completions", json={"model": MODEL, "messages": messages})
    assert reply.status_code == 200, reply.text
    last = sent(stack)["json"]["contents"][-1]  # the user turns, merged as Gemini's contents alternate
    assert last["role"] == "user" and last["parts"][-1] == {"text": "1"}


def test_media_parts(client: httpx.Client, stack: ReferenceStack) -> None:
    parts = [{"type": "text", "text": "What is shown?"},
             {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
             {"type": "image_url", "image_url": {"url": "https://example.com/net.png?x=1"}},
             {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}}]
    reply = client.post("/chat/completions", json={"model": MODEL, "messages": [{"role": "user", "content": parts}]})
    assert reply.status_code == 200, reply.text
    assert sent(stack)["json"]["contents"][0]["parts"] == [
        {"text": "What is shown?"}, {"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}},
        {"fileData": {"mimeType": "image/png", "fileUri": "https://example.com/net.png?x=1"}},
        {"inlineData": {"mimeType": "audio/wav", "data": "UklGRg=="}}]


def test_stream_matches_the_whole_answer(sdk: OpenAI, client: httpx.Client, stack: ReferenceStack,
                                         read_stream: StreamReader) -> None:
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
    entry = sent(stack)
    assert entry["path"] == "/v1beta/models/gemini-3-pro:streamGenerateContent" and entry["query"] == "alt=sse"
    assert "".join(content) == whole.choices[0].message.content
    assert "".join(reasoning) == getattr(whole.choices[0].message, "reasoning", None)
    assert usage == whole.usage
    chunks = read_stream(client.post("/chat/completions", json={**request, "stream": True}))
    assert all(problems("ChatCompletionChunk", chunk) == [] and "usage" not in chunk for chunk in chunks)
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant" and len({c["id"] for c in chunks}) == 1


def test_streamed_tool_calls(client: httpx.Client, read_stream: StreamReader) -> None:
    body = ask("get_weather and lookup_ip", tools=[WEATHER, LOOKUP])
    whole = client.post("/chat/completions", json=body).json()["choices"][0]["message"]["tool_calls"]
    chunks = read_stream(client.post("/chat/completions", json={**body, "stream": True}))
    deltas = [call for c in chunks for call in c["choices"][0]["delta"].get("tool_calls", [])]
    assert [(d["index"], d["id"], d["function"]) for d in deltas if "id" in d] == [
        (k, call["id"], {"name": call["function"]["name"], "arguments": ""}) for k, call in enumerate(whole)]
    for k, call in enumerate(whole):
        pieces = [d["function"]["arguments"] for d in deltas if d["index"] == k and "id" not in d]
        assert "".join(pieces) == call["function"]["arguments"]
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"


def test_max_tokens_is_length(client: httpx.Client, read_stream: StreamReader) -> None:
    body = ask("Explain SIEM", max_completion_tokens=3)
    whole = client.post("/chat/completions", json=body).json()
    assert whole["choices"][0]["finish_reason"] == "length" and whole["usage"]["completion_tokens"] == 3
    chunks = read_stream(client.post("/chat/completions", json={**body, "stream": True}))
    assert [c["choices"][0]["finish_reason"] for c in chunks if c["choices"][0]["finish_reason"]] == ["length"]


@pytest.mark.parametrize("upstream, gateway", [(503, 500), (500, 500), (429, 500), (403, 500), (400, 400)])
def test_upstream_errors_map_to_documented_statuses(
    client: httpx.Client, check_error: ErrorCheck, upstream: int, gateway: int
) -> None:
    for stream in (False, True):
        reply = client.post("/chat/completions", json=ask("Hi", stream=stream),
                            headers={"x-mock-status": str(upstream)})
        check_error(reply, gateway, code="provider_error" if gateway == 500 else "upstream_rejected")


def test_upstream_400_keeps_the_providers_message(client: httpx.Client, check_error: ErrorCheck) -> None:
    # A provider's own 400 (injected: every schema-valid request Gemini would refuse is now taken, decision
    # positive.acceptance; a function name Gemini refuses is outside the spec's pattern, refused by the gateway).
    error = check_error(client.post("/chat/completions", json=ask("Hi"), headers={"x-mock-status": "400"}), 400)
    assert error["message"].startswith("gemini returned 400: ") and len(error["message"]) > 24


def test_wrong_gateway_key_is_a_provider_error(stack: ReferenceStack, check_error: ErrorCheck) -> None:
    settings = GatewaySettings(upstreams={"gemini": stack.mock_url("gemini") + "/v1beta"}, upstream_api_key="wrong")
    with ServerThread(create_app(settings)) as server:
        reply = httpx.post(server.base_url + "/api/ai/v1/chat/completions", json=ask("Hi"), trust_env=False,
                           headers={"authorization": "Bearer dev-token"})
    assert "API key not valid" in check_error(reply, 500, code="provider_error")["message"]


@pytest.mark.parametrize("fault, words", [("x-mock-disconnect-after", "interrupted"),
                                          ("x-mock-malformed-after", "malformed")])
def test_broken_stream_ends_with_an_error_event(client: httpx.Client, fault: str, words: str) -> None:
    reply = client.post("/chat/completions", json=ask("Explain XDR", stream=True), headers={fault: "3"})
    events = [json.loads(line[6:]) for line in reply.text.splitlines() if line.startswith("data: {")]
    assert reply.status_code == 200 and "[DONE]" not in reply.text and words in events[-1]["error"]["message"]
    assert events[-1]["error"]["code"] == "provider_error" and "gemini" in events[-1]["error"]["message"]


def test_defect_finish_reason_raw(read_stream: StreamReader) -> None:
    with ReferenceStack(defects=["xlate-gemini-finish-reason-raw"]) as stack:
        http = httpx.Client(base_url=stack.base_url, headers={"authorization": f"Bearer {stack.token}"},
                            trust_env=False, timeout=30)
        with http:
            body = ask("Explain SIEM", max_completion_tokens=3)
            assert http.post("/chat/completions", json=body).json()["choices"][0]["finish_reason"] == "MAX_TOKENS"
            chunks = read_stream(http.post("/chat/completions", json={**body, "stream": True}))
            assert chunks[-1]["choices"][0]["finish_reason"] == "MAX_TOKENS"
            assert http.post("/chat/completions", json=ask("Hi")).json()["choices"][0]["finish_reason"] == "STOP"


def test_defect_reasoning_budget_not_scaled() -> None:
    with ReferenceStack(defects=["xlate-reasoning-budget-wrong"]) as stack:
        httpx.post(stack.base_url + "/chat/completions", headers={"authorization": f"Bearer {stack.token}"},
                   json=ask("Hi", reasoning_effort="low", max_completion_tokens=4000), trust_env=False)
        assert sent(stack)["json"]["generationConfig"]["thinkingConfig"]["thinkingBudget"] == 2000
