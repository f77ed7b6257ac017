"""`aigw serve` honours the test hooks (`x-mock-*` forwarding, the output-PII hook) only with `--test-hooks`, so no
client can fail a provider and open its breaker for everyone; the mocks' `/__mock__/*` control is not on the
gateway's port. Real `aigw serve` subprocesses on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from served import Served, kill, serve

AI = {"authorization": "Bearer dev-token"}
CLIENT = {"authorization": "Bearer cgt_dev-token"}
CHAT = {"model": "gpt-4", "messages": [{"role": "user", "content": "What is XDR?"}], "max_tokens": 12}  # 002's
AI_CHAT = {**CHAT, "model": "gpt-5-mini"}
FAIL = {"x-mock-status": "500"}
BREAKER_THRESHOLD = 5  # GatewaySettings' default: consecutive provider failures that open a breaker


@pytest.fixture(scope="module")
def default() -> Iterator[Served]:
    served = serve()
    try:
        yield served
    finally:
        kill(served.process)


def _client_base(served: Served) -> str:
    return served.printed("client gateway")


def test_without_test_hooks_a_client_cannot_fail_the_provider(default: Served) -> None:
    assert default.printed("test hooks") == "off"
    with httpx.Client(timeout=30, trust_env=False) as http:
        ai = http.post(default.base_url + "/chat/completions", json=AI_CHAT, headers={**AI, **FAIL})
        assert ai.status_code == 200, ai.text
        client_url = _client_base(default) + "/chat/completions"
        answers = [http.post(client_url, json=CHAT, headers={**CLIENT, **FAIL}).status_code
                   for _ in range(BREAKER_THRESHOLD + 1)]
        assert answers == [200] * (BREAKER_THRESHOLD + 1)  # never forwarded: no failure, so no open breaker
        assert http.post(client_url, json=CHAT, headers=CLIENT).status_code == 200


def test_without_test_hooks_the_output_pii_hook_is_ignored(default: Served) -> None:
    with httpx.Client(timeout=30, trust_env=False) as http:
        reply = http.post(_client_base(default) + "/chat/completions", json={**CHAT, "stream": True},
                          headers={**CLIENT, "x-aigw-test-output-pii": "email"})
    assert reply.status_code == 200 and "@" not in reply.text and "content_filter" not in reply.text, reply.text


def test_mock_control_is_not_on_the_gateway_port(default: Served) -> None:
    mock = default.printed("mock provider")
    assert "unauthenticated test control" in next(line for line in default.lines if line.startswith("mock provider"))
    gateway = default.base_url.removesuffix("/api/ai/v1")
    assert httpx.get(mock + "/__mock__/journal", trust_env=False).status_code == 200  # on the mocks' own port
    with httpx.Client(timeout=30, trust_env=False) as http:
        for root in (gateway, default.base_url, _client_base(default)):
            assert http.get(root + "/__mock__/journal").status_code == 404, root
            assert http.post(root + "/__mock__/faults", json={"kind": "status", "status": 500}).status_code in (
                401, 404, 405), root
            assert http.post(root + "/__mock__/reset").status_code in (401, 404, 405), root
        assert http.post(default.base_url + "/chat/completions", json=AI_CHAT, headers=AI).status_code == 200


def test_with_test_hooks_the_headers_reach_the_mocks() -> None:
    served = serve("--test-hooks")
    try:
        assert served.printed("test hooks") == "on"
        with httpx.Client(timeout=30, trust_env=False) as http:
            reply = http.post(served.base_url + "/chat/completions", json=AI_CHAT, headers={**AI, **FAIL})
            assert reply.status_code == 500 and reply.json()["error"]["type"] == "provider_error", reply.text
            pii = http.post(_client_base(served) + "/chat/completions", json={**CHAT, "stream": True},
                            headers={**CLIENT, "x-aigw-test-output-pii": "email"})
            assert "content_filter" in pii.text, pii.text
    finally:
        kill(served.process)
