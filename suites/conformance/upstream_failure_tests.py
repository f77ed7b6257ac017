"""Conformance tests of a provider failing mid-stream or declining, on every chat model the target lists."""

# Each fault is set on every mock the target declares in `[upstream]` (the control endpoint, so any gateway in front
# works), for the mocks' chat requests only, and removed on leaving (`provider_fault_tests.every_mock`): one model
# per provider at least ([models] chat), so every provider's path meets it. Both tests run alone.

from __future__ import annotations

from typing import Any

import httpx

from aigw_conformance.suites.checks.upstream_failures import streamed_text
from aigw_conformance.suites.conformance.chat_tests import QUESTION
from aigw_conformance.suites.conformance.provider_fault_tests import CHAT, every_mock
from aigw_conformance.suites.conformance.registry import TestContext, conformance_test
from aigw_conformance.suites.failures import TargetUnreachable
from aigw_conformance.suites.features import Feature

AFTER = 5  # events (writes, for `malformed`) before the fault: role and some content have reached the caller
STALL_MS = 1500  # the stall's length before the mock drops the connection (bounded: a gateway may wait it out)
MID_STREAM: tuple[tuple[dict[str, int | str], str], ...] = (
    ({"kind": "disconnect", "after": AFTER}, f"drops the connection after {AFTER} events"),
    ({"kind": "malformed", "after": AFTER}, f"sends an event whose JSON is cut short after {AFTER} writes"),
    ({"kind": "stall", "after": AFTER, "max_ms": STALL_MS},
     f"stalls after {AFTER} events, then drops the connection {STALL_MS} ms later"),
)
REFUSALS = "its own refusal: message.refusal, stop_reason refusal or a blocked prompt"


def _cut_while_streaming(error: TargetUnreachable) -> bool:
    """The gateway broke the connection in the body of its 200 stream: an abrupt end, which the caller sees."""
    cause = error.__cause__
    return isinstance(cause, httpx.TransportError) and not isinstance(cause, httpx.TimeoutException) \
        and "the body of the 200 response" in error.reason


def _whole_content(t: TestContext, body: dict[str, Any]) -> str | None:
    """The content of the request's answer with no fault (the mocks answer identical requests alike), or None when
    that answer is not a clean stream."""
    label = f"model {body['model']}, streamed, no fault: the whole answer"
    exchange = t.send("POST", CHAT, json_body=body, label=label, expect=["http.success"])
    text, finishes = streamed_text(exchange) if exchange.status == 200 else ("", [])
    return text if finishes else None


@conformance_test("provider_path.stream_failure", features=(Feature.CHAT_STREAMING, Feature.UPSTREAM_FAULTS),
                  alone=True)
def stream_failure(t: TestContext) -> None:
    """A provider cut, garbled or stalled mid-stream never reaches the caller as a whole-looking answer (finish and
    [DONE]) but as an error event or an end without [DONE] (000: 'Always check for the [DONE] marker'), on every
    chat model."""
    models = t.models("chat")
    bodies = {model: {"model": model, "messages": QUESTION, "max_completion_tokens": 64, "stream": True}
              for model in models}
    whole = {model: _whole_content(t, body) for model, body in bodies.items()}
    for spec, what in MID_STREAM:
        with every_mock(t, spec):
            for model in models:
                try:
                    label = f"model {model}, streamed; the provider {what}"
                    context = {"upstream_fault": what, "injected_fault": True, "whole_content": whole[model]}
                    exchange = t.probe.send("ai", t.base_url("ai"), "POST", CHAT, headers=t.credentials("ai"),
                                            json_body=bodies[model], label=label, context=context)
                except TargetUnreachable as error:
                    if _cut_while_streaming(error):
                        continue  # an abrupt end: no [DONE], the failure is visible
                    raise
                # the explicit check only: the auto checks of a whole stream ([DONE] last, every event a chunk)
                # would misjudge the error event the documents leave the gateway to shape
                t.apply(exchange, ["sse.upstream_failure_visible"], auto=False)


@conformance_test("translation.refusal", features=(Feature.CHAT, Feature.UPSTREAM_FAULTS), alone=True)
def refusal(t: TestContext) -> None:
    """A provider's refusal reaches the caller as `refusal` text or finish_reason content_filter, never an empty
    answer ending `stop` (000: "refusal string Model's refusal message (optional)"), whole and streamed, on every
    chat model."""
    streams = [False] + ([True] if t.target.skip_reason(Feature.CHAT_STREAMING) is None else [])
    with every_mock(t, {"kind": "refusal", "enabled": 1}):
        for model in t.models("chat"):
            for stream in streams:
                body = {"model": model, "messages": QUESTION, "max_completion_tokens": 32,
                        **({"stream": True} if stream else {})}
                t.send("POST", CHAT, json_body=body, context={"native": REFUSALS},
                       label=f"model {model}, the provider declines{', streamed' if stream else ''}",
                       expect=["translation.refusal_relayed"])
