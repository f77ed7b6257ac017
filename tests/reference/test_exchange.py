"""`mocks.reference.exchange.fetch`: the same answers, errors and bytes on the wire as `LeanClient.send`."""

from __future__ import annotations

import asyncio
import gzip
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from aigw_conformance.mocks.reference.exchange import fetch
from aigw_conformance.mocks.reference.transport import LeanClient, LeanTransport, Template, json_bytes

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
TIMEOUT = httpx.Timeout(2.0, connect=1.0)
BODY = {"model": "gpt-5-mini", "text": "déjà \u2028"}
HEADERS = {"authorization": "Bearer sk-1", "x-mock-delay-ms": "0"}
PACKED = gzip.compress(b'{"ok": true}')
ANSWERS = [
    b'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 12\r\n\r\n{"ok": true}',
    b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\ntrailer: x\r\n\r\n",
    b"HTTP/1.1 200 OK\r\ncontent-encoding: gzip\r\ncontent-length: %d\r\n\r\n%s" % (len(PACKED), PACKED),
    b'HTTP/1.1 503 Service Unavailable\r\ncontent-length: 22\r\n\r\n{"error": {"code": 1}}',
    b"HTTP/1.1 404 Not Here\r\ncontent-type: text/plain; charset=latin-1\r\ncontent-length: 3\r\n\r\n\xe9t\xe9",
    b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n" + b"x" * 100_000,
]


async def read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), 0)
    return head + await reader.readexactly(length)


def run(handler: Handler, client_code: Callable[[LeanClient, str], Awaitable[None]],
        timeout: httpx.Timeout = TIMEOUT) -> None:
    """Serve `handler` on a loopback port and run `client_code(client, base_url)`."""

    async def main() -> None:
        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                await handler(reader, writer)
            except (asyncio.IncompleteReadError, ConnectionError):
                pass
            finally:
                writer.close()

        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with server, LeanClient(timeout=timeout) as client:
            await client_code(client, f"http://127.0.0.1:{port}")

    asyncio.run(main())


def answering(seen: list[bytes], *responses: bytes) -> Handler:
    """Answer successive requests with `responses` (on one connection unless one closes it); `seen` gets them."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for response in responses:
            seen.append(await read_request(reader))
            writer.write(response)
            await writer.drain()
            if b"connection: close" in response:
                return
        await reader.read()

    return handler


def template(client: LeanClient, base: str) -> Template:
    found = client.raw_template("POST", base + "/v1/chat/completions", HEADERS, 2.0)
    assert found is not None
    return found


def summary(response: httpx.Response) -> tuple[Any, ...]:
    return (response.status_code, response.headers.raw, response.content, response.text, response.reason_phrase,
            response.http_version)


@pytest.mark.parametrize("answer", ANSWERS)
def test_fetch_answers_what_send_answers_and_sends_the_same_bytes(answer: bytes) -> None:
    results: list[tuple[Any, ...]] = []

    async def client_code(client: LeanClient, base: str) -> None:
        sent = await client.post(base + "/v1/chat/completions", json=BODY, headers=HEADERS)
        results.append(summary(sent))
        raw = await fetch(client, template(client, base), template(client, base).wire(json_bytes(BODY)), 2.0)
        results.append(summary(raw.response()))
        assert raw.content == sent.content and raw.status == sent.status_code

    seen: list[bytes] = []
    run(answering(seen, answer, answer), client_code)
    assert results[0] == results[1]
    assert len(seen) == 2 and seen[0] == seen[1]


def test_the_wire_bytes_are_what_the_transport_writes_for_the_built_request() -> None:
    async def main() -> None:
        async with LeanClient(timeout=TIMEOUT) as client:
            for headers in ({}, HEADERS, {"Accept": "text/event-stream", "Host": "upstream.example"}):
                found = client.raw_template("POST", "http://127.0.0.1:9/v1/chat/completions?x=1", headers, 2.0)
                assert found is not None
                for body in (BODY, {}, ["x"] * 3):
                    data = json_bytes(body)
                    built = client.build_request("POST", "http://127.0.0.1:9/v1/chat/completions?x=1", json=body,
                                                 headers=headers)
                    assert found.wire(data) == LeanTransport._head(built, data) + data

    asyncio.run(main())


def test_requests_fetch_cannot_keep_the_time_of_go_the_usual_way() -> None:
    async def main() -> None:
        async with LeanClient(timeout=httpx.Timeout(2.0, read=1.0)) as short, LeanClient(timeout=TIMEOUT) as client:
            assert short.raw_template("POST", "http://127.0.0.1:9/v1", {}, 2.0) is None  # read limit < whole
            assert client.raw_template("POST", "ftp://127.0.0.1:9/v1", {}, 2.0) is None
            assert client.raw_template("POST", "http://127.0.0.1:9/v1", {"content-length": "3"}, 2.0) is None

    asyncio.run(main())


@pytest.mark.parametrize("response", [
    b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nshort",
    b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nab",
    b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n",
    b"SMTP ready\r\n\r\n",
    b"HTTP/1.1 200 OK\r\ncontent-length: ten\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nbad header line\r\n\r\n",
    b"",
])
def test_broken_answers_raise_the_errors_send_raises(response: bytes) -> None:
    errors: list[tuple[type[Exception], str]] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(response)
        await writer.drain()

    async def client_code(client: LeanClient, base: str) -> None:
        with pytest.raises(httpx.HTTPError) as sent:
            await client.post(base + "/v1/chat/completions", json=BODY, headers=HEADERS)
        with pytest.raises(httpx.HTTPError) as fetched:
            await fetch(client, template(client, base), template(client, base).wire(json_bytes(BODY)), 2.0)
        errors.extend([(type(sent.value), str(sent.value)), (type(fetched.value), str(fetched.value))])

    run(handler, client_code)
    assert errors[0] == errors[1]


def test_a_silent_server_is_a_timeout_of_the_whole_answer() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        await asyncio.sleep(5)

    async def client_code(client: LeanClient, base: str) -> None:
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            await fetch(client, template(client, base), template(client, base).wire(b"{}"), 0.3)
        assert 0.25 < time.monotonic() - started < 2.5  # half the server's 5 s silence: the margin for a busy CPU
        assert client.lean._idle.get(template(client, base).origin or ("", "", 0), []) == []  # not pooled
        await asyncio.sleep(0.05)  # no stray cancellation is left for the task

    run(handler, client_code)


def test_a_slow_connect_is_a_connect_timeout_and_a_quick_one_leaves_the_whole_limit() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        await asyncio.sleep(5)

    async def client_code(client: LeanClient, base: str) -> None:
        connect = client.lean._connect
        found = template(client, base)

        async def slow(origin: Any, request: Any) -> Any:
            await asyncio.sleep(5)

        client.lean._connect = slow  # type: ignore[method-assign]
        started = time.monotonic()
        with pytest.raises(httpx.ConnectTimeout, match=r"timed out connecting to 127\.0\.0\.1:\d+"):
            await fetch(client, found, found.wire(b"{}"), 1.5)
        assert time.monotonic() - started < 1.5  # the 0.3 s connect limit, not the whole answer's 1.5 s
        client.lean._connect = connect  # type: ignore[method-assign]
        started = time.monotonic()
        with pytest.raises(TimeoutError):  # connected within 0.3 s: then the whole answer's 1.5 s
            await fetch(client, found, found.wire(b"{}"), 1.5)
        assert 1.45 < time.monotonic() - started < 4  # under the server's 5 s silence

    run(handler, client_code, httpx.Timeout(2.0, connect=0.3))


def test_a_cancellation_from_elsewhere_stays_a_cancellation() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        await asyncio.sleep(5)

    async def client_code(client: LeanClient, base: str) -> None:
        found = template(client, base)
        task = asyncio.create_task(fetch(client, found, found.wire(b"{}"), 2.0))
        await asyncio.sleep(0.1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    run(handler, client_code)


def test_an_idle_connection_closed_by_the_server_is_retried_fresh() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
        await writer.drain()  # then close without saying so (a keep-alive timeout)

    async def client_code(client: LeanClient, base: str) -> None:
        found = template(client, base)
        for _ in range(2):
            assert (await fetch(client, found, found.wire(b"{}"), 2.0)).content == b"ok"
            await asyncio.sleep(0.05)

    run(handler, client_code)
