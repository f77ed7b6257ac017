"""Every mock provider has the same control surface: run-wide faults, the journal and reset."""

from __future__ import annotations

import httpx
import pytest

from aigw_conformance.mocks import registry
from aigw_conformance.mocks.core.server import ServerThread

# One cheap authenticated request per provider, in its native wire format.
PROBES: dict[str, tuple[str, dict[str, str], dict[str, object]]] = {
    "openai": ("/v1/chat/completions", {"authorization": "Bearer k"},
               {"model": "gpt-5", "messages": [{"role": "user", "content": "hi"}]}),
    "selfhosted": ("/v1/chat/completions", {},
                   {"model": "qwen3-32b", "messages": [{"role": "user", "content": "hi"}]}),
    "anthropic": ("/v1/messages", {"x-api-key": "k"},
                  {"model": "claude-haiku-4-5", "max_tokens": 16, "messages": [{"role": "user", "content": "hi"}]}),
    "gemini": ("/v1beta/models/gemini-3-flash:generateContent", {"x-goog-api-key": "k"},
               {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}),
}


def test_every_provider_loads() -> None:
    providers, missing = registry.survey()
    assert missing == {}
    assert [p.name for p in providers] == list(registry.PROVIDERS)


@pytest.mark.parametrize("name", registry.PROVIDERS)
def test_a_run_wide_fault_applies_the_given_times_in_the_native_shape(name: str) -> None:
    path, headers, body = PROBES[name]
    with ServerThread(registry.load(name).create_app(), name=name) as server, httpx.Client(
            base_url=server.base_url, timeout=10) as client:
        assert client.post(path, headers=headers, json=body).status_code == 200
        rule = client.post("/__mock__/faults", json={"faults": [{"kind": "status", "status": 503}], "times": 2})
        assert rule.status_code == 201, rule.text
        failed = [client.post(path, headers=headers, json=body) for _ in range(2)]
        assert [reply.status_code for reply in failed] == [503, 503]
        assert all(reply.headers["content-type"].startswith("application/json") for reply in failed)
        assert client.post(path, headers=headers, json=body).status_code == 200  # the rule is used up
        journal = client.get("/__mock__/journal").json()["data"]
        assert [entry["path"] for entry in journal][-4:] == [path.split("?")[0]] * 4
        assert journal[-1]["json"] == body
        assert client.post("/__mock__/reset").json()["reset"] is True
        assert client.get("/__mock__/journal").json()["data"] == []
