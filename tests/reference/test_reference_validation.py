"""Request validation on POST /chat/completions: every documented range on both sides, JSON, media type."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import openai
import pytest
from openai import OpenAI

ErrorCheck = Callable[..., dict[str, Any]]

TOOL = {"type": "function", "function": {"name": "scan", "parameters": {"type": "object", "properties": {}}}}

# parameter → (rejected values, accepted values): 000 "Request Parameters", the spec's ChatCompletionRequest
RANGES: dict[str, tuple[list[Any], list[Any]]] = {
    "temperature": ([-0.01, 2.01, "hot"], [0, 2, 1.0]),
    "top_p": ([-0.01, 1.01], [0, 1]),
    "top_k": ([-2, 1.5], [-1, 1, 40]),
    "min_p": ([-0.01, 1.01], [0, 1]),
    "n": ([0, 129, 1.5], [1, 128]),
    "stop": ([["a", "b", "c", "d", "e"], 7], ["END", ["a", "b", "c", "d"]]),
    "frequency_penalty": ([-2.01, 2.01], [-2, 2]),
    "presence_penalty": ([-2.01, 2.01], [-2, 2]),
    "repetition_penalty": ([0, -1], [0.01, 2]),
    "logit_bias": ([{"50256": -100.5}, {"50256": 101}, {"abc": 1}], [{"50256": -100}, {"50256": 100}]),
    "max_completion_tokens": ([0, 128_001], [1, 128_000]),
    "max_tokens": ([0, 128_001], [1, 128_000]),
    "tools": ([[TOOL] * 129], [[TOOL] * 128]),
    "reasoning_effort": (["extreme", ""], ["low", "medium", "high"]),
    "service_tier": (["turbo"], ["auto", "flex"]),
    "stream": (["yes"], [False]),
    "user": ([42], ["analyst-7"]),
}
REJECTED = [(name, value) for name, (bad, _) in RANGES.items() for value in bad]
ACCEPTED = [(name, value) for name, (_, good) in RANGES.items() for value in good]


def ident(value: Any) -> str:
    text = repr(value)
    return text if len(text) < 30 else text[:27] + "..."


@pytest.mark.parametrize("name, value", REJECTED, ids=[f"{n}={ident(v)}" for n, v in REJECTED])
def test_out_of_range_is_400_naming_the_parameter(
    client: httpx.Client, check_error: ErrorCheck, chat_request: dict[str, Any], name: str, value: Any
) -> None:
    body = {**chat_request, "model": "gpt-5", name: value}
    body.pop("max_completion_tokens") if name == "max_tokens" else None
    error = check_error(client.post("/chat/completions", json=body), 400)
    assert error["param"].split(".")[0] == name, error  # logit_bias.50256 names the offending entry
    assert error["message"].startswith(f"{error['param']}:"), error["message"]


@pytest.mark.parametrize("name, value", ACCEPTED, ids=[f"{n}={ident(v)}" for n, v in ACCEPTED])
def test_boundary_values_are_accepted(
    client: httpx.Client, chat_request: dict[str, Any], name: str, value: Any
) -> None:
    body = {**chat_request, "model": "gpt-5", "max_completion_tokens": 8, name: value}
    if name == "max_tokens":
        body.pop("max_completion_tokens")
    reply = client.post("/chat/completions", json=body)
    assert reply.status_code == 200, reply.text


def test_range_message_reads_naturally(
    client: httpx.Client, check_error: ErrorCheck, chat_request: dict[str, Any]
) -> None:
    error = check_error(client.post("/chat/completions", json={**chat_request, "temperature": 2.5}), 400)
    assert error["message"] == "temperature: 2.5 is greater than the maximum of 2"
    assert error["type"] == "invalid_request_error"


@pytest.mark.parametrize("value, accepted", [(-1, False), (0, True), (5, True), (6, False)])
def test_top_logprobs_range(
    client: httpx.Client, chat_request: dict[str, Any], value: int, accepted: bool
) -> None:
    reply = client.post("/chat/completions", json={**chat_request, "logprobs": True, "top_logprobs": value})
    assert reply.status_code == (200 if accepted else 400), reply.text


@pytest.mark.parametrize("logprobs", [None, False])
def test_top_logprobs_needs_logprobs(
    client: httpx.Client, check_error: ErrorCheck, chat_request: dict[str, Any], logprobs: bool | None
) -> None:
    body = {**chat_request, "top_logprobs": 2, **({} if logprobs is None else {"logprobs": logprobs})}
    error = check_error(client.post("/chat/completions", json=body), 400, param="top_logprobs")
    assert "logprobs" in error["message"]


@pytest.mark.parametrize(
    "change, param",
    [({"messages": []}, "messages"), ({"messages": [{"role": "robot", "content": "hi"}]}, "messages.0.role"),
     ({"messages": [{"role": "user"}]}, "messages.0.content"), ({"model": 5}, "model"),
     ({"messages": "hi"}, "messages")],
    ids=["empty messages", "invalid role", "missing content", "model not a string", "messages not an array"],
)
def test_message_rules(
    client: httpx.Client, check_error: ErrorCheck, chat_request: dict[str, Any], change: dict[str, Any],
    param: str,
) -> None:
    check_error(client.post("/chat/completions", json={**chat_request, **change}), 400, param=param)


@pytest.mark.parametrize("missing", ["model", "messages"])
def test_required_fields(
    client: httpx.Client, check_error: ErrorCheck, chat_request: dict[str, Any], missing: str
) -> None:
    body = {key: value for key, value in chat_request.items() if key != missing}
    error = check_error(client.post("/chat/completions", json=body), 400, param=missing)
    assert "required" in error["message"]


def test_completion_limit_is_per_model(
    client: httpx.Client, check_error: ErrorCheck, chat_request: dict[str, Any]
) -> None:
    body = {**chat_request, "model": "gpt-oss-20b", "max_completion_tokens": 32_769}
    error = check_error(client.post("/chat/completions", json=body), 400, param="max_completion_tokens")
    assert "32768" in error["message"]
    reply = client.post("/chat/completions", json={**body, "max_completion_tokens": 32_768})
    assert reply.status_code == 200, reply.text


def test_prompt_over_the_input_limit(
    client: httpx.Client, check_error: ErrorCheck, chat_request: dict[str, Any]
) -> None:
    messages = [{"role": "user", "content": "hello " * 99_000}]
    big = {**chat_request, "model": "gpt-oss-20b", "messages": messages}
    error = check_error(client.post("/chat/completions", json=big), 400, code="token_limit_exceeded")
    assert "token limit exceeded" in error["message"]
    fits = {**big, "messages": [{"role": "user", "content": "hello " * 90_000}]}
    assert client.post("/chat/completions", json=fits).status_code == 200


@pytest.mark.parametrize(
    "content", [b"{", b'{"model": "gpt-5",}', b"", b"\xff\xfe", b'{"model": "gpt-5", "temperature": NaN}'],
    ids=["truncated", "trailing comma", "empty", "not UTF-8", "NaN"],
)
def test_malformed_json_is_400(client: httpx.Client, check_error: ErrorCheck, content: bytes) -> None:
    reply = client.post("/chat/completions", content=content, headers={"content-type": "application/json"})
    check_error(reply, 400, code="invalid_json")


@pytest.mark.parametrize("body", [[], "text", 42, None], ids=["array", "string", "number", "null"])
def test_body_must_be_an_object(client: httpx.Client, check_error: ErrorCheck, body: Any) -> None:
    reply = client.post("/chat/completions", content=httpx.Request("POST", "/", json=body).content,
                        headers={"content-type": "application/json"})
    check_error(reply, 400, param=None)


@pytest.mark.parametrize(
    "content_type", [None, "text/plain", "application/x-www-form-urlencoded", "application/jsonx"]
)
def test_content_type_must_be_json(
    client: httpx.Client, check_error: ErrorCheck, chat_request: dict[str, Any], content_type: str | None
) -> None:
    content = httpx.Request("POST", "/", json=chat_request).content
    headers = {} if content_type is None else {"content-type": content_type}
    reply = client.post("/chat/completions", content=content, headers=headers)
    check_error(reply, 400, code="invalid_content_type")


def test_content_type_parameters_are_fine(client: httpx.Client, chat_request: dict[str, Any]) -> None:
    content = httpx.Request("POST", "/", json=chat_request).content
    headers = {"content-type": "Application/JSON; charset=utf-8"}
    reply = client.post("/chat/completions", content=content, headers=headers)
    assert reply.status_code == 200, reply.text


def test_unknown_model_is_404(
    client: httpx.Client, check_error: ErrorCheck, chat_request: dict[str, Any]
) -> None:
    check_error(client.post("/chat/completions", json={**chat_request, "model": "gpt-4"}), 404,
                param="model", code="model_not_found")


def test_sdk_sees_documented_errors(sdk: OpenAI) -> None:
    messages: Any = [{"role": "user", "content": "hi"}]
    with pytest.raises(openai.BadRequestError) as bad:
        sdk.chat.completions.create(model="gpt-5", messages=messages, temperature=3)
    assert bad.value.param == "temperature"
    with pytest.raises(openai.NotFoundError):
        sdk.chat.completions.create(model="gpt-4", messages=messages)


def test_unknown_parameters_are_ignored(client: httpx.Client, chat_request: dict[str, Any]) -> None:
    """000: "unsupported parameters are silently ignored"; the (strict) OpenAI upstream never sees them."""
    assert client.post("/chat/completions", json={**chat_request, "x_custom": 1}).status_code == 200
