"""Provider-neutral mock helpers: token accounting, the text generator, SSE coding and fault headers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aigw_conformance.mocks.core import faults, sse, textgen
from aigw_conformance.mocks.core.tokens import IMAGE_TOKENS, count_message_tokens, count_tokens, decode, encode


def test_tokens_match_tiktoken_o200k_and_cl100k() -> None:
    assert encode("hello world") == [24912, 2375]
    assert encode("hello world", "cl100k_base") == [15339, 1917]
    assert decode(encode("Zero trust, día 1 <|endoftext|>")) == "Zero trust, día 1 <|endoftext|>"
    assert count_tokens("") == 0


def test_message_accounting_follows_the_documented_rule() -> None:
    def n(text: str) -> int:
        return count_tokens(text)

    plain = [{"role": "user", "content": "What is XDR?"}]
    assert count_message_tokens(plain) == 3 + n("user") + n("What is XDR?") + 3
    named = [{"role": "user", "name": "alice", "content": "hi"}]
    assert count_message_tokens(named) == 3 + n("user") + n("alice") + 1 + n("hi") + 3
    parts = [{"role": "user", "content": [
        {"type": "text", "text": "Describe"}, {"type": "text", "text": " this"},
        {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
    ]}]
    assert count_message_tokens(parts) == 3 + n("user") + n("Describe") + n(" this") + IMAGE_TOKENS + 3
    assert count_message_tokens([{"role": "assistant", "content": None}]) == 3 + n("assistant") + 3


@settings(max_examples=40, deadline=None)
@given(st.text(max_size=40), st.integers(min_value=0, max_value=3))
def test_generated_text_is_deterministic_bounded_and_retokenizes_exactly(seed: str, index: int) -> None:
    material = textgen.seed_material("gpt-5", [{"role": "user", "content": seed}], None, index)
    answer = textgen.generate(material, 4096)
    assert answer == textgen.generate(material, 4096) and answer.finish_reason == "stop"
    assert 8 <= answer.completion_tokens <= 60 and answer.text.isascii()
    assert count_tokens(answer.text) == answer.completion_tokens
    for cap in (0, 1, 5, answer.completion_tokens - 1):
        cut = textgen.generate(material, cap)
        assert cut.finish_reason == "length" and cut.completion_tokens == cap == count_tokens(cut.text)
        assert answer.text.startswith(cut.text)


def test_stop_sequences_cut_before_the_first_occurrence() -> None:
    material = textgen.seed_material("gpt-4o", [{"role": "user", "content": "hi"}], 3, 0)
    full = textgen.generate(material, 4096).text
    stop = full.split(" ")[3]
    cut = textgen.generate(material, 4096, stop=["never-there", stop])
    assert cut.text == full[: full.index(stop)] and cut.finish_reason == "stop"
    assert count_tokens(cut.text) == cut.completion_tokens
    assert textgen.generate(material, 2, stop=stop).finish_reason == "length"
    assert textgen.generate(material, 4096, stop="").text == full


def test_sse_encoding() -> None:
    assert sse.encode_json({"a": 1}) == b'data: {"a":1}\n\n'
    assert sse.encode_done() == b"data: [DONE]\n\n"
    assert sse.encode_event("x\ny", event="ping") == b"event: ping\ndata: x\ndata: y\n\n"
    assert sse.encode_comment("keep-alive") == b": keep-alive\n\n"


def test_sse_decoder_handles_framing_edge_cases() -> None:
    body = "\ufeff: hi\r\nevent: delta\r\ndata: a\r\ndata:b\r\n\r\nid: 7\rdata: c\r\rdata: dangling"
    chunks = [body[i : i + 3].encode() for i in range(0, len(body), 3)]
    events = list(sse.iter_events(chunks))
    assert events == [sse.SSEEvent("a\nb", "delta"), sse.SSEEvent("c", "message", "7")]
    assert list(sse.iter_events(body.splitlines())) == events
    split_crlf = [b"data: x\r", b"\n\r", b"\n"]
    assert [e.data for e in sse.iter_events(split_crlf)] == ["x"]

    async def collect() -> list[sse.SSEEvent]:
        async def lines() -> AsyncIterator[str]:
            for line in ("data: 1", "", "data: [DONE]", ""):
                yield line

        return [e async for e in sse.aiter_events(lines())]

    assert [e.data for e in asyncio.run(collect())] == ["1", "[DONE]"]


def test_fault_headers_parse_into_composable_faults() -> None:
    headers = {"x-mock-status": "429", "x-mock-retry-after": "0", "x-mock-disconnect-after": "2"}
    plan = faults.from_headers(headers)
    assert asyncio.run(plan.before_headers()) == faults.Failure(429, 0)
    frame = sse.Frame(b"data: x\n\n")
    assert [asyncio.run(plan.before_chunk(i, frame)) for i in range(3)] == [True, True, False]
    assert not asyncio.run(plan.before_chunk(0, sse.Frame(b"data: [DONE]\n\n", final=True)))
    assert faults.from_headers({}) == faults.FaultSet()
    for bad in ({"x-mock-status": "200"}, {"x-mock-delay-ms": "-1"}, {"x-mock-itl-ms": "fast"}):
        with pytest.raises(faults.FaultHeaderError):
            faults.from_headers(bad)
