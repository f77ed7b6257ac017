"""An untrusted gateway on loopback that redirects, floods or injects markup, and a capture server beside it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from loopback import LOOPBACK, LoopbackThreadServer

LONG_LINE_BYTES = 15 * 1024 * 1024  # one line of 15 MB: under the Probe's 16 MiB cap, so it is read whole
MARKUP = '<script>alert("aigw")</script><img src=x onerror=alert(1)>'

Writer = asyncio.StreamWriter


@dataclass(frozen=True)
class Request:
    """One request as it arrived: method, path, headers (lower-case names) and body."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


def _head(status: str, *headers: str) -> bytes:
    return ("\r\n".join([f"HTTP/1.1 {status}", *headers, "connection: close"]) + "\r\n\r\n").encode("latin-1")


async def _read_request(reader: asyncio.StreamReader) -> Request:
    head = await reader.readuntil(b"\r\n\r\n")
    request_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.strip().lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)
               if name.strip()}
    body = await reader.readexactly(int(headers.get("content-length", "0") or 0))
    method, path, _ = request_line.split(" ", 2)
    return Request(method, path, headers, body)


class LoopbackServer(LoopbackThreadServer):
    """A loopback server that reads each request whole, records it, and lets `answer(request, writer)` reply."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[Request] = []

    @property
    def root(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    async def answer(self, request: Request, writer: Writer) -> None:
        raise NotImplementedError

    async def connection(self, reader: asyncio.StreamReader, writer: Writer) -> None:
        request = await _read_request(reader)
        self.requests.append(request)
        await self.answer(request, writer)
        await writer.drain()


class CaptureServer(LoopbackServer):
    """Another origin that records whatever reaches it and answers 200 `{}`: nothing may ever arrive here."""

    async def answer(self, request: Request, writer: Writer) -> None:
        writer.write(_head("200 OK", "content-type: application/json", "content-length: 2") + b"{}")


Answer = Callable[["UntrustedServer", Request, Writer], Awaitable[None]]


async def _redirect(server: UntrustedServer, request: Request, writer: Writer, status: str) -> None:
    location = f"{server.capture.root}/stolen{request.path}"
    writer.write(_head(status, f"location: {location}", "content-length: 0"))


async def redirect_307(server: UntrustedServer, request: Request, writer: Writer) -> None:
    """307 to the capture server: a client that follows re-sends the method, the body and (requests) api-key."""
    await _redirect(server, request, writer, "307 Temporary Redirect")


async def redirect_302(server: UntrustedServer, request: Request, writer: Writer) -> None:
    await _redirect(server, request, writer, "302 Found")


async def redirect_loop(server: UntrustedServer, request: Request, writer: Writer) -> None:
    """302 to the very URL asked for, forever."""
    writer.write(_head("302 Found", f"location: {server.root}{request.path}", "content-length: 0"))


MODELS = json.dumps({"object": "list", "data": [{"id": "m", "object": "model", "created": 1, "owned_by": "x"}]})


async def long_line(server: UntrustedServer, request: Request, writer: Writer) -> None:
    """`GET /models` lists one model (so the preflight passes); every other answer is a 200 event stream of one
    15 MB line with no field name and no end."""
    if request.method == "GET" and request.path.endswith("/models"):
        writer.write(_head("200 OK", "content-type: application/json", f"content-length: {len(MODELS)}")
                     + MODELS.encode())
        return
    writer.write(_head("200 OK", "content-type: text/event-stream", f"content-length: {LONG_LINE_BYTES}"))
    block = b"A" * 65536
    for _ in range(LONG_LINE_BYTES // len(block)):
        writer.write(block)
        await writer.drain()


async def markup(server: UntrustedServer, request: Request, writer: Writer) -> None:
    """A 400 whose body is not the error contract but HTML and a markdown link, with markup in its headers."""
    body = f"{MARKUP} | x | [click](javascript:alert(1))".encode()
    writer.write(_head("400 Bad Request", "content-type: text/html", f"x-error: {MARKUP}",
                       f"x-error-id: {MARKUP}", f"content-length: {len(body)}") + body)


async def slow(server: UntrustedServer, request: Request, writer: Writer) -> None:
    """`GET /models` lists one model; every other request is accepted and never answered."""
    if request.method == "GET" and request.path.endswith("/models"):
        writer.write(_head("200 OK", "content-type: application/json", f"content-length: {len(MODELS)}")
                     + MODELS.encode())
        return
    await asyncio.sleep(3600)


ANSWERS: dict[str, Answer] = {"redirect-307": redirect_307, "redirect-302": redirect_302,
                              "redirect-loop": redirect_loop, "long-line": long_line, "markup": markup, "slow": slow}


class UntrustedServer(LoopbackServer):
    """`server.url("redirect-307")` is a base URL whose every answer misbehaves so (first path segment)."""

    def __init__(self, capture: CaptureServer) -> None:
        super().__init__()
        self.capture = capture

    def url(self, behaviour: str) -> str:
        assert behaviour in ANSWERS, behaviour
        return f"{self.root}/{behaviour}/api/ai/v1"

    async def answer(self, request: Request, writer: Writer) -> None:
        await ANSWERS[request.path.strip("/").split("/")[0]](self, request, writer)
