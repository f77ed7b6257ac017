"""The gateway's upstream HTTP client: httpx's API over a lean HTTP/1.1 transport on plain asyncio streams."""

# httpx's default transport (httpcore over anyio) and its per-request client machinery were the largest part of
# the gateway's own cost per request: the benchmark (docs/benchmarks.md, "Gateway benchmark") measured ~1 ms
# less added latency at p50 with `LeanClient`. Callers keep httpx's API (`build_request`, `send`, `Response`,
# `aiter_lines`, `aclose`, httpx's exceptions); only the wire handling and `send` are replaced.
#
# Scope: HTTP/1.1 over TCP, TLS for https (certifi's CA bundle, as httpx), keep-alive connections pooled per
# origin and reused only after a response was read to its end; request bodies are read whole and sent with
# Content-Length; responses framed by Content-Length, chunked encoding or the connection's close. Timeouts come
# from the request (`extensions["timeout"]`, set by the client): connect, write, and read (each read: the idle
# time between bytes). No proxies (the gateway's client ignores the environment), no HTTP/2, no redirects.

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from typing import Any

import httpx

MAX_HEAD_BYTES = 64 * 1024
MAX_IDLE_PER_ORIGIN = 64
READ_SIZE = 64 * 1024
NO_BODY_STATUSES = frozenset({204, 304})
Origin = tuple[str, str, int]
Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


def _timeout(request: httpx.Request, kind: str) -> float | None:
    value = request.extensions.get("timeout", {}).get(kind)
    return float(value) if value is not None else None


class _Body(httpx.AsyncByteStream):
    """The response body as it arrives; the connection goes back to the pool once the body is read whole."""

    def __init__(self, transport: LeanTransport, origin: Origin, connection: Connection, request: httpx.Request,
                 length: int | None, chunked: bool, reusable: bool) -> None:
        self.transport, self.origin, self.connection, self.request = transport, origin, connection, request
        self.length, self.chunked, self.reusable = length, chunked, reusable
        self.done = False
        self.closed = False

    async def _read(self, coroutine: Any) -> Any:
        try:
            async with asyncio.timeout(_timeout(self.request, "read")):
                return await coroutine
        except TimeoutError:
            raise httpx.ReadTimeout("timed out reading the response body", request=self.request) from None
        except asyncio.IncompleteReadError:
            raise httpx.RemoteProtocolError("peer closed connection without sending complete message body",
                                            request=self.request) from None
        except asyncio.LimitOverrunError:
            raise httpx.RemoteProtocolError("malformed chunked body", request=self.request) from None
        except OSError as exc:
            raise httpx.ReadError(str(exc) or type(exc).__name__, request=self.request) from None

    async def __aiter__(self) -> AsyncIterator[bytes]:
        reader = self.connection[0]
        if self.length is not None:
            left = self.length
            while left > 0:
                piece = await self._read(reader.read(min(left, READ_SIZE)))
                if not piece:
                    raise httpx.RemoteProtocolError("peer closed connection without sending complete message "
                                                    "body", request=self.request)
                left -= len(piece)
                yield piece
        elif self.chunked:
            while True:
                line = await self._read(reader.readuntil(b"\r\n"))
                try:
                    size = int(line.split(b";", 1)[0].strip(), 16)
                except ValueError:
                    raise httpx.RemoteProtocolError(f"malformed chunk size {line[:40]!r}",
                                                    request=self.request) from None
                if size == 0:
                    while (await self._read(reader.readuntil(b"\r\n"))) != b"\r\n":
                        pass  # trailers
                    break
                piece = await self._read(reader.readexactly(size + 2))
                yield piece[:-2]
        else:
            while piece := await self._read(reader.read(READ_SIZE)):
                yield piece
        self.done = True
        await self.aclose()

    async def aclose(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self.done and self.reusable:
            self.transport.release(self.origin, self.connection)
        else:
            self.connection[1].close()


class LeanTransport(httpx.AsyncBaseTransport):
    def __init__(self, *, verify: ssl.SSLContext | None = None) -> None:
        self._idle: dict[Origin, list[Connection]] = {}
        self._ssl = verify
        self._closed = False

    def _ssl_context(self) -> ssl.SSLContext:
        if self._ssl is None:
            try:
                import certifi

                self._ssl = ssl.create_default_context(cafile=certifi.where())
            except ImportError:  # pragma: no cover - certifi comes with httpx
                self._ssl = ssl.create_default_context()
        return self._ssl

    def release(self, origin: Origin, connection: Connection) -> None:
        idle = self._idle.setdefault(origin, [])
        if self._closed or len(idle) >= MAX_IDLE_PER_ORIGIN or connection[0].at_eof():
            connection[1].close()
        else:
            idle.append(connection)

    def _pooled(self, origin: Origin) -> Connection | None:
        idle = self._idle.get(origin)
        while idle:
            reader, writer = idle.pop()
            if not reader.at_eof() and not writer.is_closing():
                return reader, writer
            writer.close()
        return None

    async def _connect(self, origin: Origin, request: httpx.Request) -> Connection:
        scheme, host, port = origin
        tls = self._ssl_context() if scheme == "https" else None
        try:
            async with asyncio.timeout(_timeout(request, "connect")):
                return await asyncio.open_connection(host, port, ssl=tls, server_hostname=host if tls else None,
                                                     limit=MAX_HEAD_BYTES)
        except TimeoutError:
            raise httpx.ConnectTimeout(f"timed out connecting to {host}:{port}", request=request) from None
        except (OSError, ssl.SSLError) as exc:
            raise httpx.ConnectError(str(exc) or type(exc).__name__, request=request) from None

    @staticmethod
    def _head(request: httpx.Request, body: bytes) -> bytes:
        lines = [f"{request.method} ".encode() + (request.url.raw_path or b"/") + b" HTTP/1.1"]
        for name, value in request.headers.raw:
            if name.lower() not in (b"content-length", b"transfer-encoding"):
                lines.append(name + b": " + value)
        if body or request.method not in ("GET", "HEAD"):
            lines.append(b"content-length: " + str(len(body)).encode())
        return b"\r\n".join(lines) + b"\r\n\r\n"

    async def _exchange(self, connection: Connection, request: httpx.Request, data: bytes) -> tuple[bytes, bool]:
        """Write the request and read the response head; (head, whether any response byte arrived)."""
        reader, writer = connection
        writer.write(data)
        try:
            async with asyncio.timeout(_timeout(request, "write")):
                await writer.drain()
        except TimeoutError:
            raise httpx.WriteTimeout("timed out sending the request", request=request) from None
        except OSError as exc:
            raise httpx.WriteError(str(exc) or type(exc).__name__, request=request) from None
        try:
            async with asyncio.timeout(_timeout(request, "read")):
                head = await reader.readuntil(b"\r\n\r\n")
        except TimeoutError:
            raise httpx.ReadTimeout("timed out waiting for the response", request=request) from None
        except asyncio.IncompleteReadError as exc:
            if exc.partial:
                raise httpx.RemoteProtocolError("peer closed connection in the response head",
                                                request=request) from None
            return b"", False
        except asyncio.LimitOverrunError:
            raise httpx.RemoteProtocolError("response head too large", request=request) from None
        except OSError as exc:
            raise httpx.ReadError(str(exc) or type(exc).__name__, request=request) from None
        return head, True

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.scheme not in ("http", "https"):
            raise httpx.UnsupportedProtocol(f"unsupported URL scheme {url.scheme!r}", request=request)
        origin: Origin = (url.scheme, url.host, url.port or (443 if url.scheme == "https" else 80))
        body = await request.aread()
        data = self._head(request, body) + body
        pooled = self._pooled(origin)
        connection = pooled or await self._connect(origin, request)
        try:
            head, answered = await self._exchange(connection, request, data)
            if not answered and pooled is not None:  # the server had closed the idle connection: once more, fresh
                connection[1].close()
                connection = await self._connect(origin, request)
                head, answered = await self._exchange(connection, request, data)
            if not answered:
                raise httpx.RemoteProtocolError("server disconnected without sending a response", request=request)
            return self._response(origin, connection, request, head)
        except BaseException:
            connection[1].close()
            raise

    def _response(self, origin: Origin, connection: Connection, request: httpx.Request,
                  head: bytes) -> httpx.Response:
        status_line, *header_lines = head[:-4].split(b"\r\n")
        parts = status_line.split(b" ", 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
            raise httpx.RemoteProtocolError(f"malformed status line {status_line[:60]!r}", request=request)
        status = int(parts[1])
        headers: list[tuple[bytes, bytes]] = []
        length: int | None = None
        chunked = False
        reusable = parts[0] == b"HTTP/1.1"
        for line in header_lines:
            name, sep, value = line.partition(b":")
            if not sep or not name or name != name.strip():
                raise httpx.RemoteProtocolError(f"malformed header line {line[:60]!r}", request=request)
            value = value.strip()
            lowered = name.lower()
            if lowered == b"content-length":
                if not value.isdigit():
                    raise httpx.RemoteProtocolError(f"malformed content-length {value[:20]!r}", request=request)
                length = int(value)
            elif lowered == b"transfer-encoding":
                chunked = value.lower().endswith(b"chunked")
            elif lowered == b"connection":
                reusable = reusable and b"close" not in value.lower()
            headers.append((name, value))
        if request.method == "HEAD" or status in NO_BODY_STATUSES or 100 <= status < 200:
            length, chunked = 0, False
        if chunked:
            length = None
        elif length is None:
            reusable = False  # the body ends when the server closes the connection
        stream = _Body(self, origin, connection, request, length, chunked, reusable)
        return httpx.Response(status, headers=headers, stream=stream,
                              extensions={"http_version": parts[0], "reason_phrase": parts[2] if len(parts) > 2
                                          else b""})

    async def aclose(self) -> None:
        self._closed = True
        for connections in self._idle.values():
            for _, writer in connections:
                writer.close()
        self._idle.clear()


class LeanClient(httpx.AsyncClient):
    """`httpx.AsyncClient` over `LeanTransport`, whose `send` skips the per-request machinery the gateway never
    uses (auth flows, redirects, the cookie jar, event hooks): about a third of httpx's own cost per request.
    Requests are built as usual (`build_request`, `post`, ...), with the client's timeouts."""

    def __init__(self, *, timeout: httpx.Timeout) -> None:
        super().__init__(timeout=timeout, trust_env=False, follow_redirects=False, transport=LeanTransport())

    async def send(self, request: httpx.Request, *, stream: bool = False, auth: Any = None,
                   follow_redirects: Any = None) -> httpx.Response:
        """The answer to `request` (read whole unless `stream`); `auth` and `follow_redirects` are ignored."""
        response = await self._transport.handle_async_request(request)
        response.request = request
        if not stream:
            try:
                await response.aread()
            finally:
                await response.aclose()
        return response
