"""A provider failing mid-stream or declining, on every provider's path: what the reference's caller sees, the two
defects that hide it (each shows its symptom; the clean reference does not), and the checks that catch them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from symptoms import probes_fixture, symptom_tests

from aigw_conformance.cli import main
from aigw_conformance.mocks.core import faults
from aigw_conformance.mocks.reference import ReferenceStack
from aigw_conformance.suites import sse

OPENAI_FORMAT, WORDLESS = ("gpt-5", "gpt-oss-20b"), ("gemini-3-flash", "claude-haiku-4-5")
MID_STREAM = {"disconnect": {faults.DISCONNECT_AFTER: "5"}, "malformed": {faults.MALFORMED_AFTER: "5"},
              "stall": {faults.STALL_AFTER: "5", faults.STALL_MS: "300"}}


def _chat(model: str, **changes: Any) -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": "Explain XDR"}], "max_completion_tokens": 48,
            **changes}


def _events(reply: httpx.Response) -> list[Any]:
    parsed = sse.parse(reply.content)
    assert parsed.problems == [], parsed.problems
    return [event.data if event.data == "[DONE]" else json.loads(event.data) for event in parsed.events]


@pytest.mark.parametrize("fault", sorted(MID_STREAM))
@pytest.mark.parametrize("model", OPENAI_FORMAT + WORDLESS)
def test_a_mid_stream_failure_ends_with_an_error_event_and_no_done(client: httpx.Client, model: str,
                                                                   fault: str) -> None:
    reply = client.post("/chat/completions", json=_chat(model, stream=True), headers=MID_STREAM[fault])
    assert reply.status_code == 200
    events = _events(reply)
    assert "[DONE]" not in events and events[-1]["error"]["code"] == "provider_error", events[-3:]
    assert any(choice["delta"].get("content") for e in events[:-1] for choice in e["choices"])  # cut mid-answer


@pytest.mark.parametrize("model", OPENAI_FORMAT + WORDLESS)
def test_a_refusal_reaches_the_caller_whole_and_streamed(client: httpx.Client, model: str) -> None:
    refused = {faults.REFUSAL: "1"}
    choice = client.post("/chat/completions", json=_chat(model), headers=refused).json()["choices"][0]
    events = _events(client.post("/chat/completions", json=_chat(model, stream=True), headers=refused))
    assert events[-1] == "[DONE]"
    deltas = [c["delta"] for e in events[:-1] for c in e["choices"]]
    finishes = [c["finish_reason"] for e in events[:-1] for c in e["choices"] if c["finish_reason"]]
    streamed = "".join(delta.get("refusal") or "" for delta in deltas)
    if model in OPENAI_FORMAT:  # OpenAI's own shape, relayed: the refusal text, content null, finish stop
        assert (choice["message"]["refusal"], choice["message"]["content"], choice["finish_reason"]) == (
            faults.REFUSAL_TEXT, None, "stop")
        assert (streamed, finishes) == (faults.REFUSAL_TEXT, ["stop"])
    else:  # Anthropic's refusal stop and Gemini's blocked prompt carry no words: content_filter (000)
        assert (choice["message"]["content"], choice["finish_reason"]) == ("", "content_filter")
        assert (streamed, finishes) == ("", ["content_filter"])
    assert not any(delta.get("content") for delta in deltas)


def test_the_client_gateway_shows_the_failure_and_relays_the_refusal(stack: ReferenceStack) -> None:
    headers = {"authorization": f"Bearer {stack.client_token}"}
    body = {"model": "gpt-4", "messages": [{"role": "user", "content": "Explain XDR"}], "max_tokens": 40}
    with httpx.Client(base_url=stack.client_base_url, headers=headers, timeout=30, trust_env=False) as http:
        events = _events(http.post("/chat/completions", json={**body, "stream": True}, headers=MID_STREAM["malformed"]))
        assert "[DONE]" not in events and events[-1]["error"]["code"] == "provider_error", events[-2:]
        refused = http.post("/chat/completions", json=body, headers={faults.REFUSAL: "1"}).json()["choices"][0]
    assert (refused["message"]["refusal"], refused["finish_reason"]) == (faults.REFUSAL_TEXT, "stop")


class Probe:
    def __init__(self, stack: ReferenceStack) -> None:
        self.http = httpx.Client(base_url=stack.base_url, timeout=30, trust_env=False,
                                 headers={"authorization": f"Bearer {stack.token}"})


def _failure_swallowed(probe: Probe) -> bool:
    """Every path's cut stream ends as a whole one (a stop finish, then [DONE]), with no error event."""
    ends = []
    for model in OPENAI_FORMAT + WORDLESS:
        reply = probe.http.post("/chat/completions", json=_chat(model, stream=True), headers=MID_STREAM["disconnect"])
        events = _events(reply)
        ends.append(events[-1] == "[DONE]" and events[-2]["choices"][0]["finish_reason"] == "stop"
                    and not any("error" in e for e in events[:-1]))
    assert len(set(ends)) == 1, ends
    return ends[0]


def _refusal_lost(probe: Probe) -> bool:
    """Every path's refusal arrives as an empty answer ending `stop`, without `refusal` text."""
    lost = []
    for model in OPENAI_FORMAT + WORDLESS:
        reply = probe.http.post("/chat/completions", json=_chat(model), headers={faults.REFUSAL: "1"})
        choice = reply.json()["choices"][0]
        lost.append(not choice["message"].get("refusal") and choice["finish_reason"] == "stop")
    assert len(set(lost)) == 1, lost
    return lost[0]


SYMPTOMS: dict[str, Callable[[Probe], bool]] = {
    "stream-failure-swallowed": _failure_swallowed,
    "refusal-as-empty-stop": _refusal_lost,
}

probes = probes_fixture(Probe)
test_the_defect_shows_its_symptom, test_the_clean_reference_does_not = symptom_tests(SYMPTOMS)

CAUGHT_BY = {"stream-failure-swallowed": "sse.upstream_failure_visible",
             "refusal-as-empty-stop": "translation.refusal_relayed"}


def _failed_checks(tmp_path: Path, *switches: str) -> dict[str, set[str]]:
    """Run the two tests against the reference (with `switches`): each check that failed → the models it failed on."""
    main(["check", "--quiet", *switches, "--test", "provider_path.stream_failure", "--test", "translation.refusal",
          "--report-dir", str(tmp_path)])
    report = json.loads((tmp_path / "report.json").read_text())
    assert {r["id"]: r["outcome"] != "skipped" for r in report["results"]} == {
        "provider_path.stream_failure": True, "translation.refusal": True}
    failed: dict[str, set[str]] = {}
    for result in report["results"]:
        for failure in result["failures"]:
            models = {m for m in OPENAI_FORMAT + WORDLESS if f"model {m}," in failure["message"]}
            failed.setdefault(failure["check"], set()).update(models)
    return failed


@pytest.mark.parametrize("defect", sorted(CAUGHT_BY))
def test_each_check_catches_its_defect_on_every_provider_path(tmp_path: Path, defect: str) -> None:
    assert _failed_checks(tmp_path, "--defect", defect) == {CAUGHT_BY[defect]: set(OPENAI_FORMAT + WORDLESS)}


def test_the_clean_reference_passes_both(tmp_path: Path) -> None:
    assert _failed_checks(tmp_path) == {}
