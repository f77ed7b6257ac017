"""The refusal fault has every mock decline in its own wire format, whole and streamed, by header and by rule."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from aigw_conformance.mocks import registry
from aigw_conformance.mocks.core import faults
from aigw_conformance.mocks.core.rules import FaultSpecError, spec_headers
from aigw_conformance.mocks.core.server import ServerThread
from tests.mocks.test_content_filter_fault import CALLS


def events(text: str) -> list[dict[str, Any]]:
    return [json.loads(line[5:]) for line in text.splitlines() if line.startswith("data:") and "[DONE]" not in line]


def declined(name: str, answer: dict[str, Any]) -> bool:
    """Whether a whole answer is the provider's refusal: OpenAI's `refusal` text with no content and finish `stop`,
    Anthropic's empty `refusal` stop, Gemini's blocked prompt without candidates."""
    if name == "anthropic":
        return answer["stop_reason"] == "refusal" and answer["content"] == []
    if name == "gemini":
        return answer.get("promptFeedback", {}).get("blockReason") == "SAFETY" and "candidates" not in answer
    message = answer["choices"][0]["message"]
    return (message["refusal"] == faults.REFUSAL_TEXT and message["content"] is None
            and answer["choices"][0]["finish_reason"] == "stop")


def declined_stream(name: str, text: str) -> bool:
    found = events(text)
    if name == "anthropic":
        kinds = [e["type"] for e in found]
        stops = [e["delta"]["stop_reason"] for e in found if e["type"] == "message_delta"]
        return "content_block_start" not in kinds and stops == ["refusal"] and kinds[-1] == "message_stop"
    if name == "gemini":
        return len(found) == 1 and found[0].get("promptFeedback", {}).get("blockReason") == "SAFETY"
    deltas = [c["delta"] for e in found for c in e["choices"]]
    finishes = [c["finish_reason"] for e in found for c in e["choices"] if c["finish_reason"]]
    refusal = "".join(d.get("refusal") or "" for d in deltas)
    return refusal == faults.REFUSAL_TEXT and not any(d.get("content") for d in deltas) and finishes == ["stop"]


@pytest.mark.parametrize("name", registry.PROVIDERS)
def test_refusal_by_header_and_by_rule(name: str) -> None:
    path, headers, body, stream_path, stream_extra = CALLS[name]
    with ServerThread(registry.load(name).create_app(), name=name) as server, httpx.Client(
            base_url=server.base_url, timeout=10) as client:
        plain = client.post(path, headers=headers, json=body)
        assert plain.status_code == 200 and not declined(name, plain.json())
        refused = client.post(path, headers={**headers, faults.REFUSAL: "1"}, json=body)
        assert refused.status_code == 200, refused.text
        assert declined(name, refused.json()), refused.text
        rule = client.post("/__mock__/faults", json={"kind": "refusal", "enabled": 1, "times": 1})
        assert rule.status_code == 201, rule.text
        streamed = client.post(stream_path, headers=headers, json={**body, **stream_extra})
        assert streamed.status_code == 200 and declined_stream(name, streamed.text), streamed.text
        again = client.post(stream_path, headers=headers, json={**body, **stream_extra})
        assert not declined_stream(name, again.text)  # the rule is used up


def test_refusal_spec_is_validated_like_its_header() -> None:
    assert spec_headers({"kind": "refusal", "enabled": 1}) == {faults.REFUSAL: "1"}
    with pytest.raises(FaultSpecError):
        spec_headers({"kind": "refusal", "enabled": 2})
    assert not faults.from_headers({faults.REFUSAL: "0"}).refused
    assert faults.from_headers({faults.REFUSAL: "1"}).refused
