"""POST /chat/completions on the reference gateway: non-streaming, streaming, translation upstream."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from openai import OpenAI

from aigw_conformance.mocks.reference import ReferenceStack
from aigw_conformance.spec.loader import component_validator

FINISH_REASONS = {"stop", "length", "content_filter", "tool_calls"}

StreamReader = Callable[[httpx.Response], list[Any]]


def schema_problems(component: str, instance: Any) -> list[str]:
    return [error.message for error in component_validator(component).iter_errors(instance)]


def last_upstream_request(stack: ReferenceStack, provider: str = "openai") -> dict[str, Any]:
    entries = httpx.get(stack.mock_url(provider) + "/__mock__/journal", trust_env=False).json()["data"]
    chats = [entry for entry in entries if entry["path"].endswith("/v1/chat/completions")]
    return dict(chats[-1])


def test_non_streaming_completion(client: httpx.Client, chat_request: dict[str, Any]) -> None:
    reply = client.post("/chat/completions", json=chat_request)
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert schema_problems("ChatCompletionResponse", body) == []
    assert body["object"] == "chat.completion" and body["model"] == "gpt-5-mini"
    [choice] = body["choices"]
    assert choice["index"] == 0 and choice["message"]["role"] == "assistant"
    assert choice["finish_reason"] in FINISH_REASONS
    usage = body["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert usage["completion_tokens"] <= 40


def test_n_choices(client: httpx.Client, chat_request: dict[str, Any]) -> None:
    body = client.post("/chat/completions", json={**chat_request, "n": 3}).json()
    assert [choice["index"] for choice in body["choices"]] == [0, 1, 2]


def test_sdk_non_streaming(sdk: OpenAI) -> None:
    completion = sdk.chat.completions.create(
        model="gpt-5", messages=[{"role": "user", "content": "What is 2+2?"}], max_completion_tokens=100
    )
    assert completion.model == "gpt-5"
    assert completion.choices[0].message.content
    assert completion.usage is not None and completion.usage.total_tokens > 0


def test_self_hosted_model_keeps_its_sampling_parameters(
    client: httpx.Client, stack: ReferenceStack, chat_request: dict[str, Any]
) -> None:
    extra = {"top_k": 40, "min_p": 0.05, "repetition_penalty": 1.1}
    reply = client.post("/chat/completions", json={**chat_request, "model": "gpt-oss-20b", **extra})
    assert reply.status_code == 200, reply.text
    assert reply.json()["model"] == "gpt-oss-20b"
    sent = last_upstream_request(stack, "threatwinds")["json"]
    assert {key: sent[key] for key in extra} == extra


def test_openai_drops_unsupported_parameters(
    client: httpx.Client, stack: ReferenceStack, chat_request: dict[str, Any]
) -> None:
    extra = {"top_k": 40, "min_p": 0.05, "repetition_penalty": 1.1, "seed": 7}
    body = {**chat_request, "model": "gpt-5", **extra}
    reply = client.post("/chat/completions", json=body)
    assert reply.status_code == 200, reply.text
    entry = last_upstream_request(stack)
    sent = entry["json"]
    assert not {"top_k", "min_p", "repetition_penalty"} & set(sent)
    assert sent["seed"] == 7 and sent["model"] == "gpt-5"
    # the gateway authenticates upstream with its own provider key, never the caller's credentials
    assert entry["headers"]["authorization"] == f"Bearer {stack.settings.upstream_api_key}"


def test_completion_budget_defaults_and_alias(
    client: httpx.Client, stack: ReferenceStack, chat_request: dict[str, Any]
) -> None:
    request = {key: value for key, value in chat_request.items() if key != "max_completion_tokens"}
    assert client.post("/chat/completions", json={**request, "model": "gpt-5"}).status_code == 200
    assert last_upstream_request(stack)["json"]["max_completion_tokens"] == 64_000  # 50% of 128000
    assert client.post("/chat/completions", json={**request, "max_tokens": 12}).status_code == 200
    sent = last_upstream_request(stack)["json"]
    assert sent["max_completion_tokens"] == 12 and "max_tokens" not in sent


def test_stream_without_usage(
    client: httpx.Client, read_stream: StreamReader, chat_request: dict[str, Any]
) -> None:
    chunks = read_stream(client.post("/chat/completions", json={**chat_request, "stream": True}))
    assert len(chunks) >= 3
    for chunk in chunks:
        assert schema_problems("ChatCompletionChunk", chunk) == []
        assert chunk["object"] == "chat.completion.chunk" and chunk["model"] == "gpt-5-mini"
        assert "usage" not in chunk
    assert len({chunk["id"] for chunk in chunks}) == 1
    assert len({chunk["created"] for chunk in chunks}) == 1
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert chunks[-1]["choices"][0]["finish_reason"] in FINISH_REASONS


def test_stream_with_usage(
    client: httpx.Client, read_stream: StreamReader, chat_request: dict[str, Any]
) -> None:
    body = {**chat_request, "stream": True, "stream_options": {"include_usage": True}}
    chunks = read_stream(client.post("/chat/completions", json=body))
    *content, last = chunks
    assert last["choices"] == []
    usage = last["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"] > 0
    assert all(chunk.get("usage") is None for chunk in content)


def test_stream_matches_the_non_streaming_answer(sdk: OpenAI) -> None:
    request: dict[str, Any] = {"model": "gpt-5", "messages": [{"role": "user", "content": "Explain XDR"}],
                               "max_completion_tokens": 60}
    whole = sdk.chat.completions.create(**request)
    pieces, usage = [], None
    for chunk in sdk.chat.completions.create(**request, stream=True, stream_options={"include_usage": True}):
        assert chunk.model == "gpt-5"
        pieces += [choice.delta.content or "" for choice in chunk.choices]
        usage = chunk.usage or usage
    assert "".join(pieces) == whole.choices[0].message.content
    assert usage is not None and usage == whole.usage


def test_api_key_and_secret_authenticate(stack: ReferenceStack, chat_request: dict[str, Any]) -> None:
    headers = {"api-key": stack.api_key, "api-secret": stack.api_secret}
    url = stack.base_url + "/chat/completions"
    reply = httpx.post(url, json=chat_request, headers=headers, trust_env=False)
    assert reply.status_code == 200, reply.text
