"""The identity, model, incremental-stream and provider-429 checks on crafted exchanges: each fails on the defect
it looks for and passes the answer a correct gateway gives."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

from aigw_conformance.suites.checks.identity import CREATED_TOLERANCE_S
from aigw_conformance.suites.exchange import Exchange
from tests.suites.outcomes import outcome

REQUEST = {"model": "gpt-5", "messages": [{"role": "user", "content": "Hi"}]}
NOW = 1_796_000_000


def completion(**changes: Any) -> dict[str, Any]:
    return {"id": "chatcmpl-a1", "object": "chat.completion", "created": NOW, "model": "gpt-5",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}, **changes}


def stream_body(contents: list[str], **changes: Any) -> bytes:
    base = {"id": "chatcmpl-s1", "object": "chat.completion.chunk", "created": NOW, "model": "gpt-5", **changes}
    chunks = [{**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]}]
    chunks += [{**base, "choices": [{"index": 0, "delta": {"content": text}}]} for text in contents]
    chunks.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    return b"".join(f"data: {json.dumps(chunk)}\n\n".encode() for chunk in chunks) + b"data: [DONE]\n\n"


def exchange(body: Any, *, stream: bool = False, api: str = "ai", status: int = 200, request: Any = None,
             context: dict[str, Any] | None = None, headers: dict[str, str] | None = None,
             reads: tuple[list[float], list[int]] = ([], [])) -> Exchange:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    sent = dict(request or REQUEST, **({"stream": True} if stream else {}))
    kind = "text/event-stream" if stream and status == 200 else "application/json"
    return Exchange(api=api, operation="POST /chat/completions", method="POST", url="http://t/chat/completions",
                    request_headers={}, request_json=sent, status=status,
                    headers=httpx.Headers({"content-type": kind, **(headers or {})}), body=raw, elapsed_s=0.5,
                    chunk_times_s=reads[0], chunk_ends=reads[1], context=dict(context or {}))


# --- identity.unique_id, identity.created_recent --------------------------------------------------------------

def test_a_repeated_id_fails_and_a_fresh_one_passes() -> None:
    again = outcome("identity.unique_id", exchange(completion(), context={"first_id": "chatcmpl-a1"}))
    assert again is not None and "both answered with id 'chatcmpl-a1'" in again and "Unique interaction" in again
    assert outcome("identity.unique_id", exchange(completion(id="chatcmpl-a2"), context={"first_id": "chatcmpl-a1"})) \
        is None
    streamed = exchange(stream_body(["a", "b"]), stream=True, context={"first_id": "chatcmpl-s1"})
    assert outcome("identity.unique_id", streamed) is not None


@pytest.mark.parametrize("created, passes", [
    (NOW, True), (NOW - CREATED_TOLERANCE_S + 1, True), (NOW + CREATED_TOLERANCE_S, True),
    (NOW - CREATED_TOLERANCE_S - 1, False), (1_735_689_600, False), (NOW * 1000, False), ("1796000000", False)])
def test_created_must_be_the_time_of_the_request(created: Any, passes: bool) -> None:
    found = outcome("identity.created_recent", exchange(completion(created=created), context={"sent_at": NOW}))
    assert (found is None) is passes, found
    if not passes:
        assert "Unix timestamp of creation" in str(found)


def test_created_is_checked_on_every_chunk_and_needs_the_send_time() -> None:
    drifting = stream_body(["a"]).replace(f'"created": {NOW}'.encode(), b'"created": 1735689600', 1)
    assert "chunk #0" in str(outcome("identity.created_recent", exchange(drifting, stream=True,
                                                                         context={"sent_at": NOW})))
    assert "sent_at" in str(outcome("identity.created_recent", exchange(completion())))
    assert outcome("identity.created_recent", exchange(completion(created=int(time.time())),
                                                       context={"sent_at": time.time()})) is None


# --- identity.model_requested ---------------------------------------------------------------------------------

@pytest.mark.parametrize("named, passes", [
    ("gpt-5", True), ("gpt-5-2025-08-07", True), ("gpt-5-20250807", True), ("gpt-5-mini", False),
    ("gpt-5-mini-2025-08-07", False), ("openai/gpt-5", False), (None, False)])
def test_the_answer_names_the_model_requested_or_its_snapshot(named: Any, passes: bool) -> None:
    whole = outcome("identity.model_requested", exchange(completion(model=named)), must_apply="auto")
    streamed = outcome("identity.model_requested", exchange(stream_body(["a"], model=named), stream=True),
                       must_apply="auto")
    assert (whole is None, streamed is None) == (passes, passes), (whole, streamed)
    if not passes:
        assert "convention (OpenAI" in str(whole) and "chunk #0" in str(streamed)


# --- sse.incremental_delivery ---------------------------------------------------------------------------------

def _reads(body: bytes, per_read: int, gap_s: float) -> tuple[list[float], list[int]]:
    """Reads of `per_read` events each, `gap_s` apart."""
    events = body.split(b"\n\n")[:-1]
    ends, size = [], 0
    for start in range(0, len(events), per_read):
        size += sum(len(event) + 2 for event in events[start:start + per_read])
        ends.append(size)
    return [0.1 + i * gap_s for i in range(len(ends))], ends


def test_a_stream_delivered_in_one_read_fails_and_a_relayed_one_passes() -> None:
    body = stream_body([f"t{i} " for i in range(10)])
    paced = {"pacing_ms": 50}
    buffered = outcome("sse.incremental_delivery", exchange(body, stream=True, context=paced,
                                                            reads=_reads(body, 100, 0)))
    assert buffered is not None and "10 content chunks arrived within 0 ms in 1 read(s)" in buffered
    relayed = exchange(body, stream=True, context=paced, reads=_reads(body, 1, 0.05))
    assert outcome("sse.incremental_delivery", relayed) is None
    slow_but_relayed = exchange(body, stream=True, context=paced, reads=_reads(body, 3, 0.04))  # coalesced by 3
    assert outcome("sse.incremental_delivery", slow_but_relayed) is None
    too_fast = exchange(body, stream=True, context=paced, reads=_reads(body, 1, 0.001))  # 9 ms for 450 ms of pacing
    assert outcome("sse.incremental_delivery", too_fast) is not None


def test_the_incremental_check_needs_pacing_and_enough_content() -> None:
    body = stream_body(["a", "b", "c"])
    assert "pacing_ms" in str(outcome("sse.incremental_delivery", exchange(body, stream=True,
                                                                           reads=_reads(body, 1, 0.1))))
    short = stream_body(["a"])
    assert "too few" in str(outcome("sse.incremental_delivery", exchange(short, stream=True, context={"pacing_ms": 50},
                                                                         reads=_reads(short, 1, 0.1))))


# --- client.provider_429_relayed ------------------------------------------------------------------------------

@pytest.mark.parametrize("status, retry_after, fragment", [
    (429, "7", None), (429, "30", None), (502, None, "gateway answered 502"), (500, None, "gateway answered 500"),
    (429, None, "carries none"), (429, "1", "shorter than the provider's 7")])
def test_a_provider_429_reaches_the_client_as_429_with_retry_after(status: int, retry_after: str | None,
                                                                   fragment: str | None) -> None:
    error = {"error": {"message": "rate limited", "type": "rate_limit_exceeded"}, "request_id": "req_1"}
    headers = {"retry-after": retry_after} if retry_after else {}
    found = outcome("client.provider_429_relayed", exchange(error, api="client", status=status, headers=headers,
                                                            context={"retry_after": 7}))
    assert (found is None) if fragment is None else (fragment in str(found)), found
