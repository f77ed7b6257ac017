"""`mocks.reference.transport`: the gateway's lean HTTP/1.1 upstream client, against scripted raw servers."""

from __future__ import annotations

import asyncio
import gzip
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest

from aigw_conformance.mocks.reference.bounded import ACCEPT_ENCODING
from aigw_conformance.mocks.reference.chunked import ChunkedError, Dechunker
from aigw_conformance.mocks.reference.streaming import CoalescedStreamingResponse
from aigw_conformance.mocks.reference.transport import Body, LeanClient

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
TIMEOUT = httpx.Timeout(2.0, connect=1.0)


async def read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), 0)
    return head + await reader.readexactly(length)


def run(handler: Handler, client_code: Callable[[LeanClient, str], Awaitable[None]]) -> list[bytes]:
    """Serve `handler` on a loopback port, run `client_code(client, base_url)`; the requests the server read."""
    seen: list[bytes] = []

    async def main() -> None:
        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                await handler(reader, writer)
            except (asyncio.IncompleteReadError, ConnectionError):
                pass
            finally:
                writer.close()

        async def recording(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            original = reader.readuntil

            async def readuntil(separator: bytes = b"\n") -> bytes:
                data = await original(separator)
                if separator == b"\r\n\r\n":
                    seen.append(data)
                return data

            reader.readuntil = readuntil  # type: ignore[method-assign,assignment]
            await serve(reader, writer)

        server = await asyncio.start_server(recording, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with server, LeanClient(timeout=TIMEOUT) as client:
            await client_code(client, f"http://127.0.0.1:{port}")

    asyncio.run(main())
    return seen


def keep_alive(*responses: bytes) -> Handler:
    """Answer successive requests on one connection with `responses`, then wait for the client to hang up."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for response in responses:
            await read_request(reader)
            writer.write(response)
            await writer.drain()
        await reader.read()

    return handler


def test_content_length_and_chunked_bodies_reuse_one_connection() -> None:
    connections = 0
    inner = keep_alive(b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\ncontent-type: text/plain\r\n\r\nhello",
                       b"HTTP/1.1 201 Created\r\ntransfer-encoding: chunked\r\n\r\n"
                       b"3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\ntrailer: x\r\n\r\n")

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        await inner(reader, writer)

    async def client_code(client: LeanClient, base: str) -> None:
        first = await client.post(base + "/v1/a?x=1", json={"k": "v"}, headers={"x-mock-delay-ms": "0"})
        assert (first.status_code, first.text, first.headers["content-type"]) == (200, "hello", "text/plain")
        second = await client.post(base + "/v1/b", content=b"raw")
        assert (second.status_code, second.content, second.reason_phrase) == (201, b"abcde", "Created")

    seen = run(handler, client_code)
    assert connections == 1
    assert seen[0].startswith(b"POST /v1/a?x=1 HTTP/1.1\r\n")
    assert b"x-mock-delay-ms: 0" in seen[0] and b"content-length: 9" in seen[0].lower()
    assert b"host: 127.0.0.1:" in seen[0].lower()


def test_a_body_ending_with_the_connection_is_read_whole_and_not_reused() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n" + b"x" * 200_000)
        await writer.drain()

    async def client_code(client: LeanClient, base: str) -> None:
        for _ in range(2):
            reply = await client.get(base + "/")
            assert reply.content == b"x" * 200_000

    assert len(run(handler, client_code)) == 2


def test_an_idle_connection_closed_by_the_server_is_retried_fresh() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
        await writer.drain()  # then close without saying so (a keep-alive timeout)

    async def client_code(client: LeanClient, base: str) -> None:
        assert (await client.get(base + "/")).text == "ok"
        await asyncio.sleep(0.05)
        assert (await client.get(base + "/")).text == "ok"

    assert len(run(handler, client_code)) == 2


def test_streamed_lines_arrive_before_the_body_ends() -> None:
    gate = asyncio.Event()  # the server sends the second event only once the client has read the first

    async def client_code(client: LeanClient, base: str) -> None:
        request = client.build_request("POST", base + "/stream", json={})
        reply = await client.send(request, stream=True)
        lines = reply.aiter_lines()
        assert await anext(lines) == "data: 1"
        gate.set()
        assert [line async for line in lines] == ["", "data: 2", ""]
        await reply.aclose()

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n9\r\ndata: 1\n\n\r\n")
        await writer.drain()
        await gate.wait()
        writer.write(b"9\r\ndata: 2\n\n\r\n0\r\n\r\n")
        await writer.drain()
        await reader.read()

    run(handler, client_code)


@pytest.mark.parametrize("response, error", [
    (b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nshort", httpx.RemoteProtocolError),
    (b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nab", httpx.RemoteProtocolError),
    (b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n", httpx.RemoteProtocolError),
    (b"SMTP ready\r\n\r\n", httpx.RemoteProtocolError),
    (b"HTTP/1.1 200 OK\r\ncontent-length: ten\r\n\r\n", httpx.RemoteProtocolError),
    (b"HTTP/1.1 200 OK\r\nbad header line\r\n\r\n", httpx.RemoteProtocolError),
    (b"", httpx.RemoteProtocolError),
])
def test_broken_answers_raise_httpx_errors(response: bytes, error: type[Exception]) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(response)
        await writer.drain()

    async def client_code(client: LeanClient, base: str) -> None:
        with pytest.raises(error):
            await client.post(base + "/", json={})

    run(handler, client_code)


def test_a_silent_server_is_a_read_timeout_within_the_limit() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        await asyncio.sleep(5)

    async def client_code(client: LeanClient, base: str) -> None:
        started = time.monotonic()
        with pytest.raises(httpx.ReadTimeout):
            await client.post(base + "/", json={}, timeout=0.3)
        assert time.monotonic() - started < 1.5

    run(handler, client_code)


def test_a_closed_port_is_a_connect_error() -> None:
    async def main() -> None:
        server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        server.close()
        await server.wait_closed()
        async with LeanClient(timeout=TIMEOUT) as client:
            with pytest.raises(httpx.ConnectError):
                await client.get(f"http://127.0.0.1:{port}/")
            with pytest.raises(httpx.UnsupportedProtocol):
                await client.get("ftp://127.0.0.1/")

    asyncio.run(main())


@pytest.mark.parametrize("headers", [None, {"authorization": "Bearer sk-1"},
                                     {"Accept": "text/event-stream", "x-mock-delay-ms": "5"},
                                     {"content-type": "application/json; charset=utf-8", "Host": "upstream.example"},
                                     {"user-agent": "gateway", "accept-encoding": "identity"}])
def test_requests_built_from_a_template_are_what_httpx_builds(headers: dict[str, str] | None) -> None:
    async def main() -> None:
        offered = {"accept-encoding": ACCEPT_ENCODING}  # the codings the lean client decodes within its cap
        async with LeanClient(timeout=TIMEOUT) as lean, \
                httpx.AsyncClient(timeout=TIMEOUT, trust_env=False, headers=offered) as plain:
            for body in ({"text": "déjà vu \u2028", "n": [1, 2.5, None]}, {}, ["x"] * 3):
                for _ in range(2):  # the second from the cached template
                    ours = lean.build_request("POST", "http://127.0.0.1:9/v1/chat/completions", json=body,
                                              headers=headers)
                    theirs = plain.build_request("POST", "http://127.0.0.1:9/v1/chat/completions", json=body,
                                                 headers=headers)
                    assert (ours.method, ours.url, ours.headers.raw, ours.content, ours.extensions) == \
                        (theirs.method, theirs.url, theirs.headers.raw, theirs.content, theirs.extensions)

    asyncio.run(main())


CHUNKED = b"3;ext=1\r\nabc\r\n2\r\nde\r\n10\r\n" + b"f" * 16 + b"\r\n0\r\ntrailer: x\r\n\r\n"


def test_a_chunked_body_split_anywhere_decodes_the_same() -> None:
    for cut in range(len(CHUNKED) + 1):
        decoder = Dechunker(64)
        assert decoder.feed(CHUNKED[:cut]) + decoder.feed(CHUNKED[cut:]) == b"abcde" + b"f" * 16
        assert decoder.finished and not decoder.buffer
    decoder = Dechunker(64)
    assert decoder.feed(CHUNKED + b"extra") == b"abcde" + b"f" * 16 and decoder.buffer == b"extra"


@pytest.mark.parametrize(("data", "message"), [
    (b"zz\r\n", "malformed chunk size b'zz\\r\\n'"),
    (b"-5\r\nabc", "malformed chunk size b'-5\\r\\n'"),
    (b"1" * 100, "malformed chunked body"),
])
def test_a_malformed_chunked_body_is_refused(data: bytes, message: str) -> None:
    with pytest.raises(ChunkedError, match=re.escape(message)):
        Dechunker(64).feed(data)


def test_a_stream_read_to_its_done_event_frees_its_connection() -> None:
    events = b"".join(b"%x\r\n%s\r\n" % (len(event), event) for event in (b"data: 1\n\n", b"data: [DONE]\n\n"))
    connections = 0
    inner = keep_alive(*[b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n" + events + b"0\r\n\r\n"] * 2)

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        await inner(reader, writer)

    async def client_code(client: LeanClient, base: str) -> None:
        for _ in range(2):  # the relay stops at [DONE]: the terminating chunk came in the same read
            reply = await client.send(client.build_request("POST", base + "/stream", json={}), stream=True)
            async for line in reply.aiter_lines():
                if line == "data: [DONE]":
                    break
            await reply.aclose()

    run(handler, client_code)
    assert connections == 1


def test_before_read_runs_once_every_piece_read_so_far_was_handed_on() -> None:
    gate = asyncio.Event()
    log: list[str] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nab\r\n2\r\ncd\r\n")
        await writer.drain()
        await gate.wait()
        writer.write(b"1\r\ne\r\n0\r\n\r\n")
        await writer.drain()
        await reader.read()

    async def client_code(client: LeanClient, base: str) -> None:
        reply = await client.send(client.build_request("POST", base + "/", json={}), stream=True)
        assert isinstance(reply.stream, Body)

        async def before_read() -> None:
            log.append("read")
            gate.set()

        reply.stream.before_read = before_read
        async for piece in reply.aiter_bytes():
            log.append(piece.decode())
        assert log == ["read", "abcd", "read", "e"]

    run(handler, client_code)


def test_a_whole_answer_is_readable_and_a_compressed_one_decoded() -> None:
    packed = gzip.compress(b'{"ok": true}')
    zipped = b"HTTP/1.1 200 OK\r\ncontent-encoding: gzip\r\ncontent-length: %d\r\n\r\n%s" % (len(packed), packed)
    inner = keep_alive(b'HTTP/1.1 200 OK\r\ncontent-length: 12\r\n\r\n{"ok": true}', zipped)

    async def client_code(client: LeanClient, base: str) -> None:
        for _ in range(2):
            reply = await client.post(base + "/", json={})
            assert (reply.json(), reply.text) == ({"ok": True}, '{"ok": true}')
            assert reply.is_closed and reply.is_stream_consumed

    run(inner, client_code)


def relay_gated_stream(separator: bytes, trailer: bytes = b"", buffered: bool = False) -> list[dict[str, Any]]:
    """Relay an upstream that sends its third event only after the gateway wrote something, through
    `CoalescedStreamingResponse`; the ASGI messages it sent (events re-framed with `separator`, then `trailer`)."""
    gate = asyncio.Event()
    messages: list[dict[str, Any]] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n9\r\ndata: 1\n\n\r\n9\r\ndata: 2\n\n\r\n")
        await writer.drain()
        await gate.wait()
        writer.write(b"9\r\ndata: 3\n\n\r\n0\r\n\r\n")
        await writer.drain()
        await reader.read()

    async def client_code(client: LeanClient, base: str) -> None:
        reply = await client.send(client.build_request("POST", base + "/", json={}), stream=True)

        async def events() -> AsyncIterator[bytes]:
            async for line in reply.aiter_lines():
                if line:
                    yield line.encode() + separator
            if trailer:
                yield trailer

        async def send(message: dict[str, Any]) -> None:
            messages.append(message)
            gate.set()

        response = CoalescedStreamingResponse(events(), reply.stream, headers={}, media_type="text/event-stream",
                                              buffered=buffered)
        await response.stream_response(send)  # type: ignore[arg-type]

    run(handler, client_code)
    return messages


def test_the_sse_response_sends_the_events_of_one_read_as_one_message() -> None:
    messages = relay_gated_stream(b"\r\n\r\n", trailer=b"data: [DONE]\r\n\r\n")
    assert [message.get("body") for message in messages] == [
        None, b"data: 1\r\n\r\ndata: 2\r\n\r\n", b"data: 3\r\n\r\ndata: [DONE]\r\n\r\n"]
    assert [message.get("more_body") for message in messages] == [None, True, False]
