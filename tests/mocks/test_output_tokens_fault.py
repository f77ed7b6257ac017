"""The output_tokens fault: a mock's text answer runs on past N tokens, so the request's token cap is reached."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from aigw_conformance.mocks import registry
from aigw_conformance.mocks.core import faults
from aigw_conformance.mocks.core.server import ServerThread
from aigw_conformance.mocks.openai.app import create_app
from tests.mocks.test_content_filter_fault import CALLS, finish_of, streamed_finishes

AUTH = {"authorization": "Bearer k"}
BODY = {"model": "gpt-5", "messages": [{"role": "user", "content": "hi"}], "max_completion_tokens": 300}


def usage_and_finish(text: str) -> tuple[int, list[str]]:
    events = [json.loads(line[5:]) for line in text.splitlines() if line.startswith("data:") and "[DONE]" not in line]
    usage = next(e["usage"]["completion_tokens"] for e in events if e.get("usage"))
    return usage, [c["finish_reason"] for e in events for c in e.get("choices", []) if c.get("finish_reason")]


def test_output_tokens_by_header_and_by_rule_whole_and_streamed() -> None:
    with ServerThread(create_app(), name="openai") as server, httpx.Client(base_url=server.base_url,
                                                                           timeout=10) as client:
        plain = client.post("/v1/chat/completions", headers=AUTH, json=BODY).json()
        assert plain["usage"]["completion_tokens"] <= 60 and plain["choices"][0]["finish_reason"] == "stop"
        header = {**AUTH, faults.OUTPUT_TOKENS: "300"}
        whole = client.post("/v1/chat/completions", headers=header, json=BODY).json()
        assert whole["usage"]["completion_tokens"] == 300 and whole["choices"][0]["finish_reason"] == "length"
        streamed = client.post("/v1/chat/completions", headers=header,
                               json={**BODY, "stream": True, "stream_options": {"include_usage": True}})
        assert usage_and_finish(streamed.text) == (300, ["length"])
        fewer = client.post("/v1/chat/completions", headers={**AUTH, faults.OUTPUT_TOKENS: "120"}, json=BODY).json()
        assert fewer["usage"]["completion_tokens"] >= 120  # past N, up to the cap
        rule = {"faults": [{"kind": "output_tokens", "tokens": 300}], "times": 1}
        assert client.post("/__mock__/faults", json=rule).status_code == 201
        ruled = client.post("/v1/chat/completions", headers=AUTH, json=BODY).json()
        assert ruled["usage"]["completion_tokens"] == 300
        bad = client.post("/v1/chat/completions", headers={**AUTH, faults.OUTPUT_TOKENS: "lots"}, json=BODY)
        assert bad.status_code == 400 and faults.OUTPUT_TOKENS in bad.text


CAP = 300
CAPPED: dict[str, dict[str, Any]] = {
    "openai": {"max_completion_tokens": CAP}, "selfhosted": {"max_completion_tokens": CAP},
    "anthropic": {"max_tokens": CAP}, "gemini": {"generationConfig": {"maxOutputTokens": CAP}},
}
LENGTH = {"openai": "length", "selfhosted": "length", "anthropic": "max_tokens", "gemini": "MAX_TOKENS"}


def output_tokens_of(name: str, answer: dict[str, Any]) -> int:
    if name == "anthropic":
        return int(answer["usage"]["output_tokens"])
    if name == "gemini":
        return int(answer["usageMetadata"]["candidatesTokenCount"])
    return int(answer["usage"]["completion_tokens"])


@pytest.mark.parametrize("name", registry.PROVIDERS)
def test_every_chat_mock_runs_on_to_the_cap_in_its_own_words(name: str) -> None:
    """Without the fault the answer ends naturally, well short of the cap; with it the cap is reached exactly, with
    the provider's own length finish, whole and streamed."""
    path, headers, body, stream_path, stream_extra = CALLS[name]
    body = {**body, **CAPPED[name]}
    with ServerThread(registry.load(name).create_app(), name=name) as server, httpx.Client(
            base_url=server.base_url, timeout=10) as client:
        plain = client.post(path, headers=headers, json=body).json()
        assert output_tokens_of(name, plain) < CAP and finish_of(name, plain) != LENGTH[name]
        longer = {**headers, faults.OUTPUT_TOKENS: str(CAP)}
        whole = client.post(path, headers=longer, json=body)
        assert whole.status_code == 200, whole.text
        assert (output_tokens_of(name, whole.json()), finish_of(name, whole.json())) == (CAP, LENGTH[name])
        streamed = client.post(stream_path, headers=longer, json={**body, **stream_extra})
        assert streamed.status_code == 200 and streamed_finishes(name, streamed.text) == [LENGTH[name]]
