"""Each defect of what answers say (n, stop, limits, seed, tools, JSON, reasoning, images, counts, translation)
shows its symptom on the reference, and the clean reference does not."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
from symptoms import probes_fixture, symptom_tests

from aigw_conformance.mocks.reference import DEFECTS, ReferenceStack
from aigw_conformance.suites import sse

QUESTION = [{"role": "user", "content": "Explain the MITRE ATT&CK framework"}]
TOOL = {"type": "function", "function": {"name": "vulnerability_scan", "parameters": {
    "type": "object", "properties": {"domain": {"type": "string"}}, "required": ["domain"]}}}
NAMED = {"type": "function", "function": {"name": "vulnerability_scan"}}
PNG = ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJR"
       "U5ErkJggg==")


class Probe:
    """A running stack plus the requests the symptoms need."""

    def __init__(self, stack: ReferenceStack) -> None:
        self.stack = stack
        self.http = httpx.Client(base_url=stack.base_url, timeout=30, trust_env=False,
                                 headers={"authorization": f"Bearer {stack.token}"})

    def chat(self, model: str = "gpt-5", **fields: Any) -> dict[str, Any]:
        body = {"model": model, "messages": QUESTION, "max_completion_tokens": 48, **fields}
        reply = self.http.post("/chat/completions", json={k: v for k, v in body.items() if v is not None})
        assert reply.status_code == 200, reply.text
        return dict(reply.json())

    def chunks(self, model: str = "gpt-5", **fields: Any) -> list[dict[str, Any]]:
        body = {"model": model, "messages": QUESTION, "max_completion_tokens": 48, "stream": True, **fields}
        reply = self.http.post("/chat/completions", json=body)
        assert reply.status_code == 200, reply.text
        return [json.loads(e.data) for e in sse.parse(reply.content).events if e.data != "[DONE]"]

    def sent_upstream(self, provider: str = "openai") -> dict[str, Any]:
        """The JSON body the provider's mock received last."""
        entries = httpx.get(self.stack.mock_url(provider) + "/__mock__/journal", trust_env=False).json()["data"]
        return dict(entries[-1]["json"])


def _tool_deltas(chunks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [call for chunk in chunks for choice in chunk["choices"] for call in choice["delta"].get("tool_calls") or []]


def _stop_ignored(probe: Probe) -> bool:
    word = probe.chat()["choices"][0]["message"]["content"].split()[3]
    return word in probe.chat(stop=[word])["choices"][0]["message"]["content"]


def _length_as_stop(probe: Probe) -> bool:
    answer = probe.chat(max_completion_tokens=3)
    assert answer["usage"]["completion_tokens"] == 3
    return bool(answer["choices"][0]["finish_reason"] == "stop")


def _limit_ignored(probe: Probe) -> bool:
    assert probe.chat(max_completion_tokens=None, max_tokens=3)["usage"]["completion_tokens"] == 3  # the alias holds
    return bool(probe.chat(max_completion_tokens=3)["usage"]["completion_tokens"] > 3)


def _seed_salted(probe: Probe) -> bool:
    first, again = (probe.chat(seed=5)["choices"][0]["message"]["content"] for _ in range(2))
    return bool(first != again)


def _repeats_name(probe: Probe) -> bool:
    later = _tool_deltas(probe.chunks(tools=[TOOL], tool_choice="required"))[1:]
    return all(call.get("function", {}).get("name") == "vulnerability_scan" and call.get("id") for call in later)


def _delta_nulls(probe: Probe) -> bool:
    later = _tool_deltas(probe.chunks(tools=[TOOL], tool_choice="required"))[1:]
    return bool(later) and all("id" in call and call["id"] is None and call["function"]["name"] is None
                               for call in later)


def _args_not_json(probe: Probe) -> bool:
    whole = probe.chat("gemini-3-flash", tools=[TOOL], tool_choice=NAMED)["choices"][0]["message"]["tool_calls"]
    streamed = "".join(c["function"].get("arguments", "")
                       for c in _tool_deltas(probe.chunks("gemini-3-flash", tools=[TOOL], tool_choice=NAMED)))
    broken = []
    for text in (whole[0]["function"]["arguments"], streamed):
        try:
            json.loads(text)
            broken.append(False)
        except ValueError:
            broken.append(True)
    assert broken[0] == broken[1]
    return broken[0]


def _calls_finish_stop(probe: Probe) -> bool:
    choice = probe.chat("gemini-3-flash", tools=[TOOL], tool_choice=NAMED)["choices"][0]
    assert choice["message"]["tool_calls"]
    return bool(choice["finish_reason"] == "stop")


def _call_id_missing(probe: Probe) -> bool:
    whole = probe.chat("gemini-3-flash", tools=[TOOL], tool_choice=NAMED)["choices"][0]["message"]["tool_calls"][0]
    first = _tool_deltas(probe.chunks("gemini-3-flash", tools=[TOOL], tool_choice=NAMED))[0]
    assert ("id" in whole) == ("id" in first)
    return "id" not in first


def _result_id_dropped(probe: Probe) -> bool:
    call = {"id": "call_1", "type": "function", "function": {"name": "vulnerability_scan", "arguments": "{}"}}
    history = [*QUESTION, {"role": "assistant", "content": "", "tool_calls": [call]},
               {"role": "tool", "tool_call_id": "call_1", "content": "no findings"}]
    probe.chat(messages=history, tools=[TOOL])
    dropped = "tool_call_id" not in probe.sent_upstream()["messages"][-1]
    gemini = probe.http.post("/chat/completions", json={"model": "gemini-3-flash", "messages": history,
                                                        "tools": [TOOL]})
    assert (gemini.status_code == 400) == dropped
    return dropped


def _format_dropped(probe: Probe) -> bool:
    content = probe.chat(response_format={"type": "json_object"}, messages=[
        {"role": "user", "content": "Describe Log4Shell as JSON"}])["choices"][0]["message"]["content"]
    dropped = "response_format" not in probe.sent_upstream()
    try:
        json.loads(content)
    except ValueError:
        return dropped
    assert not dropped
    return False


def _reasoning_missing(probe: Probe) -> bool:
    whole = probe.chat(reasoning_effort="low")["usage"]
    streamed = probe.chunks(reasoning_effort="low", stream_options={"include_usage": True})[-1]["usage"]
    assert ("completion_tokens_details" in whole) == ("completion_tokens_details" in streamed)
    return "completion_tokens_details" not in whole


def _image_dropped(probe: Probe) -> bool:
    parts = [{"type": "text", "text": "What is in this network diagram?"},
             {"type": "image_url", "image_url": {"url": PNG}}]
    probe.chat(messages=[{"role": "user", "content": parts}])
    return bool(probe.sent_upstream()["messages"][0]["content"] == "What is in this network diagram?")


def _count_off_by_one(probe: Probe) -> bool:
    counted = probe.http.post("/chat/count", json={"model": "gpt-5", "messages": QUESTION}).json()["prompt_tokens"]
    return bool(counted == probe.chat()["usage"]["prompt_tokens"] + 1)


def _claude_no_max_tokens(probe: Probe) -> bool:
    reply = probe.http.post("/chat/completions", json={"model": "claude-haiku-4-5", "messages": QUESTION})
    assert reply.status_code in (200, 400), reply.text
    return reply.status_code == 400


def _claude_args_object(probe: Probe) -> bool:
    call = probe.chat("claude-haiku-4-5", tools=[TOOL], tool_choice=NAMED)["choices"][0]["message"]["tool_calls"][0]
    return isinstance(call["function"]["arguments"], dict)


def _budget_unscaled(probe: Probe) -> bool:
    probe.chat("gemini-3-flash", reasoning_effort="low", max_completion_tokens=200)
    budget = probe.sent_upstream("gemini")["generationConfig"]["thinkingConfig"]["thinkingBudget"]
    assert budget in (50, 100)  # 25% of 200, or the defect's 50% for every level
    return bool(budget == 100)


SYMPTOMS: dict[str, Callable[[Probe], bool]] = {
    "n-ignored": lambda probe: len(probe.chat(n=2)["choices"]) == 1
    and {c["choices"][0]["index"] for c in probe.chunks(n=2) if c["choices"]} == {0},
    "stop-ignored": _stop_ignored,
    "length-reported-as-stop": _length_as_stop,
    "max-completion-tokens-ignored": _limit_ignored,
    "seed-not-deterministic": _seed_salted,
    "tool-call-delta-repeats-name": _repeats_name,
    "tool-call-delta-nulls": _delta_nulls,
    "tool-args-invalid-json": _args_not_json,
    "tool-calls-finish-stop": _calls_finish_stop,
    "tool-call-id-missing": _call_id_missing,
    "tool-result-id-dropped": _result_id_dropped,
    "response-format-dropped": _format_dropped,
    "reasoning-tokens-missing": _reasoning_missing,
    "image-part-dropped": _image_dropped,
    "count-off-by-one": _count_off_by_one,
    "xlate-claude-no-max-tokens": _claude_no_max_tokens,
    "xlate-gemini-finish-reason-raw": lambda probe: probe.chat("gemini-3-flash", max_completion_tokens=3)[
        "choices"][0]["finish_reason"] == "MAX_TOKENS",
    "xlate-claude-tool-args-object": _claude_args_object,
    "xlate-reasoning-budget-wrong": _budget_unscaled,
    "xlate-count-claude-accepted": lambda probe: probe.http.post(
        "/chat/count", json={"model": "claude-haiku-4-5", "messages": QUESTION}).status_code == 200,
}


probes = probes_fixture(Probe)


def test_every_symptom_names_a_defect_the_self_test_runs() -> None:
    assert set(SYMPTOMS) <= set(DEFECTS)


test_the_defect_shows_its_symptom, test_the_clean_reference_does_not = symptom_tests(SYMPTOMS)
