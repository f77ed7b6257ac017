"""The OpenAI mock driven by the official `openai` SDK and raw httpx over loopback."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest

from aigw_conformance.mocks.core.server import ServerThread
from aigw_conformance.mocks.core.tokens import count_message_tokens, count_tokens
from aigw_conformance.mocks.openai import wire
from aigw_conformance.mocks.openai.app import create_app
from aigw_conformance.mocks.openai.validation import CREATED_EPOCH, CREATED_SPAN

MESSAGES: list[Any] = [
    {"role": "system", "content": "You are a SOC assistant."},
    {"role": "user", "content": "What is XDR in cybersecurity?"},
]
AUTH = {"authorization": "Bearer test-key"}


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with ServerThread(create_app(deterministic_ids=True), name="openai-mock") as server:
        yield server.base_url


@pytest.fixture
def client(base_url: str) -> Iterator[openai.OpenAI]:
    """Closed at the end: an unclosed client leaves its pooled socket to the GC, which fails a later test."""
    with openai.OpenAI(base_url=f"{base_url}/v1", api_key="test-key", max_retries=0, timeout=10) as sdk:
        yield sdk


def post(base_url: str, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    url = f"{base_url}/v1/chat/completions"
    return httpx.post(url, json=body, headers={**AUTH, **(headers or {})}, timeout=10)


def test_non_stream_completion_has_openai_shape_and_exact_usage(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(model="gpt-5", messages=MESSAGES, seed=7)
    assert reply.id.startswith("chatcmpl-") and reply.object == "chat.completion" and reply.model == "gpt-5"
    assert CREATED_EPOCH <= reply.created < CREATED_EPOCH + CREATED_SPAN
    assert reply.system_fingerprint and reply.system_fingerprint.startswith("fp_")
    [choice] = reply.choices
    assert choice.index == 0 and choice.finish_reason == "stop" and choice.message.role == "assistant"
    content = choice.message.content or ""
    assert 8 <= count_tokens(content) <= 60
    assert reply.usage is not None
    assert reply.usage.prompt_tokens == count_message_tokens(MESSAGES)
    assert reply.usage.completion_tokens == count_tokens(content)
    assert reply.usage.total_tokens == reply.usage.prompt_tokens + reply.usage.completion_tokens


def test_stream_emits_role_tokens_finish_usage_and_done(client: openai.OpenAI, base_url: str) -> None:
    whole = client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    chunks = list(client.chat.completions.create(
        model="gpt-4o", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
    ))
    assert chunks[0].choices[0].delta.role == "assistant" and chunks[0].choices[0].delta.content == ""
    pieces = [c.choices[0].delta.content for c in chunks[1:-2]]
    assert all(pieces) and all(c.choices[0].finish_reason is None for c in chunks[:-2])
    assert chunks[-2].choices[0].finish_reason == "stop" and chunks[-2].choices[0].delta.content is None
    content = "".join(p or "" for p in pieces)
    assert content == whole.choices[0].message.content
    assert all(c.usage is None for c in chunks[:-1]) and chunks[-1].choices == []
    usage = chunks[-1].usage
    assert usage is not None and usage.completion_tokens == len(pieces) == count_tokens(content)
    assert usage.prompt_tokens == count_message_tokens(MESSAGES)
    assert len({c.id for c in chunks}) == 1 and len({c.created for c in chunks}) == 1
    raw = post(base_url, {"model": "gpt-4o", "messages": MESSAGES, "stream": True})
    assert raw.headers["content-type"].startswith("text/event-stream")
    assert raw.text.endswith("data: [DONE]\n\n") and '"usage"' not in raw.text


def test_n_choices_are_generated_independently(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(model="gpt-5-mini", messages=MESSAGES, n=3)
    assert [c.index for c in reply.choices] == [0, 1, 2]
    contents = [c.message.content or "" for c in reply.choices]
    assert len(set(contents)) > 1
    assert reply.usage is not None and reply.usage.completion_tokens == sum(map(count_tokens, contents))
    streamed: dict[int, str] = {0: "", 1: "", 2: ""}
    finished = set()
    for chunk in client.chat.completions.create(model="gpt-5-mini", messages=MESSAGES, n=3, stream=True):
        for choice in chunk.choices:
            streamed[choice.index] += choice.delta.content or ""
            if choice.finish_reason:
                finished.add(choice.index)
    assert finished == {0, 1, 2} and [streamed[i] for i in range(3)] == contents


def test_token_cap_cuts_with_finish_reason_length(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(model="gpt-5", messages=MESSAGES, max_completion_tokens=3)
    assert reply.choices[0].finish_reason == "length"
    assert reply.usage is not None and reply.usage.completion_tokens == 3
    assert count_tokens(reply.choices[0].message.content or "") == 3
    legacy = client.chat.completions.create(model="gpt-5", messages=MESSAGES, max_tokens=3)
    assert legacy.choices[0].message.content == reply.choices[0].message.content
    chunks = list(client.chat.completions.create(
        model="gpt-5", messages=MESSAGES, max_completion_tokens=3, stream=True,
        stream_options={"include_usage": True},
    ))
    assert sum(1 for c in chunks if c.choices and c.choices[0].delta.content) == 3
    assert chunks[-2].choices[0].finish_reason == "length"
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 3


def test_stop_sequence_cuts_before_its_first_occurrence(client: openai.OpenAI) -> None:
    full = client.chat.completions.create(model="gpt-4o", messages=MESSAGES).choices[0].message.content or ""
    stop = " " + full.split(" ")[2]
    reply = client.chat.completions.create(model="gpt-4o", messages=MESSAGES, stop=[stop, "zzz-never"])
    assert reply.choices[0].message.content == full[: full.index(stop)]
    assert reply.choices[0].finish_reason == "stop"
    assert reply.usage is not None and reply.usage.completion_tokens == count_tokens(full[: full.index(stop)])


@pytest.mark.parametrize("stream", [False, True])
def test_same_request_and_seed_give_identical_bytes(base_url: str, stream: bool) -> None:
    body = {"model": "gpt-5", "messages": MESSAGES, "seed": 42, "stream": stream}
    first, second = post(base_url, body), post(base_url, body)
    assert first.status_code == 200 and first.content == second.content
    other = post(base_url, {**body, "seed": 43})
    assert other.content != first.content


def test_unknown_model_is_404_model_not_found_with_strict_models() -> None:
    with ServerThread(create_app(strict_models=True), name="openai-mock-strict") as server, openai.OpenAI(
            base_url=f"{server.base_url}/v1", api_key="k", max_retries=0, timeout=10) as client:
        with pytest.raises(openai.NotFoundError) as caught:
            client.chat.completions.create(model="gpt-nope", messages=MESSAGES)
        assert caught.value.code == "model_not_found" and caught.value.type == "invalid_request_error"
        with pytest.raises(openai.NotFoundError):
            client.models.retrieve("gpt-nope")


def test_models_are_listed_and_retrievable(client: openai.OpenAI) -> None:
    ids = [m.id for m in client.models.list()]
    assert {"gpt-5", "gpt-5-mini", "gpt-4o", "gpt-oss-20b"} <= set(ids)
    model = client.models.retrieve("gpt-4o")
    assert model.id == "gpt-4o" and model.object == "model"


def test_auth_is_bearer_and_optionally_a_fixed_key() -> None:
    with ServerThread(create_app(api_key="secret"), name="openai-mock-auth") as server:
        url = f"{server.base_url}/v1"
        wrong = openai.OpenAI(base_url=url, api_key="wrong", max_retries=0, timeout=10)
        with wrong, pytest.raises(openai.AuthenticationError) as caught:
            wrong.chat.completions.create(model="gpt-5", messages=MESSAGES)
        assert caught.value.code == "invalid_api_key"
        with openai.OpenAI(base_url=url, api_key="secret", max_retries=0, timeout=10) as right:
            assert right.chat.completions.create(model="gpt-5", messages=MESSAGES).choices
        missing = httpx.post(f"{url}/chat/completions", json={"model": "gpt-5", "messages": MESSAGES})
        assert missing.status_code == 401
        assert set(missing.json()["error"]) == {"message", "type", "param", "code"}


@pytest.mark.parametrize(
    ("status", "error"),
    [(429, openai.RateLimitError), (500, openai.InternalServerError), (503, openai.InternalServerError),
     (400, openai.BadRequestError)],
)
def test_injected_status_uses_openai_error_shape(
    client: openai.OpenAI, status: int, error: type[Exception]
) -> None:
    with pytest.raises(error) as caught:
        client.chat.completions.create(
            model="gpt-5", messages=MESSAGES, extra_headers={"x-mock-status": str(status)}
        )
    assert isinstance(caught.value, openai.APIStatusError) and caught.value.status_code == status
    body = caught.value.response.json()
    assert set(body["error"]) == {"message", "type", "param", "code"}
    if status == 429:
        assert caught.value.response.headers["retry-after"] == "1"
        assert body["error"]["code"] == "rate_limit_exceeded"


def test_validation_errors_follow_openai(base_url: str) -> None:
    missing = post(base_url, {"model": "gpt-5"})
    assert missing.status_code == 400
    assert missing.json()["error"] == {
        "message": "Missing required parameter: 'messages'.", "type": "invalid_request_error",
        "param": "messages", "code": "missing_required_parameter",
    }
    no_model = post(base_url, {"messages": MESSAGES})
    assert no_model.status_code == 400 and no_model.json()["error"]["type"] == "invalid_request_error"
    bad_n = post(base_url, {"model": "gpt-5", "messages": MESSAGES, "n": "2"})
    assert bad_n.json()["error"]["code"] == "invalid_type"
    assert post(base_url, {"model": "gpt-5", "messages": MESSAGES, "top_k": 3}).status_code == 400
    bad_fault = post(base_url, {"model": "gpt-5", "messages": MESSAGES}, {"x-mock-status": "abc"})
    assert bad_fault.status_code == 400 and bad_fault.json()["error"]["param"] == "x-mock-status"
    nowhere = httpx.get(f"{base_url}/v1/nowhere", headers=AUTH)
    assert nowhere.status_code == 404
    assert nowhere.json()["error"]["message"] == "Invalid URL (GET /v1/nowhere)"


def test_disconnect_fault_cuts_the_stream_without_done(base_url: str, client: openai.OpenAI) -> None:
    body = {"model": "gpt-5", "messages": MESSAGES, "stream": True}
    received: list[str] = []
    with pytest.raises(httpx.RemoteProtocolError), httpx.stream(
        "POST", f"{base_url}/v1/chat/completions", json=body,
        headers={**AUTH, "x-mock-disconnect-after": "3"}, timeout=10,
    ) as reply:
        assert reply.status_code == 200
        received.extend(wire.iter_sse_data(reply.iter_lines()))
    assert len(received) == 3 and wire.DONE not in received
    with pytest.raises(openai.APIConnectionError):
        stream = client.chat.completions.create(
            model="gpt-5", messages=MESSAGES, stream=True, extra_headers={"x-mock-disconnect-after": "2"}
        )
        for _ in stream:
            pass


def test_latency_faults_delay_headers_and_tokens(base_url: str) -> None:
    started = time.perf_counter()
    body = {"model": "gpt-5", "messages": MESSAGES, "stream": True, "max_completion_tokens": 4}
    reply = post(base_url, body, {"x-mock-delay-ms": "40", "x-mock-ttft-ms": "40", "x-mock-itl-ms": "10"})
    assert reply.status_code == 200 and time.perf_counter() - started >= 0.04 + 0.04 + 3 * 0.01
    assert reply.text.endswith("data: [DONE]\n\n")


def test_journal_records_each_request_until_reset(base_url: str) -> None:
    assert httpx.post(f"{base_url}/__mock__/reset").status_code == 200
    body = {"model": "gpt-5", "messages": MESSAGES, "seed": 1}
    post(base_url, body, {"x-trace": "abc"})
    entries = httpx.get(f"{base_url}/__mock__/journal").json()["data"]
    assert len(entries) == 1
    [entry] = entries
    assert entry["method"] == "POST" and entry["path"] == "/v1/chat/completions" and entry["json"] == body
    assert entry["headers"]["x-trace"] == "abc" and entry["headers"]["authorization"] == AUTH["authorization"]
    assert json.loads(entry["body"]) == body
    assert httpx.post(f"{base_url}/__mock__/reset").json()["cleared"] == 1
    assert httpx.get(f"{base_url}/__mock__/journal").json()["data"] == []


def test_iter_sse_data_reads_the_mock_stream_in_any_framing(base_url: str) -> None:
    raw = post(base_url, {"model": "gpt-5", "messages": MESSAGES, "stream": True}).content
    expected = [line[6:] for line in raw.decode().split("\n") if line.startswith("data: ")]
    assert expected[-1] == wire.DONE and json.loads(expected[0])["object"] == "chat.completion.chunk"
    crlf = raw.replace(b"\n", b"\r\n").replace(b"data: [DONE]", b": keep-alive\r\ndata: [DONE]")
    for body in (raw, crlf, raw.replace(b"\n", b"\r")):
        assert list(wire.iter_sse_data([body[i : i + 7] for i in range(0, len(body), 7)])) == expected
        assert list(wire.iter_sse_data(body.decode().splitlines())) == expected
