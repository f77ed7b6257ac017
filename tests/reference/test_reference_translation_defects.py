"""The reference's translation defects (what reaches the mock providers) show their symptoms; the clean one does not."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx
from symptoms import probes_fixture, symptom_tests

from aigw_conformance.mocks.core import faults
from aigw_conformance.mocks.reference import ReferenceStack

GEMINI, CLAUDE, SELFHOSTED = "gemini-3-flash", "claude-haiku-4-5", "gpt-oss-20b"
GEMINI_MAX_OUTPUT, GPT5_MAX_OUTPUT = 65_536, 128_000  # the catalogue's max_completion_tokens of those models


class Probe:
    def __init__(self, stack: ReferenceStack) -> None:
        self.stack = stack
        self.http = httpx.Client(base_url=stack.base_url, timeout=30, trust_env=False,
                                 headers={"authorization": f"Bearer {stack.token}"})

    def chat(self, model: str = "gpt-5", headers: dict[str, str] | None = None,
             **changes: Any) -> tuple[httpx.Response, str]:
        """A chat request (a change to None leaves the field out): the reply, and the marker its user message held."""
        marker = f"aigw-{uuid.uuid4().hex}"
        body = {"model": model, "messages": [{"role": "user", "content": f"Why XDR? {marker}"}],
                "max_completion_tokens": 9, **changes}
        reply = self.http.post("/chat/completions", json={k: v for k, v in body.items() if v is not None},
                               headers=headers)
        return reply, marker

    def received(self, provider: str, marker: str) -> list[dict[str, Any]]:
        """The bodies of the requests `provider`'s mock received carrying `marker`, oldest first."""
        entries = httpx.get(self.stack.mock_url(provider) + "/__mock__/journal", params={"contains": marker},
                            trust_env=False).json()["data"]
        return [dict(entry["json"]) for entry in entries]

    def sent(self, provider: str, model: str = "gpt-5", **changes: Any) -> dict[str, Any]:
        """What `provider`'s mock received for a chat request (which must succeed)."""
        reply, marker = self.chat(model, **changes)
        assert reply.status_code == 200, reply.text
        bodies = self.received(provider, marker)
        assert len(bodies) == 1, bodies
        return bodies[0]


def _routed_to_openai(probe: Probe) -> bool:
    _, marker = probe.chat(SELFHOSTED)  # the OpenAI mock may refuse the self-hosted name
    to_openai, to_selfhosted = bool(probe.received("openai", marker)), bool(probe.received("threatwinds", marker))
    assert to_openai != to_selfhosted
    return to_openai


def _5xx_as_400(probe: Probe) -> bool:
    status = probe.chat(headers={faults.STATUS: "500"})[0].status_code
    assert status in (400, 500)
    return status == 400


def _content_filter_as_stop(probe: Probe) -> bool:
    reply = probe.chat(headers={faults.CONTENT_FILTER: "1"})[0]
    assert reply.status_code == 200, reply.text
    reason = reply.json()["choices"][0]["finish_reason"]
    assert reason in ("stop", "content_filter")
    return bool(reason == "stop")


def _budget_of_model_max(probe: Probe) -> bool:
    config = probe.sent("gemini", GEMINI, reasoning_effort="low", max_completion_tokens=8000)["generationConfig"]
    budget = config["thinkingConfig"]["thinkingBudget"]
    assert budget in (8000 // 4, GEMINI_MAX_OUTPUT // 4)
    return bool(budget == GEMINI_MAX_OUTPUT // 4)


def _temperature_scaled(probe: Probe) -> bool:
    temperature = probe.sent("claude", CLAUDE, temperature=0.7)["temperature"]
    assert temperature in (0.35, 0.7)
    return bool(temperature == 0.35)


def _default_max_tokens_full(probe: Probe) -> bool:
    limit = probe.sent("openai", max_completion_tokens=None)["max_completion_tokens"]
    assert limit in (GPT5_MAX_OUTPUT // 2, GPT5_MAX_OUTPUT)
    return bool(limit == GPT5_MAX_OUTPUT)


EXTRAS = {"top_k": 5, "min_p": 0.1, "repetition_penalty": 1.1}
SYMPTOMS: dict[str, Callable[[Probe], bool]] = {
    "xlate-gemini-seed-forwarded": lambda probe: "seed" in probe.sent("gemini", GEMINI, seed=7)["generationConfig"],
    "xlate-selfhosted-extras-dropped": lambda probe: not set(EXTRAS) & set(
        probe.sent("threatwinds", SELFHOSTED, **EXTRAS)),
    "xlate-claude-temperature-scaled": _temperature_scaled,
    "xlate-thinking-budget-of-model-max": _budget_of_model_max,
    "xlate-reasoning-default-medium": lambda probe: probe.sent("openai").get("reasoning_effort") == "medium",
    "xlate-service-tier-dropped": lambda probe: "service_tier" not in probe.sent("openai", service_tier="flex"),
    "xlate-default-max-tokens-full": _default_max_tokens_full,
    "xlate-selfhosted-routed-to-openai": _routed_to_openai,
    "xlate-upstream-5xx-as-400": _5xx_as_400,
    "xlate-content-filter-as-stop": _content_filter_as_stop,
}


probes = probes_fixture(Probe)
test_the_defect_shows_its_symptom, test_the_clean_reference_does_not = symptom_tests(SYMPTOMS)
