"""Provider answers are read within a cap, as received and as decoded: beyond it, the documented provider error.

A provider (or whatever answers at its URL) once took the gateway to 2.1 GB with a 1 GB body or a 1 MB gzip bomb.
These tests use a real provider on 127.0.0.1 (`hostile_upstream`) answering valid JSON padded past the default cap
(32 MiB), so that without the cap the gateway would answer 200."""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Iterator

import httpx
import pytest
from hostile_upstream import COMPLETION, EMBEDDING, MIB, HostileProvider, gzipped, padded, whole

from aigw_conformance.mocks.core.server import ServerThread
from aigw_conformance.mocks.reference import GatewaySettings, create_app
from aigw_conformance.mocks.reference.bounded import DEFAULT_MAX_ANSWER_BYTES, STEP, AnswerTooLarge, Budget

OVER = DEFAULT_MAX_ANSWER_BYTES + 8 * MIB  # padding past the cap
CHAT = {"model": "gpt-5-mini", "messages": [{"role": "user", "content": "hello"}]}
AUTH = {"authorization": "Bearer dev-token"}


@pytest.fixture(scope="module")
def provider() -> Iterator[HostileProvider]:
    with HostileProvider() as hostile:
        yield hostile


@pytest.fixture(scope="module")
def gateway(provider: HostileProvider) -> Iterator[httpx.Client]:
    settings = GatewaySettings(upstreams={"openai": provider.url}, upstream_timeout_s=60)
    with ServerThread(create_app(settings), name="capped-gateway") as server, \
            httpx.Client(base_url=server.base_url + "/api/ai/v1", headers=AUTH, timeout=60, trust_env=False) as http:
        yield http


def provider_error(reply: httpx.Response, what: str) -> None:
    """The documented 500 of a provider failure, naming the cap."""
    assert reply.status_code == 500, reply.text[:300]
    assert reply.headers["x-error-id"] and what in reply.headers["x-error"], reply.headers.get("x-error")
    assert f"limit of {DEFAULT_MAX_ANSWER_BYTES} bytes" in reply.json()["error"]["message"]


def test_a_padded_answer_within_the_cap_is_answered(gateway: httpx.Client, provider: HostileProvider) -> None:
    provider.answer = whole(padded(COMPLETION, MIB), len(json.dumps(COMPLETION)) + MIB)
    assert gateway.post("/chat/completions", json=CHAT).json()["choices"][0]["message"]["content"] == "hi"
    provider.answer = whole(iter([gzipped(padded(COMPLETION, 4 * MIB))]), 0, encoding="gzip", chunked=True)
    assert gateway.post("/chat/completions", json=CHAT).status_code == 200


def test_an_announced_body_beyond_the_cap_is_refused_before_it_is_read(
        gateway: httpx.Client, provider: HostileProvider) -> None:
    total = len(json.dumps(COMPLETION)) + OVER
    provider.answer = whole(padded(COMPLETION, OVER), total)
    provider_error(gateway.post("/chat/completions", json=CHAT), "announces")
    assert provider.sent < total  # the gateway stopped reading: the provider could not send it all


def test_a_chunked_body_beyond_the_cap_is_cut_off(gateway: httpx.Client, provider: HostileProvider) -> None:
    provider.answer = whole(padded(COMPLETION, OVER), 0, chunked=True)
    provider_error(gateway.post("/chat/completions", json=CHAT), "holds")
    provider.answer = whole(padded(EMBEDDING, OVER), 0, chunked=True)  # the other read path (`LeanClient.send`)
    provider_error(gateway.post("/embeddings", json={"model": "text-embedding-3-small", "input": "x"}), "holds")


@pytest.mark.parametrize("chunked", [False, True])
def test_a_gzip_bomb_is_refused_once_it_decodes_past_the_cap(
        gateway: httpx.Client, provider: HostileProvider, chunked: bool) -> None:
    bomb = gzipped(padded(COMPLETION, OVER))
    assert len(bomb) < MIB  # a small answer on the wire
    provider.answer = whole(iter([bomb]), len(bomb), encoding="gzip", chunked=chunked)
    provider_error(gateway.post("/chat/completions", json=CHAT), "decodes to")
    provider.answer = whole(iter([gzipped(padded(EMBEDDING, OVER))]), 0, encoding="gzip", chunked=True)
    provider_error(gateway.post("/embeddings", json={"model": "text-embedding-3-small", "input": "x"}), "decodes to")


def test_an_event_stream_line_beyond_the_cap_ends_the_stream(
        gateway: httpx.Client, provider: HostileProvider) -> None:
    endless = gzipped(iter([b"data: {\"x\": \"", *(b"x" * MIB for _ in range(OVER // MIB))]))
    provider.answer = whole(iter([endless]), 0, encoding="gzip", chunked=True, content_type="text/event-stream")
    reply = gateway.post("/chat/completions", json={**CHAT, "stream": True})
    assert f"line of more than the gateway's limit of {DEFAULT_MAX_ANSWER_BYTES} bytes" in reply.text, reply.text[:300]


def test_an_unrequested_coding_is_a_provider_error(gateway: httpx.Client, provider: HostileProvider) -> None:
    provider.answer = whole(iter([b"{}"]), 2, encoding="br")
    reply = gateway.post("/chat/completions", json=CHAT)
    assert reply.status_code == 500 and "unsupported content-encoding 'br'" in reply.json()["error"]["message"]


def _decoded(coding: str, data: bytes, limit: int = DEFAULT_MAX_ANSWER_BYTES, *, whole: bool = True) -> bytes:
    budget = Budget(limit, [(b"Content-Encoding", coding.encode())], None)
    budget.whole = whole
    pieces = [piece for start in range(0, len(data), 7) for piece in budget.feed(data[start:start + 7])]
    assert all(len(piece) <= STEP for piece in pieces)
    return b"".join([*pieces, *budget.end()])


def test_codings_are_undone_in_bounded_steps_as_httpx_undoes_them() -> None:
    text = b"data: " + b"abc" * 100_000 + b"\n\n"
    raw_deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    for coding, coded in [("gzip", gzip.compress(text)), ("deflate", zlib.compress(text)),
                          ("deflate", raw_deflate.compress(text) + raw_deflate.flush()),
                          ("gzip, deflate", zlib.compress(gzip.compress(text))), ("identity", text)]:
        assert _decoded(coding, coded) == text, coding
    with pytest.raises(AnswerTooLarge, match="decodes to"):
        _decoded("gzip", gzip.compress(text), limit=len(text) - 1)
    assert _decoded("gzip", gzip.compress(text), limit=len(text) - 1, whole=False) == text  # no line is longer
    with pytest.raises(AnswerTooLarge, match="has a line of"):
        _decoded("gzip", gzip.compress(text), limit=len(text) - 10, whole=False)
    with pytest.raises(httpx.DecodingError, match="malformed gzip"):
        _decoded("gzip", b"not gzip at all")
