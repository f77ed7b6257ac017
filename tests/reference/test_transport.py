"""`mocks.reference.transport`: the gateway's lean HTTP/1.1 upstream client, against scripted raw servers."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import httpx
import pytest

from mocks.reference.transport import LeanClient

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
