"""Conformance tests over scripted providers: a provider's 429 on the client gateway, a paced upstream stream."""

# Both set a fault rule on every mock the target declares in `[upstream]` (the control endpoint, so any gateway in
# front works), for the mocks' chat requests only, removed on leaving (suites/upstream.py); both run alone.

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from typing import Any

from aigw_conformance.suites.checks.registry import CHECKS
from aigw_conformance.suites.conformance.chat_tests import QUESTION
from aigw_conformance.suites.conformance.registry import TestContext, conformance_test
from aigw_conformance.suites.exchange import Exchange
from aigw_conformance.suites.failures import CheckFailed
from aigw_conformance.suites.features import Feature
from aigw_conformance.suites.upstream import Upstream

CHAT = "/chat/completions"
RETRY_AFTER_S = 7
PACING_MS = 60  # per token event upstream; the check's threshold is a share of it (streaming_pace.py)
PACED_TOKENS = 12


@contextmanager
def every_mock(t: TestContext, spec: Mapping[str, Any]) -> Iterator[None]:
    """`spec` as a fault rule on the chat requests of every mock the target declares, while the block runs."""
    upstream = Upstream.of(t.target, t.probe)
    with ExitStack() as rules:
        for mock in sorted(upstream.roots):
            rules.enter_context(upstream.fault(mock, spec))
        yield


@conformance_test("client.provider_429", features=(Feature.CLIENT_ERRORS, Feature.UPSTREAM_FAULTS), api="client",
                  alone=True)
def provider_429(t: TestContext) -> None:
    """A provider's 429 (Retry-After 7) reaches the caller as 429 with Retry-After (002: '429 | Rate limit or
    quota exceeded'), whole and streamed."""
    model = t.client_model("chat")
    context = {"retry_after": RETRY_AFTER_S, "injected_fault": True}
    streams = [False] + ([True] if t.target.skip_reason(Feature.CLIENT_STREAMING) is None else [])
    with every_mock(t, {"kind": "status", "status": 429, "retry_after": RETRY_AFTER_S}):
        for stream in streams:
            body: dict[str, Any] = {"model": model, "messages": QUESTION, **({"stream": True} if stream else {})}
            t.send("POST", CHAT, api="client", json_body=body, context=context,
                   label=f"model {model}, the provider answers 429 with Retry-After {RETRY_AFTER_S}"
                         f"{', streamed' if stream else ''}", expect=["client.provider_429_relayed"])


def _paced(t: TestContext, model: str, attempt: int) -> Exchange:
    body = {"model": model, "messages": QUESTION, "max_completion_tokens": PACED_TOKENS, "stream": True}
    return t.probe.send("ai", t.base_url("ai"), "POST", CHAT, headers=t.credentials("ai"), json_body=body,
                        context={"pacing_ms": PACING_MS},
                        label=f"model {model}, streamed over an upstream paced at {PACING_MS} ms per token"
                              f"{' (second attempt)' if attempt else ''}")


@conformance_test("stream.incremental_delivery", features=(Feature.CHAT_STREAMING, Feature.UPSTREAM_FAULTS),
                  alone=True)
def incremental_delivery(t: TestContext) -> None:
    """Over a paced upstream, the first content chunk arrives well before the last, on every chat model (001: 'SSE
    Streaming - Real-time streaming responses for better UX'); a miss is retried once (a loaded harness)."""
    check = CHECKS["sse.incremental_delivery"].function
    with every_mock(t, {"kind": "latency", "itl_ms": PACING_MS}):
        for model in t.models("chat"):
            exchange = _paced(t, model, 0)
            try:
                check(exchange)
            except CheckFailed:
                exchange = _paced(t, model, 1)
            t.apply(exchange, ["http.success", "sse.incremental_delivery"])
