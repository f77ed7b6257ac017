"""The reference's 403s, provider 404, logprobs, reasoning text and parallel tool calls, and the defects that
break them (each shows its symptom; the clean reference does not)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
from symptoms import probes_fixture, symptom_tests

from aigw_conformance.mocks.reference import ReferenceStack
from aigw_conformance.suites import sse
from conftest import ErrorCheck

CHAT = {"model": "gpt-5", "messages": [{"role": "user", "content": "Why XDR?"}], "max_completion_tokens": 9}
TOOLS = [{"type": "function", "function": {"name": name, "parameters": {"type": "object", "properties": {}}}}
         for name in ("vulnerability_scan", "block_ip")]
BOTH = [{"role": "user", "content": "Run vulnerability_scan and block_ip"}]
REPLAYED = [{"role": "user", "content": "Design it"}, {"role": "assistant", "content": "Done.", "reasoning": "Hm."},
            {"role": "user", "content": "Why?"}]
PROVIDER_MODEL = "no-such-provider/gpt-5"


def _bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def test_a_credential_without_ai_access_gets_403(client: httpx.Client, check_error: ErrorCheck) -> None:
    for method, path, body in (("GET", "/models", None), ("GET", "/models/gpt-5", None),
                               ("POST", "/chat/completions", CHAT)):
        reply = client.request(method, path, json=body, headers=_bearer("dev-token-no-ai"))
        check_error(reply, 403, code="insufficient_permissions")


def test_a_model_outside_the_allowlist_gets_403(client: httpx.Client, check_error: ErrorCheck) -> None:
    headers = _bearer("dev-token-mini")
    assert client.post("/chat/completions", json={**CHAT, "model": "gpt-5-mini"}, headers=headers).status_code == 200
    check_error(client.post("/chat/completions", json=CHAT, headers=headers), 403, code="model_not_allowed",
                param="model")
    assert client.get("/models", headers=headers).status_code == 200


def test_an_unknown_provider_gives_404(client: httpx.Client, check_error: ErrorCheck) -> None:
    check_error(client.get(f"/models/{PROVIDER_MODEL}"), 404, code="model_not_found")
    check_error(client.post("/chat/completions", json={**CHAT, "model": PROVIDER_MODEL}), 404, code="model_not_found")


def test_answers_carry_what_was_asked(client: httpx.Client) -> None:
    asked = client.post("/chat/completions", json={**CHAT, "logprobs": True, "top_logprobs": 2}).json()
    entries = asked["choices"][0]["logprobs"]["content"]
    assert entries and all(len(entry["top_logprobs"]) == 2 and entry["logprob"] <= 0 for entry in entries)
    assert client.post("/chat/completions", json=CHAT).json()["choices"][0]["logprobs"] is None
    single = client.post("/chat/completions", json={**CHAT, "messages": BOTH, "tools": TOOLS,
                                                    "parallel_tool_calls": False}).json()
    assert len(single["choices"][0]["message"]["tool_calls"]) == 1
    thought = client.post("/chat/completions", json={**CHAT, "model": "gpt-oss-20b", "reasoning_effort": "low",
                                                     "max_completion_tokens": 64}).json()
    assert thought["choices"][0]["message"]["reasoning"]
    assert client.post("/chat/completions", json={**CHAT, "messages": REPLAYED}).status_code == 200


class Probe:
    def __init__(self, stack: ReferenceStack) -> None:
        self.stack = stack
        self.http = httpx.Client(base_url=stack.base_url, timeout=30, trust_env=False, headers=_bearer(stack.token))

    def chat(self, **changes: Any) -> httpx.Response:
        return self.http.post("/chat/completions", json={**CHAT, **changes})

    def first(self, **changes: Any) -> dict[str, Any]:
        reply = self.chat(**changes)
        assert reply.status_code == 200, reply.text
        choice: dict[str, Any] = reply.json()["choices"][0]
        return choice

    def streamed_deltas(self, **changes: Any) -> list[dict[str, Any]]:
        events = [event.data for event in sse.parse(self.chat(stream=True, **changes).content).events]
        return [choice["delta"] for data in events if data != "[DONE]"
                for choice in json.loads(data)["choices"]]


THINK = {"model": "gpt-oss-20b", "reasoning_effort": "low", "max_completion_tokens": 64}
SYMPTOMS: dict[str, Callable[[Probe], bool]] = {
    "content-type-ignored": lambda probe: probe.http.post(
        "/chat/completions", content=json.dumps(CHAT), headers={"content-type": "text/plain"}).status_code == 200,
    "forbidden-as-401": lambda probe: probe.http.get("/models", headers=_bearer("dev-token-no-ai")).status_code == 401,
    "model-allowlist-ignored": lambda probe: probe.http.post(
        "/chat/completions", json=CHAT, headers=_bearer("dev-token-mini")).status_code == 200,
    "unknown-provider-500": lambda probe: probe.http.get(f"/models/{PROVIDER_MODEL}").status_code == 500,
    "capabilities-overstated": lambda probe: "chat" in probe.http.get(
        "/models/text-embedding-3-small").json()["capabilities"],
    "parallel-tool-calls-dropped": lambda probe: len(probe.first(
        messages=BOTH, tools=TOOLS, parallel_tool_calls=False)["message"]["tool_calls"]) > 1,
    "logprobs-top-k-ignored": lambda probe: probe.first(logprobs=True, top_logprobs=2)[
        "logprobs"]["content"][0]["top_logprobs"] == [],
    "logprobs-when-not-asked": lambda probe: probe.first()["logprobs"] is not None,
    "reasoning-text-dropped": lambda probe: "reasoning" not in probe.first(**THINK)["message"],
    "stream-reasoning-in-content": lambda probe: not any("reasoning" in delta
                                                         for delta in probe.streamed_deltas(**THINK)),
    "assistant-reasoning-refused": lambda probe: probe.chat(messages=REPLAYED).status_code == 400,
}


probes = probes_fixture(Probe)
test_the_defect_shows_its_symptom, test_the_clean_reference_does_not = symptom_tests(SYMPTOMS)
