"""A hostile HTTP target on loopback: the first path segment of the base URL picks how it misbehaves."""

from __future__ import annotations

import asyncio
import gzip
import json
import socket
import struct
from collections.abc import Awaitable, Callable

from loopback import LOOPBACK, LoopbackThreadServer

CHUNK = json.dumps({"id": "chatcmpl-hostile", "object": "chat.completion.chunk", "created": 1, "model": "m",
                    "choices": [{"index": 0, "delta": {"content": "a"}, "finish_reason": None}]})
ERROR_BODY = json.dumps({"error": {"message": "Ungültige Anfrage", "type": "invalid_request_error",
                                   "param": None, "code": None}}, ensure_ascii=False).encode()
HUGE = 100 * 1024 * 1024
BLOCK = b" " * 65536

Writer = asyncio.StreamWriter
Behaviour = Callable[[asyncio.StreamReader, Writer], Awaitable[None]]


def _head(status: str, *headers: str) -> bytes:
    return ("\r\n".join([f"HTTP/1.1 {status}", *headers, "connection: close"]) + "\r\n\r\n").encode("latin-1")


def _chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


async def _send(writer: Writer, data: bytes) -> None:
    writer.write(data)
    await writer.drain()


async def _until_client_leaves(reader: asyncio.StreamReader, writer: Writer) -> None:
    while await reader.read(65536):
        pass


async def stall_headers(reader: asyncio.StreamReader, writer: Writer) -> None:
    """Accepts the request, never answers."""
    await _until_client_leaves(reader, writer)


async def trickle_headers(reader: asyncio.StreamReader, writer: Writer) -> None:
    """Sends the status line, then one header byte every 100 ms, forever."""
    await _send(writer, b"HTTP/1.1 200 OK\r\nx-padding: ")
    while True:
        await _send(writer, b"a")
        await asyncio.sleep(0.1)


async def trickle_body(reader: asyncio.StreamReader, writer: Writer) -> None:
    """A JSON response announcing 1 MB, sent one byte every 100 ms."""
    await _send(writer, _head("200 OK", "content-type: application/json", "content-length: 1000000"))
    while True:
        await _send(writer, b" ")
        await asyncio.sleep(0.1)


async def stall_body(reader: asyncio.StreamReader, writer: Writer) -> None:
    """Headers and the first bytes of the body 1.5 s in, then silence: a per-read timeout alone would wait on."""
    await _send(writer, _head("200 OK", "content-type: application/json", "content-length: 1000"))
    await asyncio.sleep(1.5)
    await _send(writer, b'{"object": ')
    await _until_client_leaves(reader, writer)


async def forever_sse(reader: asyncio.StreamReader, writer: Writer) -> None:
    """An event stream that never ends: one well-formed chunk every 50 ms, never [DONE]."""
    await _send(writer, _head("200 OK", "content-type: text/event-stream", "transfer-encoding: chunked"))
    while True:
        await _send(writer, _chunk(f"data: {CHUNK}\n\n".encode()))
        await asyncio.sleep(0.05)


async def huge_body(reader: asyncio.StreamReader, writer: Writer) -> None:
    """100 MB of JSON-ish padding, chunked (no Content-Length to refuse early), as fast as the client reads."""
    await _send(writer, _head("200 OK", "content-type: application/json", "transfer-encoding: chunked"))
    for _ in range(HUGE // len(BLOCK)):
        await _send(writer, _chunk(BLOCK))
    await _send(writer, b"0\r\n\r\n")


async def huge_declared(reader: asyncio.StreamReader, writer: Writer) -> None:
    """Announces a 100 MB body with Content-Length, then sends it."""
    await _send(writer, _head("200 OK", "content-type: application/json", f"content-length: {HUGE}"))
    for _ in range(HUGE // len(BLOCK)):
        await _send(writer, BLOCK)


async def gzip_bomb(reader: asyncio.StreamReader, writer: Writer) -> None:
    """About 64 KB of gzip that inflates to 64 MB."""
    body = _BOMB[0] or gzip.compress(b"\0" * (64 * 1024 * 1024), compresslevel=9)
    _BOMB[0] = body
    await _send(writer, _head("200 OK", "content-type: application/json", "content-encoding: gzip",
                              f"content-length: {len(body)}") + body)


_BOMB: list[bytes] = [b""]


async def many_events(reader: asyncio.StreamReader, writer: Writer) -> None:
    """Ten million tiny events (`data: {}`), as fast as the client reads."""
    await _send(writer, _head("200 OK", "content-type: text/event-stream", "transfer-encoding: chunked"))
    block = _chunk(b"data: {}\n\n" * 6000)
    for _ in range(10_000_000 // 6000):
        await _send(writer, block)
    await _send(writer, _chunk(b"data: [DONE]\n\n") + b"0\r\n\r\n")


async def malformed_sse(reader: asyncio.StreamReader, writer: Writer) -> None:
    """An event stream with truncated JSON, an unknown field, an unterminated last event and no [DONE]."""
    body = (b'data: {"id": "chatcmpl-x", "object": "chat.completion.chunk", "choi\n\n'
            b"this line is not an SSE field\n"
            b'data: {"choices": []}\n')
    await _send(writer, _head("200 OK", "content-type: text/event-stream", f"content-length: {len(body)}") + body)


async def reset(reader: asyncio.StreamReader, writer: Writer) -> None:
    """Headers and part of the body, then a TCP reset."""
    await _send(writer, _head("200 OK", "content-type: application/json", "content-length: 1000") + b'{"id": ')
    await asyncio.sleep(0.2)
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def close_silently(reader: asyncio.StreamReader, writer: Writer) -> None:
    """Reads the request, then closes the connection without a response."""
    writer.close()


async def garbage(reader: asyncio.StreamReader, writer: Writer) -> None:
    """Answers with something that is not HTTP."""
    await _send(writer, b"HELLO THERE\r\n\r\n")


async def latin1_error(reader: asyncio.StreamReader, writer: Writer) -> None:
    """A 400 error whose `x-error` header value is latin-1 bytes (ü, é), not ASCII."""
    head = _head("400 Bad Request", "content-type: application/json; charset=utf-8",
                 "x-error: Ungültige Anfrage (café)", "x-error-id: err_0123456789abcdef0123456789abcdef",
                 f"content-length: {len(ERROR_BODY)}")
    await _send(writer, head + ERROR_BODY)


BEHAVIOURS: dict[str, Behaviour] = {
    "stall-headers": stall_headers, "trickle-headers": trickle_headers, "trickle-body": trickle_body,
    "stall-body": stall_body, "forever-sse": forever_sse, "huge-body": huge_body, "huge-declared": huge_declared,
    "gzip-bomb": gzip_bomb, "many-events": many_events, "malformed-sse": malformed_sse, "reset": reset,
    "close": close_silently, "garbage": garbage, "latin1-error": latin1_error,
}


async def _read_request(reader: asyncio.StreamReader) -> str:
    """Reads one request and returns its path."""
    head = await reader.readuntil(b"\r\n\r\n")
    request_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.strip().lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
    if length := int(headers.get("content-length", "0") or 0):
        await reader.readexactly(length)
    return request_line.split(" ")[1]


class HostileServer(LoopbackThreadServer):
    """`with HostileServer() as server:` then `server.url("forever-sse")` is a base URL that misbehaves so."""

    def url(self, behaviour: str) -> str:
        assert behaviour in BEHAVIOURS, behaviour
        return f"http://{LOOPBACK}:{self.port}/{behaviour}"

    async def connection(self, reader: asyncio.StreamReader, writer: Writer) -> None:
        path = await _read_request(reader)
        await BEHAVIOURS[path.strip("/").split("/")[0]](reader, writer)
