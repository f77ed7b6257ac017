"""Each switchable defect of the reference gateway shows its symptom, and the clean gateway does not."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from symptoms import probes_fixture
from test_reference_access import SYMPTOMS as ACCESS_SYMPTOMS
from test_reference_media_defects import SYMPTOMS as MEDIA_SYMPTOMS
from test_reference_output_defects import SYMPTOMS as OUTPUT_SYMPTOMS
from test_reference_path_defects import COVERED as PATH_COVERED
from test_reference_sdk_defects import SYMPTOMS as SDK_SYMPTOMS
from test_reference_translation_defects import SYMPTOMS as TRANSLATION_SYMPTOMS
from test_reference_upstream_failures import SYMPTOMS as FAILURE_SYMPTOMS

from aigw_conformance.mocks.reference import DEFECTS, QUIRKS, GatewaySettings, ReferenceStack
from aigw_conformance.mocks.reference.defects import CLIENT_DEFECTS, DATA_DEFECTS
from aigw_conformance.suites import sse

CHAT = {"model": "gpt-5", "messages": [{"role": "user", "content": "Why XDR?"}], "max_completion_tokens": 9}


class Probe:
    """A running stack plus the requests the symptom checks need."""

    def __init__(self, stack: ReferenceStack) -> None:
        self.stack = stack
        self.http = httpx.Client(base_url=stack.base_url, timeout=30, trust_env=False,
                                 headers={"authorization": f"Bearer {stack.token}"})

    def chat(self, **changes: Any) -> httpx.Response:
        return self.http.post("/chat/completions", json={**CHAT, **changes})

    def stream(self, *, usage: bool = False) -> tuple[httpx.Response, list[str]]:
        extra: dict[str, Any] = {"stream_options": {"include_usage": True}} if usage else {}
        reply = self.chat(stream=True, **extra)
        assert reply.status_code == 200, reply.text
        return reply, [event.data for event in sse.parse(reply.content).events]

    def chunks(self, *, usage: bool = False) -> list[dict[str, Any]]:
        return [json.loads(data) for data in self.stream(usage=usage)[1] if data != "[DONE]"]

    def upstream_json(self) -> dict[str, Any]:
        entries = httpx.get(self.stack.mock_url() + "/__mock__/journal", trust_env=False).json()["data"]
        return dict(entries[-1]["json"])

    def unauthorized(self) -> httpx.Response:
        reply = self.http.get("/models", headers={"authorization": "Bearer wrong"})
        assert reply.status_code == 401
        return reply


def _off_by_one(usage: dict[str, int]) -> bool:
    return usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"] + 1


def usage_total_off_by_one(probe: Probe) -> bool:
    whole = _off_by_one(probe.chat().json()["usage"])
    streamed = _off_by_one(probe.chunks(usage=True)[-1]["usage"])
    assert whole == streamed
    return whole


def temperature_unchecked(probe: Probe) -> bool:
    assert probe.chat(temperature=-0.5).status_code == 400  # only the maximum is lost
    accepted = probe.chat(temperature=2.5).status_code == 200
    assert not accepted or probe.upstream_json()["temperature"] == 2  # clamped before forwarding
    return accepted


def n_range_unchecked(probe: Probe) -> bool:
    low, high = probe.chat(n=0).status_code, probe.chat(n=129, max_completion_tokens=1).status_code
    assert low == high
    return low == 200


def unknown_model_500(probe: Probe) -> bool:
    retrieve, chat = probe.http.get("/models/gpt-4").status_code, probe.chat(model="gpt-4").status_code
    assert retrieve == chat and retrieve in (404, 500)
    return retrieve == 500


def finish_reason_invalid(probe: Probe) -> bool:
    whole: str = probe.chat().json()["choices"][-1]["finish_reason"]
    streamed = [c["choices"][0]["finish_reason"] for c in probe.chunks() if c["choices"][0]["finish_reason"]]
    assert (whole == "end_turn") == (streamed == ["end_turn"])
    return whole == "end_turn"


def mixed_credentials_400(probe: Probe) -> bool:
    """A valid bearer with a wrong key pair, and a wrong bearer with the valid pair: both 200 on the clean reference
    (the valid scheme authenticates, decision auth.mixed), both 400 with the defect."""
    pair = {"api-key": probe.stack.api_key, "api-secret": probe.stack.api_secret}
    statuses = {probe.http.get("/models", headers={"api-key": "wrong", "api-secret": "wrong"}).status_code,
                probe.http.get("/models", headers={"authorization": "Bearer wrong", **pair}).status_code}
    assert statuses in ({200}, {400}), statuses
    return statuses == {400}


def provider_refusals_relayed(probe: Probe) -> bool:
    """Schema-valid requests OpenAI refuses: clean, all 200 (lenient.py); with the defect, all relayed 400s."""
    orphan = [{"role": "user", "content": "hi"}, {"role": "tool", "tool_call_id": "call_x", "content": "21"}]
    statuses = {probe.chat(tool_choice="none").status_code, probe.chat(n=1.0).status_code,
                probe.chat(messages=orphan).status_code}
    assert statuses in ({200}, {400}), statuses
    return statuses == {400}


def model_missing_owned_by(probe: Probe) -> bool:
    listed = all("owned_by" not in model for model in probe.http.get("/models").json()["data"])
    assert listed == ("owned_by" not in probe.http.get("/models/gpt-5").json())
    return listed


SYMPTOMS: dict[str, Callable[[Probe], bool]] = {
    "no-done": lambda probe: probe.stream()[1][-1] != "[DONE]",
    "no-x-error-id": lambda probe: "x-error-id" not in probe.unauthorized().headers,
    "no-x-error": lambda probe: "x-error" not in probe.unauthorized().headers,
    "usage-total-off-by-one": usage_total_off_by_one,
    "unstable-chunk-id": lambda probe: len({chunk["id"] for chunk in probe.chunks()}) > 1,
    "temperature-unchecked": temperature_unchecked,
    "usage-chunk-unasked": lambda probe: any("usage" in chunk for chunk in probe.chunks(usage=False)),
    "no-role-delta": lambda probe: "role" not in probe.chunks()[0]["choices"][0]["delta"],
    "key-without-secret-accepted": lambda probe: probe.http.get(
        "/models", headers={"authorization": "", "api-key": probe.stack.api_key}).status_code == 200,
    "any-bearer-accepted": lambda probe: probe.http.get(
        "/models", headers={"authorization": "Bearer anything"}).status_code == 200,
    "secret-without-key-accepted": lambda probe: probe.http.get(
        "/models", headers={"authorization": "", "api-secret": probe.stack.api_secret}).status_code == 200,
    "mixed-credentials-400": mixed_credentials_400,
    "provider-refusals-relayed": provider_refusals_relayed,
    "plain-text-errors": lambda probe: probe.unauthorized().headers["content-type"].startswith("text/plain"),
    "wrong-chunk-object": lambda probe: probe.chunks()[0]["object"] == "chat.completion",
    "stream-as-json-content-type": lambda probe: probe.stream()[0].headers["content-type"].startswith(
        "application/json"),
    "model-missing-owned-by": model_missing_owned_by,
    "unknown-model-500": unknown_model_500,
    "created-drift": lambda probe: len({chunk["created"] for chunk in probe.chunks()}) > 1,
    "chunk-model-upstream-name": lambda probe: [c["model"] for c in probe.chunks()[:2]]
    == ["gpt-5", "gpt-5-2025-08-07"],
    "n-range-unchecked": n_range_unchecked,
    "error-envelope-flat": lambda probe: set(probe.unauthorized().json()) == {"message", "code"},
    "finish-reason-invalid": finish_reason_invalid,
}


probes = probes_fixture(Probe)


# Defects whose symptoms another module checks: the client gateway's (test_client_gateway.py), the data store's
# and the voices list's (test_store.py, test_voices.py), and those of what answers say
# (test_reference_output_defects.py), and those the openai SDK trips over (test_reference_sdk_defects.py).
ELSEWHERE = frozenset(CLIENT_DEFECTS) | frozenset(DATA_DEFECTS) | frozenset(OUTPUT_SYMPTOMS) | frozenset(SDK_SYMPTOMS)
ELSEWHERE |= frozenset(ACCESS_SYMPTOMS)  # what the gateway admits and answers carry (test_reference_access.py)
ELSEWHERE |= frozenset(MEDIA_SYMPTOMS)  # embeddings, audio, dedicated endpoints (test_reference_media_defects.py)
ELSEWHERE |= frozenset(TRANSLATION_SYMPTOMS)  # what reaches the mock providers (test_reference_translation_defects.py)
ELSEWHERE |= PATH_COVERED  # ids, the model named, buffered streams, one provider (test_reference_path_defects.py)
ELSEWHERE |= frozenset(FAILURE_SYMPTOMS)  # mid-stream failures and refusals (test_reference_upstream_failures.py)
AI_DEFECTS = sorted(set(DEFECTS) - ELSEWHERE)


def test_every_defect_has_a_symptom_check() -> None:
    assert set(SYMPTOMS) == set(AI_DEFECTS)
    assert len(AI_DEFECTS) == 23 and all(DEFECTS.values())


@pytest.mark.parametrize("defect", AI_DEFECTS)
def test_the_defect_shows_its_symptom(probes: Callable[[str | None], Probe], defect: str) -> None:
    assert SYMPTOMS[defect](probes(defect)) is True


@pytest.mark.parametrize("defect", AI_DEFECTS)
def test_the_clean_reference_does_not(probes: Callable[[str | None], Probe], defect: str) -> None:
    assert SYMPTOMS[defect](probes(None)) is False


def test_defects_leave_the_rest_alone(probes: Callable[[str | None], Probe]) -> None:
    probe = probes("no-done")
    assert "x-error-id" in probe.unauthorized().headers
    assert probe.chunks()[0]["object"] == "chat.completion.chunk"


def test_plain_text_errors_keep_the_headers(probes: Callable[[str | None], Probe]) -> None:
    reply = probes("plain-text-errors").unauthorized()
    assert reply.text == reply.headers["x-error"] and reply.headers["x-error-id"].startswith("err_")


@pytest.mark.parametrize("kind", ["defects", "quirks"])
def test_unknown_names_are_rejected_listing_the_valid_ones(kind: str) -> None:
    valid = DEFECTS if kind == "defects" else QUIRKS
    with pytest.raises(ValueError, match="no-such-thing") as caught:
        GatewaySettings(**{kind: frozenset({"no-such-thing"})})  # type: ignore[arg-type]
    assert all(name in str(caught.value) for name in valid)
    with pytest.raises(ValueError):
        ReferenceStack(**{kind: ["no-such-thing"]})  # type: ignore[arg-type]


def test_several_defects_combine() -> None:
    with ReferenceStack(defects=["no-x-error", "no-x-error-id"]) as stack:
        reply = httpx.get(stack.base_url + "/models", trust_env=False)
        assert reply.status_code == 401
        assert "x-error" not in reply.headers and "x-error-id" not in reply.headers
