"""The output_tokens fault: the OpenAI mock's answer runs on past N tokens, so max_completion_tokens is reached."""

from __future__ import annotations

import json

import httpx

from aigw_conformance.mocks.core import faults
from aigw_conformance.mocks.core.server import ServerThread
from aigw_conformance.mocks.openai.app import create_app

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
