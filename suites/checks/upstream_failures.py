"""Checks of what the caller sees when a provider fails mid-stream or declines: a visible failure, a relayed refusal."""

# Both are explicit: `suites/conformance/upstream_failure_tests.py` scripts the fault on the mocks of `[upstream]`
# and names it in `exchange.context["upstream_fault"]` (e.g. "drops the connection after 5 events"), with the same
# request's unfaulted content in `exchange.context["whole_content"]`.

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aigw_conformance.suites.checks.output import as_dict
from aigw_conformance.suites.checks.registry import check, fail
from aigw_conformance.suites.checks.shapes import json_body
from aigw_conformance.suites.checks.stream import DONE, chunks
from aigw_conformance.suites.exchange import Exchange
from aigw_conformance.suites.failures import Severity


def error_events(exchange: Exchange) -> list[str]:
    """The stream's error events: `event: error`, or data holding a JSON object with an `error` member."""
    found = []
    for event in exchange.sse.events:
        try:
            value = json.loads(event.data) if event.data != DONE else None
        except ValueError:
            value = None
        if event.event == "error" or (isinstance(value, dict) and "error" in value):
            found.append(event.data)
    return found


def streamed_text(exchange: Exchange) -> tuple[str, list[Any]]:
    """(the content deltas joined, the finish reasons given) of a stream."""
    text, finishes = "", []
    for chunk in chunks(exchange):
        for choice in chunk.get("choices") or []:
            if not isinstance(choice, dict):
                continue
            content = as_dict(choice.get("delta")).get("content")
            text += content if isinstance(content, str) else ""
            if choice.get("finish_reason") is not None:
                finishes.append(choice["finish_reason"])
    return text, finishes


@check("sse.upstream_failure_visible", severity=Severity.HIGH, auto=False)
def upstream_failure_visible(exchange: Exchange) -> None:
    """A provider failing mid-stream leaves the caller a visible failure: an error event, an end without [DONE] or
    an error status; never the finish and `[DONE]` of a whole answer after cut content (`context["whole_content"]`,
    the unfaulted answer's text when the test knows it: a clean end with all of it passes)."""
    fault = exchange.context.get("upstream_fault", "failed")
    if exchange.status != 200:
        return  # an error status: nothing here looks whole
    if exchange.content_type != "text/event-stream":
        served = exchange.content_type or "without a content type"
        raise fail(f"the provider {fault} mid-stream; the gateway answered 200 {served}, not an event stream with "
                   "the failure in it")
    if error_events(exchange) or not any(event.data == DONE for event in exchange.sse.events):
        return
    text, finishes = streamed_text(exchange)
    if exchange.context.get("whole_content") == text:
        return  # the whole answer after all (a garbled event skipped, a retry): nothing was cut
    raise fail(f"the provider {fault} mid-stream, yet the stream ended as a whole answer does: finish_reason "
               f"{finishes or 'none'} and `data: [DONE]` after {len(text)} characters of content, no error event; "
               "000 tells clients 'Always check for the [DONE] marker', so they take the cut answer for a whole one")


@dataclass(frozen=True)
class Declined:
    """One choice as the caller got it: its content, its refusal text and its finish reason."""

    content: str
    refusal: str
    finish_reason: Any


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def declined_choices(exchange: Exchange) -> list[Declined]:
    """The choices of a whole answer, or assembled from a stream's `content` and `refusal` deltas."""
    if not exchange.stream_requested:
        body = json_body(exchange)
        listed = body.get("choices") if isinstance(body, dict) else None
        return [Declined(_text(as_dict(c.get("message")).get("content")), _text(as_dict(c.get("message")).get(
            "refusal")), c.get("finish_reason")) for c in listed or [] if isinstance(c, dict)]
    found: dict[Any, dict[str, Any]] = {}
    for chunk in chunks(exchange):
        for choice in chunk.get("choices") or []:
            if not isinstance(choice, dict):
                continue
            seen = found.setdefault(choice.get("index"), {"content": "", "refusal": "", "finish": None})
            delta = as_dict(choice.get("delta"))
            seen["content"] += _text(delta.get("content"))
            seen["refusal"] += _text(delta.get("refusal"))
            seen["finish"] = choice.get("finish_reason") or seen["finish"]
    return [Declined(c["content"], c["refusal"], c["finish"]) for _, c in sorted(found.items(), key=str)]


@check("translation.refusal_relayed", severity=Severity.HIGH, auto=False)
def refusal_relayed(exchange: Exchange) -> None:
    """A provider's refusal reaches the caller as one: `refusal` text (message.refusal, streamed refusal deltas) or
    finish_reason `content_filter`, never an empty answer ending `stop` (000)."""
    native = exchange.context.get("native", "its refusal")
    if exchange.status != 200:
        raise fail(f"a refusal is still an answer: the provider declined ({native}) with 200, the gateway answered "
                   f"{exchange.status}")
    choices = declined_choices(exchange)
    if not choices:
        raise fail(f"the provider declined ({native}); the gateway's answer holds no choice")
    for choice in choices:
        if choice.refusal or choice.finish_reason == "content_filter":
            continue
        got = f"the content {choice.content[:80]!r}" if choice.content else "an empty answer"
        raise fail(f"the provider declined ({native}); the caller got {got} with finish_reason "
                   f"{choice.finish_reason!r} and no `refusal`: 000 gives a refusal its own field ('refusal string "
                   "Model\u2019s refusal message') and a safety stop its own finish ('content_filter Content "
                   "filtered by provider safety systems')")
