"""The content_filter fault ends every mock's answer with its native content-filter finish, whole and streamed."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from aigw_conformance.mocks import registry
from aigw_conformance.mocks.core import faults
from aigw_conformance.mocks.core.rules import FaultSpecError, spec_headers
from aigw_conformance.mocks.core.server import ServerThread

# Provider → (chat path, auth headers, body, its streamed form's path and body).
CALLS: dict[str, tuple[str, dict[str, str], dict[str, Any], str, dict[str, Any]]] = {
    "openai": ("/v1/chat/completions", {"authorization": "Bearer k"},
               {"model": "gpt-5", "messages": [{"role": "user", "content": "hi"}], "max_completion_tokens": 16},
               "/v1/chat/completions", {"stream": True}),
    "selfhosted": ("/v1/chat/completions", {}, {"model": "qwen3-32b", "messages": [{"role": "user", "content": "hi"}],
                                                "max_completion_tokens": 16}, "/v1/chat/completions", {"stream": True}),
    "anthropic": ("/v1/messages", {"x-api-key": "k"},
                  {"model": "claude-haiku-4-5", "max_tokens": 16, "messages": [{"role": "user", "content": "hi"}]},
                  "/v1/messages", {"stream": True}),
    "gemini": ("/v1beta/models/gemini-3-flash:generateContent", {"x-goog-api-key": "k"},
               {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]},
               "/v1beta/models/gemini-3-flash:streamGenerateContent?alt=sse", {}),
}


def finish_of(name: str, answer: Any) -> Any:
    """The native finish of a whole answer."""
    if name == "anthropic":
        return answer["stop_reason"]
    if name == "gemini":
        return answer["candidates"][0]["finishReason"]
    return answer["choices"][0]["finish_reason"]


def streamed_finishes(name: str, text: str) -> list[Any]:
    events = [json.loads(line[5:]) for line in text.splitlines() if line.startswith("data:") and "[DONE]" not in line]
    if name == "anthropic":
        return [e["delta"]["stop_reason"] for e in events if e.get("type") == "message_delta"]
    if name == "gemini":
        return [c["finishReason"] for e in events for c in e.get("candidates", []) if c.get("finishReason")]
    return [c["finish_reason"] for e in events for c in e.get("choices", []) if c.get("finish_reason")]


NATIVE = {"openai": "content_filter", "selfhosted": "content_filter", "anthropic": "refusal", "gemini": "SAFETY"}


@pytest.mark.parametrize("name", registry.PROVIDERS)
def test_content_filter_by_header_and_by_rule(name: str) -> None:
    path, headers, body, stream_path, stream_extra = CALLS[name]
    with ServerThread(registry.load(name).create_app(), name=name) as server, httpx.Client(
            base_url=server.base_url, timeout=10) as client:
        plain = client.post(path, headers=headers, json=body)
        assert plain.status_code == 200 and finish_of(name, plain.json()) != NATIVE[name]
        filtered = client.post(path, headers={**headers, faults.CONTENT_FILTER: "1"}, json=body)
        assert filtered.status_code == 200, filtered.text
        assert finish_of(name, filtered.json()) == NATIVE[name]
        rule = client.post("/__mock__/faults", json={"kind": "content_filter", "enabled": 1, "times": 1})
        assert rule.status_code == 201, rule.text
        streamed = client.post(stream_path, headers=headers, json={**body, **stream_extra})
        assert streamed.status_code == 200 and streamed_finishes(name, streamed.text) == [NATIVE[name]]
        again = client.post(stream_path, headers=headers, json={**body, **stream_extra})
        assert NATIVE[name] not in streamed_finishes(name, again.text)  # the rule is used up


def test_content_filter_spec_is_validated_like_its_header() -> None:
    assert spec_headers({"kind": "content_filter", "enabled": 1}) == {faults.CONTENT_FILTER: "1"}
    with pytest.raises(FaultSpecError):
        spec_headers({"kind": "content_filter", "enabled": 2})
    assert not faults.from_headers({faults.CONTENT_FILTER: "0"}).content_filtered
    assert faults.from_headers({faults.CONTENT_FILTER: "1"}).content_filtered
