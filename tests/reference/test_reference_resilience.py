"""The reference under failing providers: mid-stream failures open the breaker, a provider's Retry-After reaches the
caller, and the resilience defects (`aigw load chaos` catches them under load; here each shows its symptom)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from aigw_conformance.mocks.core.server import ServerThread
from aigw_conformance.mocks.reference import GatewaySettings, ReferenceStack, create_app
from aigw_conformance.mocks.reference.client.breaker import Breakers, is_error_event
from aigw_conformance.mocks.reference.client.errors import ClientError
from aigw_conformance.mocks.reference.client.routes import RETRY_STORM_ATTEMPTS
from aigw_conformance.mocks.reference.defects import CHAOS_CATCHES, RESILIENCE_DEFECTS

CLIENT = "/api/client/v1"
CHAT = {"model": "gpt-4", "messages": [{"role": "user", "content": "What is XDR?"}], "max_tokens": 12}
CUT = {"kind": "disconnect", "after": 3}
RATE_LIMITED = {"kind": "status", "status": 429, "retry_after": 7}


@contextmanager
def fault(stack: ReferenceStack, spec: dict[str, Any]) -> Iterator[None]:
    """`spec` as a fault rule on the OpenAI mock's chat requests (its control endpoint), removed on leaving."""
    root = stack.mock_url("openai") + "/__mock__"
    with httpx.Client(trust_env=False, timeout=10) as http:
        assert http.post(f"{root}/faults", json={**spec, "path": "*/chat/completions"}).status_code == 201
        try:
            yield
        finally:
            http.delete(f"{root}/faults").raise_for_status()


def upstream_count(stack: ReferenceStack) -> int:
    with httpx.Client(trust_env=False, timeout=10) as http:
        return len(http.get(stack.mock_url("openai") + "/__mock__/journal").json()["data"])


@contextmanager
def client_gateway(stack: ReferenceStack, **overrides: Any) -> Iterator[httpx.Client]:
    settings = GatewaySettings(upstreams=stack.settings.upstreams, **overrides)
    headers = {"authorization": f"Bearer {settings.client_tokens[0]}"}
    with ServerThread(create_app(settings), name="client-gateway") as server, \
            httpx.Client(base_url=server.base_url + CLIENT, headers=headers, timeout=30, trust_env=False) as http:
        yield http


def stream_statuses(http: httpx.Client, count: int) -> list[tuple[int, bool]]:
    """(status, whether the body carried an error event) of `count` streamed requests."""
    out = []
    for _ in range(count):
        reply = http.post("/chat/completions", json={**CHAT, "stream": True})
        out.append((reply.status_code, '"error"' in reply.text and "[DONE]" not in reply.text))
    return out


def test_mid_stream_failures_open_the_breaker(stack: ReferenceStack) -> None:
    """Two streams cut mid-answer (each a 200 ending in an error event) open a breaker of threshold 2: the third
    request is 503 circuit_open. Before the fix the breaker counted a stream's 200 as a success."""
    with client_gateway(stack, client_breaker_threshold=2, client_breaker_cooldown_s=30) as http, fault(stack, CUT):
        assert stream_statuses(http, 2) == [(200, True), (200, True)]
        opened = http.post("/chat/completions", json=CHAT)
    assert opened.status_code == 503 and opened.json()["error"]["code"] == "circuit_open"


def test_a_whole_stream_closes_the_half_open_breaker_and_a_cut_one_reopens_it(stack: ReferenceStack) -> None:
    with client_gateway(stack, client_breaker_threshold=1, client_breaker_cooldown_s=0.2) as http:
        with fault(stack, CUT):
            assert stream_statuses(http, 1) == [(200, True)]
            time.sleep(0.3)
            assert stream_statuses(http, 1) == [(200, True)]  # the trial, cut: open again
            assert http.post("/chat/completions", json=CHAT).status_code == 503
        time.sleep(0.3)
        assert stream_statuses(http, 2) == [(200, False), (200, False)]  # the trial streamed whole: closed


def test_uncounted_defect_keeps_the_breaker_closed(stack: ReferenceStack) -> None:
    with client_gateway(stack, client_breaker_threshold=2, defects=frozenset({"resilience-stream-failures-uncounted"})
                        ) as http, fault(stack, CUT):
        assert stream_statuses(http, 3) == [(200, True)] * 3


def test_ai_api_passes_the_providers_retry_after_on_its_500(stack: ReferenceStack) -> None:
    """000/001 document 500 for a provider error, so the AI API keeps it; the provider's Retry-After comes along
    (before the fix it was dropped)."""
    headers = {"authorization": f"Bearer {stack.token}"}
    with fault(stack, RATE_LIMITED), httpx.Client(trust_env=False, timeout=30) as http:
        reply = http.post(stack.base_url + "/chat/completions", json={**CHAT, "model": "gpt-5-mini"}, headers=headers)
    assert reply.status_code == 500 and reply.headers.get("retry-after") == "7", (reply.status_code, reply.headers)


def test_client_gateway_relays_a_providers_429_whole_and_streamed(stack: ReferenceStack) -> None:
    with client_gateway(stack) as http, fault(stack, RATE_LIMITED):
        for stream in (False, True):
            reply = http.post("/chat/completions", json={**CHAT, "stream": stream})
            assert (reply.status_code, reply.headers.get("retry-after")) == (429, "7"), reply.text


@pytest.mark.parametrize("defect", [False, True])
def test_retry_storm_defect(stack: ReferenceStack, defect: bool) -> None:
    defects = frozenset({"resilience-retry-unbounded"} if defect else set())
    with client_gateway(stack, defects=defects) as http, fault(stack, RATE_LIMITED):
        before = upstream_count(stack)
        status = http.post("/chat/completions", json=CHAT).status_code
        sent = upstream_count(stack) - before
    assert (status, sent) == (429, RETRY_STORM_ATTEMPTS if defect else 1)


def test_never_closes_defect_refuses_the_trial() -> None:
    now = [0.0]
    settings = GatewaySettings(client_breaker_threshold=1, client_breaker_cooldown_s=5,
                               defects=frozenset({"resilience-breaker-never-closes"}))
    breakers = Breakers(settings, lambda: now[0])
    breakers.admit("openai")
    breakers.record("openai", failed=True)
    now[0] = 60.0
    with pytest.raises(ClientError) as refused:
        breakers.admit("openai")
    assert refused.value.status == 503
    clean = Breakers(GatewaySettings(client_breaker_threshold=1, client_breaker_cooldown_s=5), lambda: now[0])
    clean.admit("openai")
    clean.record("openai", failed=True)
    now[0] = 120.0
    clean.admit("openai")  # the trial goes through


def test_error_events_are_recognised() -> None:
    error = json.dumps({"error": {"message": "stream interrupted", "code": "provider_error"}})
    assert is_error_event(f"data: {error}\n\n") and is_error_event(b'data: {"message": "x", "code": "y"}\n\n')
    chunk = json.dumps({"choices": [{"delta": {"content": "error code"}, "index": 0}]})
    assert not is_error_event(f"data: {chunk}\n\n") and not is_error_event(b"data: [DONE]\n\n")


def test_every_resilience_defect_names_the_scenario_that_catches_it() -> None:
    assert set(RESILIENCE_DEFECTS) <= set(CHAOS_CATCHES) and all(RESILIENCE_DEFECTS.values())
