"""Each SSE check passes a well-formed stream and fails the defect it looks for (crafted wire bytes)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from aigw_conformance.suites.checks import CHECKS, run_checks
from aigw_conformance.suites.exchange import Exchange


def chunk(content: str | None = None, *, role: bool = False, finish: str | None = None,
          **override: Any) -> dict[str, Any]:
    delta: dict[str, Any] = {}
    if role:
        delta["role"] = "assistant"
    if content is not None:
        delta["content"] = content
    body: dict[str, Any] = {
        "id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1704067200, "model": "gpt-5",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    body.update(override)
    return body


USAGE = {"prompt_tokens": 8, "completion_tokens": 2, "total_tokens": 10}


def good_chunks(include_usage: bool) -> list[dict[str, Any]]:
    chunks = [chunk("", role=True), chunk("Hello"), chunk(" there"), chunk(finish="stop")]
    if include_usage:
        chunks = [{**c, "usage": None} for c in chunks]
        chunks.append(chunk(choices=[], usage=USAGE))
    return chunks


def sse_body(chunks: list[dict[str, Any]], done: bool = True, newline: str = "\n") -> bytes:
    events = [f"data: {json.dumps(c)}{newline}{newline}" for c in chunks]
    if done:
        events.append(f"data: [DONE]{newline}{newline}")
    return "".join(events).encode()


def exchange(body: bytes, *, include_usage: bool | None = None, content_type: str = "text/event-stream",
             status: int = 200) -> Exchange:
    request: dict[str, Any] = {"model": "gpt-5", "messages": [{"role": "user", "content": "hi"}], "stream": True}
    if include_usage is not None:
        request["stream_options"] = {"include_usage": include_usage}
    return Exchange(api="ai", operation="POST /chat/completions", method="POST", url="http://t/chat/completions",
                    request_headers={}, request_json=request, status=status,
                    headers=httpx.Headers({"content-type": content_type}), body=body, elapsed_s=0.01)


def failures(ex: Exchange) -> dict[str, str]:
    """Every applicable auto check's failure message, by check name."""
    found = {}
    for check in CHECKS.values():
        if check.auto and check.applies_to(ex) and not check.name.startswith("errors.status"):
            try:
                check.function(ex)
            except AssertionError as error:
                found[check.name] = str(error)
    return found


@pytest.mark.parametrize("include_usage", [None, False, True])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_a_well_formed_stream_passes_every_check(include_usage: bool | None, newline: str) -> None:
    body = sse_body(good_chunks(bool(include_usage)), newline=newline)
    assert failures(exchange(body, include_usage=include_usage)) == {}


def test_comment_lines_between_events_pass() -> None:
    body = b": keep-alive\n\n" + sse_body(good_chunks(False)).replace(b"\n\ndata", b"\n\n: ping\n\ndata")
    assert failures(exchange(body)) == {}


def broken(include_usage: bool, change: Any) -> list[dict[str, Any]]:
    chunks = good_chunks(include_usage)
    change(chunks)
    return chunks


DEFECTS: dict[str, tuple[bytes, bool | None, str]] = {
    "sse.done_last": (sse_body(good_chunks(False), done=False), None, "text/event-stream"),
    "sse.content_type": (sse_body(good_chunks(False)), None, "application/json"),
    "sse.stable_id": (sse_body(broken(False, lambda c: c[2].update(id="chatcmpl-2"))), None, "text/event-stream"),
    "sse.stable_created": (sse_body(broken(False, lambda c: c[3].update(created=1704067201))), None,
                           "text/event-stream"),
    "sse.stable_model": (sse_body(broken(False, lambda c: c[1].update(model="gpt-5-2025"))), None,
                         "text/event-stream"),
    "sse.chunk_object": (sse_body(broken(False, lambda c: c[1].update(object="chat.completion"))), None,
                         "text/event-stream"),
    "sse.first_delta_role": (sse_body(broken(False, lambda c: c[0]["choices"][0]["delta"].pop("role"))), None,
                             "text/event-stream"),
    "sse.usage_chunk_iff_requested": (sse_body(good_chunks(True)), False, "text/event-stream"),
    "sse.usage_arithmetic": (sse_body(broken(True, lambda c: c[-1].update(
        usage={**USAGE, "total_tokens": 11}))), True, "text/event-stream"),
    "sse.finish_reason": (sse_body(broken(False, lambda c: c[3]["choices"][0].update(finish_reason="end_turn"))),
                          None, "text/event-stream"),
    "sse.finish_reason_given": (sse_body(broken(False, lambda c: c[3]["choices"][0].update(finish_reason=None))),
                                None, "text/event-stream"),
    "sse.framing": (sse_body(good_chunks(False)).replace(b'data: {"id"', b'data: {id', 1), None,
                    "text/event-stream"),
}


@pytest.mark.parametrize("check_name", sorted(DEFECTS))
def test_each_check_fails_on_its_defect(check_name: str) -> None:
    body, include_usage, content_type = DEFECTS[check_name]
    found = failures(exchange(body, include_usage=include_usage, content_type=content_type))
    assert check_name in found, f"{check_name} did not fail; failures: {found}"


def usage_grounds(ex: Exchange) -> list[tuple[str, str]]:
    """(kind, quote or reason) of sse.usage_chunk_iff_requested's failures on `ex`."""
    outcome = next(o for o in run_checks(ex) if o.check.name == "sse.usage_chunk_iff_requested")
    return [(grounds.kind, grounds.quote) for _, grounds in outcome.failures]


def test_usage_requested_but_missing_fails_on_000s_sentence() -> None:
    asked = exchange(sse_body(good_chunks(False)), include_usage=True)
    assert "include_usage was requested but no chunk carries usage" in failures(asked)["sse.usage_chunk_iff_requested"]
    assert usage_grounds(asked) == [("documented", "Include Usage: Set include_usage: true for token tracking")]


def test_where_the_usage_comes_and_that_it_comes_only_when_asked_are_openais_convention() -> None:
    """000 says nothing of the usage chunk's place or shape, nor of usage that was not asked for: those failures
    are conventions (OpenAI's stream), never a documented failure of a gateway."""
    chunks = good_chunks(True)
    chunks[-1]["choices"] = [{"index": 0, "delta": {}, "finish_reason": None}]
    shaped = exchange(sse_body(chunks), include_usage=True)
    assert "choices: []" in failures(shaped)["sse.usage_chunk_iff_requested"]
    unasked = exchange(sse_body(good_chunks(True)), include_usage=False)
    assert "not requested" in failures(unasked)["sse.usage_chunk_iff_requested"]
    for ex in (shaped, unasked):
        [(kind, reason)] = usage_grounds(ex)
        assert kind == "convention" and "OpenAI's stream_options.include_usage" in reason


def test_a_client_stream_without_finish_reason_passes() -> None:
    """002's stream ends without a finish_reason: on the client API nothing requires one."""
    unfinished = broken(False, lambda c: c[3]["choices"][0].update(finish_reason=None))
    client = exchange(sse_body(unfinished))
    client.api = "client"
    found = failures(client)
    assert not {"sse.finish_reason", "sse.finish_reason_given"} & set(found), found
    assert "sse.finish_reason_given" in failures(exchange(sse_body(unfinished)))


def test_events_after_done_fail() -> None:
    body = sse_body(good_chunks(False)) + b'data: {"late": true}\n\n'
    assert "last event" in failures(exchange(body))["sse.done_last"]


def test_text_after_a_finish_is_documented_and_an_empty_entry_after_it_a_convention() -> None:
    def grounds_of(chunks: list[dict[str, Any]]) -> list[tuple[str, str]]:
        outcome = next(o for o in run_checks(exchange(sse_body(chunks))) if o.check.name == "sse.finish_reason")
        return [(grounds.kind, message) for message, grounds in outcome.failures]

    more_text = [*good_chunks(False), chunk(" again")]
    [(kind, message)] = grounds_of(more_text)
    assert kind == "documented" and "continues choice 0 after it finished" in message
    empty = [*good_chunks(False), {**chunk(""), "choices": [{"index": 0, "delta": {}}]}]
    [(kind, message)] = grounds_of(empty)
    assert kind == "convention" and "empty delta" in message
    assert grounds_of(good_chunks(False)) == []
