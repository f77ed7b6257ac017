"""sse.upstream_failure_visible and translation.refusal_relayed: each fails the answer it looks for, passes the rest."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from aigw_conformance.suites.exchange import Exchange
from tests.suites.outcomes import outcome

ROLE = {"role": "assistant", "content": ""}
ERROR = {"error": {"message": "stream interrupted", "type": "provider_error", "param": None, "code": "provider_error"}}


def event(data: Any, name: str | None = None) -> bytes:
    head = f"event: {name}\n" if name else ""
    return f"{head}data: {data if isinstance(data, str) else json.dumps(data)}\n\n".encode()


def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "m",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


def reply(body: bytes, *, stream: bool = True, status: int = 200, content_type: str = "text/event-stream",
          **context: Any) -> Exchange:
    return Exchange(api="ai", operation="POST /chat/completions", method="POST", url="http://t/chat/completions",
                    request_headers={}, request_json={"model": "m", "messages": [], "stream": stream}, status=status,
                    headers=httpx.Headers({"content-type": content_type}), body=body, elapsed_s=0.01,
                    context=context)


def stream(*parts: bytes) -> Exchange:
    return reply(b"".join(parts), upstream_fault="drops the connection after 5 events")


CUT = (event(chunk(ROLE)), event(chunk({"content": "XDR is"})))


@pytest.mark.parametrize("visible", [
    stream(*CUT, event(ERROR)),  # the reference's error event
    stream(*CUT, event({"message": "cut"}, "error")),  # an `event: error`
    stream(*CUT),  # an end without [DONE]
    stream(*CUT, event(ERROR), event("[DONE]")),  # an error event, then [DONE]
    reply(json.dumps(ERROR).encode(), status=502, content_type="application/json"),  # an error status
], ids=["error-event", "event-error", "no-done", "error-then-done", "error-status"])
def test_a_visible_failure_passes(visible: Exchange) -> None:
    assert outcome("sse.upstream_failure_visible", visible, must_apply="never") is None


def test_a_clean_looking_end_after_the_failure_fails() -> None:
    failed = outcome("sse.upstream_failure_visible", stream(*CUT, event(chunk({}, "stop")), event("[DONE]")),
                     must_apply="never")
    assert failed is not None and "finish_reason ['stop']" in failed and "6 characters" in failed
    assert "drops the connection" in failed and "[DONE]" in failed
    bare = outcome("sse.upstream_failure_visible", stream(*CUT, event("[DONE]")), must_apply="never")
    assert bare is not None and "finish_reason none" in bare
    skipped = stream(*CUT, event(chunk({"content": " a platform."})), event(chunk({}, "stop")), event("[DONE]"))
    skipped.context["whole_content"] = "XDR is a platform."  # a garbled event skipped, the rest relayed: whole
    assert outcome("sse.upstream_failure_visible", skipped, must_apply="never") is None
    skipped.context["whole_content"] = "XDR is a platform that correlates."  # the end was never relayed
    assert "after 18 characters" in (outcome("sse.upstream_failure_visible", skipped, must_apply="never") or "")
    whole = reply(json.dumps({"choices": []}).encode(), content_type="application/json")
    assert "not an event stream" in (outcome("sse.upstream_failure_visible", whole, must_apply="never") or "")


def whole(message: dict[str, Any], finish: str) -> Exchange:
    body = {"choices": [{"index": 0, "message": {"role": "assistant", **message}, "finish_reason": finish}]}
    return reply(json.dumps(body).encode(), stream=False, content_type="application/json", native="refusal")


@pytest.mark.parametrize("relayed", [
    whole({"content": None, "refusal": "I can't help with that."}, "stop"),  # OpenAI's own shape
    whole({"content": ""}, "content_filter"),  # a wordless refusal (Anthropic's, Gemini's blocked prompt)
    stream(event(chunk({"role": "assistant", "content": None, "refusal": ""})), event(chunk({"refusal": "I can't"})),
           event(chunk({"refusal": " help."})), event(chunk({}, "stop")), event("[DONE]")),
    stream(event(chunk(ROLE)), event(chunk({}, "content_filter")), event("[DONE]")),
], ids=["message-refusal", "content-filter", "refusal-deltas", "streamed-content-filter"])
def test_a_relayed_refusal_passes(relayed: Exchange) -> None:
    assert outcome("translation.refusal_relayed", relayed, must_apply="never") is None


def test_a_refusal_lost_fails() -> None:
    lost = whole({"content": None, "refusal": None}, "stop")
    empty = outcome("translation.refusal_relayed", lost, must_apply="never")
    assert empty is not None and "an empty answer with finish_reason 'stop'" in empty
    as_content = outcome("translation.refusal_relayed", whole({"content": "I can't help with that."}, "stop"),
                         must_apply="never")
    assert as_content is not None and "the content \"I can't help" in as_content
    streamed = stream(event(chunk(ROLE)), event(chunk({}, "stop")), event("[DONE]"))
    assert "an empty answer" in (outcome("translation.refusal_relayed", streamed, must_apply="never") or "")
    refused_500 = reply(json.dumps(ERROR).encode(), stream=False, status=500, content_type="application/json")
    assert "answered 500" in (outcome("translation.refusal_relayed", refused_500, must_apply="never") or "")
    no_choice = reply(json.dumps({"choices": []}).encode(), stream=False, content_type="application/json")
    assert "no choice" in (outcome("translation.refusal_relayed", no_choice, must_apply="never") or "")
