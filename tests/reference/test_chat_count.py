"""POST /chat/count: the count equals the prompt_tokens a chat completion of the same messages reports, for every
provider 001 supports; Claude is refused as documented; the error contract holds."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from aigw_conformance.mocks.reference import ReferenceStack
from aigw_conformance.spec.loader import component_validator

ErrorCheck = Callable[..., dict[str, Any]]
IMAGE = {"type": "image_url", "image_url": {"url": "https://example.com/net.png", "detail": "high"}}
CONVERSATIONS: dict[str, list[dict[str, Any]]] = {
    "plain": [{"role": "user", "content": "What is XDR in cybersecurity?"}],
    "multi-turn": [
        {"role": "system", "content": "You are a cybersecurity expert"},
        {"role": "user", "content": "What is a zero-day vulnerability?"},
        {"role": "assistant", "content": "A software flaw unknown to the vendor."},
        {"role": "user", "content": [{"type": "text", "text": "How do we protect against them?"}, IMAGE]},
    ],
    "tools": [
        {"role": "user", "content": "Scan threatwinds.com", "name": "analyst"},
        {"role": "assistant", "content": "", "tool_calls": [{"id": "call_1", "type": "function", "function": {
            "name": "vulnerability_scan", "arguments": '{"domain":"threatwinds.com"}'}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": '{"open_ports": [443]}'},
    ],
}


def count(client: httpx.Client, model: str, messages: list[dict[str, Any]], **headers: str) -> httpx.Response:
    return client.post("/chat/count", json={"model": model, "messages": messages}, headers=headers)


@pytest.mark.parametrize("conversation", sorted(CONVERSATIONS))
@pytest.mark.parametrize("model", ["gpt-5", "gpt-oss-20b", "gemini-3-pro", "gemini-3-flash"])
def test_count_equals_the_completions_prompt_tokens(client: httpx.Client, model: str, conversation: str) -> None:
    messages = CONVERSATIONS[conversation]
    reply = count(client, model, messages)
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert [e.message for e in component_validator("ChatCountResponse").iter_errors(body)] == []
    assert body["model"] == model
    completion = client.post("/chat/completions", json={"model": model, "messages": messages,
                                                       "max_completion_tokens": 5})
    assert completion.status_code == 200, completion.text
    assert body["prompt_tokens"] == completion.json()["usage"]["prompt_tokens"] > 0


def test_gemini_is_counted_by_gemini(client: httpx.Client, stack: ReferenceStack) -> None:
    count(client, "gemini-3-flash", CONVERSATIONS["multi-turn"])
    entries = httpx.get(stack.mock_url("gemini") + "/__mock__/journal", trust_env=False).json()["data"]
    entry = entries[-1]
    assert entry["path"] == "/v1beta/models/gemini-3-flash:countTokens"
    inner = entry["json"]["generateContentRequest"]
    assert inner["model"] == "models/gemini-3-flash"
    assert inner["systemInstruction"] == {"parts": [{"text": "You are a cybersecurity expert"}]}
    assert [turn["role"] for turn in inner["contents"]] == ["user", "model", "user"]


@pytest.mark.parametrize("model", ["claude-sonnet-4-5", "claude-haiku-4-5"])
def test_claude_is_refused(client: httpx.Client, check_error: ErrorCheck, model: str) -> None:
    error = check_error(count(client, model, CONVERSATIONS["plain"]), 400, param="model", code="unsupported_model")
    assert "Claude" in error["message"] and "/chat/completions" in error["message"]


def test_unknown_model_is_404(client: httpx.Client, check_error: ErrorCheck) -> None:
    check_error(count(client, "gpt-4", CONVERSATIONS["plain"]), 404, code="model_not_found", param="model")


@pytest.mark.parametrize("body, param", [
    ({"model": "gpt-5"}, "messages"),
    ({"model": "gpt-5", "messages": []}, "messages"),
    ({"messages": [{"role": "user", "content": "hi"}]}, "model"),
    ({"model": "gpt-5", "messages": [{"role": "robot", "content": "hi"}]}, "messages.0.role"),
])
def test_invalid_requests_are_400(client: httpx.Client, check_error: ErrorCheck, body: Any, param: str) -> None:
    check_error(client.post("/chat/count", json=body), 400, param=param)


def test_malformed_json_and_auth(client: httpx.Client, check_error: ErrorCheck) -> None:
    check_error(client.post("/chat/count", content=b"{", headers={"content-type": "application/json"}), 400)
    check_error(client.post("/chat/count", json={"model": "gpt-5", "messages": CONVERSATIONS["plain"]},
                            headers={"authorization": "Bearer nope"}), 401)


def test_gemini_failure_is_a_provider_error(client: httpx.Client, check_error: ErrorCheck) -> None:
    reply = count(client, "gemini-3-pro", CONVERSATIONS["plain"], **{"x-mock-status": "503"})
    check_error(reply, 500, code="provider_error")


def test_defect_claude_accepted() -> None:
    with ReferenceStack(defects=["xlate-count-claude-accepted"]) as stack:
        reply = httpx.post(stack.base_url + "/chat/count", trust_env=False,
                           headers={"authorization": f"Bearer {stack.token}"},
                           json={"model": "claude-sonnet-4-5", "messages": CONVERSATIONS["plain"]})
    assert reply.status_code == 200 and reply.json()["prompt_tokens"] > 0
