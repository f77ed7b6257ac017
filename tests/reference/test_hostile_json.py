"""Deeply nested JSON and non-finite numbers: the documented 400 with the error contract on every API, never a 500."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from aigw_conformance.mocks.reference import ReferenceStack
from aigw_conformance.mocks.reference.validation import MAX_JSON_DEPTH, too_deep
from conftest import ErrorCheck

CHAT = '{"model": "gpt-5-mini", "messages": [{"role": "user", "content": "hi"}], "max_completion_tokens": 8'
CLIENT_CHAT = '{"model": "gpt-4", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 8'
JSON_POSTS = {  # path → the start of a valid body, to which `, "x": <hostile>}` is added
    "/chat/completions": CHAT, "/embeddings": '{"model": "text-embedding-3-small", "input": "a"',
    "/chat/count": CHAT, "/audio/speech": '{"model": "tts-1", "input": "a", "voice": "alloy"',
    "/store/notes": '{"value": {"a": 1}',
}
GENERATED = re.compile(r"^req_[0-9a-f]{32}$")


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


HOSTILE = {"past the parser's recursion": nested(100_000), "one level too deep": nested(MAX_JSON_DEPTH),
           "1e999": "1e999", "-1e999": "-1e999"}


@pytest.fixture(scope="module")
def stack() -> Iterator[ReferenceStack]:
    with ReferenceStack() as running:
        yield running


@pytest.fixture(scope="module")
def client(stack: ReferenceStack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.base_url, headers={"authorization": f"Bearer {stack.token}",
                      "content-type": "application/json"}, timeout=30, trust_env=False) as http:
        yield http


@pytest.mark.parametrize("path", list(JSON_POSTS))
@pytest.mark.parametrize("hostile", list(HOSTILE))
def test_the_ai_api_refuses_hostile_json_with_400(client: httpx.Client, check_error: ErrorCheck, path: str,
                                                  hostile: str) -> None:
    """The value sits one level below the top (`"x"`), so "one level too deep" is MAX_JSON_DEPTH + 1 levels."""
    reply = client.post(path, content=f'{JSON_POSTS[path]}, "x": {HOSTILE[hostile]}}}'.encode())
    check_error(reply, 400, code="invalid_json")


@pytest.mark.parametrize("hostile", list(HOSTILE))
def test_the_client_gateway_refuses_hostile_json_with_400(stack: ReferenceStack, hostile: str) -> None:
    reply = httpx.post(stack.client_base_url + "/chat/completions",
                       content=f'{CLIENT_CHAT}, "x": {HOSTILE[hostile]}}}'.encode(), trust_env=False, timeout=30,
                       headers={"authorization": f"Bearer {stack.client_token}", "content-type": "application/json"})
    assert reply.status_code == 400, reply.text
    assert reply.headers["content-type"] == "application/json"
    body = reply.json()
    assert body["error"]["type"] == "invalid_request_error" and body["error"]["code"] == "invalid_json"
    assert GENERATED.match(body["request_id"]) and reply.headers["x-request-id"] == body["request_id"]


def test_json_at_the_depth_limit_is_taken(client: httpx.Client) -> None:
    """A body MAX_JSON_DEPTH levels deep (its store value one less) is taken, stored, and read back."""
    value: Any = {"leaf": 1}
    for _ in range(MAX_JSON_DEPTH - 2):
        value = {"a": value}
    assert not too_deep({"value": value}) and too_deep({"x": {"value": value}})
    created = client.post("/store/deep", json={"key": "k", "value": value})
    assert created.status_code == 201, created.text
    assert client.get("/store/deep/k").json()["value"] == value
    chat = json.loads(CHAT + "}")
    answered = client.post("/chat/completions", json={**chat, "metadata": value})
    assert answered.status_code in (200, 400), answered.text  # refused or not by the schema: never a 500


@pytest.mark.parametrize("temperature", ["nan", "NaN", "inf", "-inf", "Infinity", "1e999"])
def test_transcription_refuses_a_non_finite_temperature(stack: ReferenceStack, check_error: ErrorCheck,
                                                        temperature: str) -> None:
    audio = ("a.wav", b"RIFF0000WAVE", "audio/wav")
    reply = httpx.post(stack.base_url + "/audio/transcriptions", files={"file": audio}, trust_env=False,
                       data={"model": "whisper-1", "temperature": temperature}, timeout=30,
                       headers={"authorization": f"Bearer {stack.token}"})
    assert "not of type 'number'" in check_error(reply, 400, param="temperature")["message"]


def test_too_deep_counts_levels() -> None:
    assert not too_deep(1) and not too_deep([], 1) and too_deep([[]], 1) and not too_deep([[]], 2)
    assert too_deep({"a": [1, {"b": []}]}, 3) and not too_deep({"a": [1, {"b": []}]}, 4)
