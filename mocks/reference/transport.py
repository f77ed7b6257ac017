"""The gateway's upstream HTTP client: httpx's API over a lean HTTP/1.1 transport on plain asyncio streams."""

# httpx's default transport (httpcore over anyio) and its per-request client machinery were the largest part of
# the gateway's own cost per request: the benchmark (docs/benchmarks.md, "Gateway benchmark") measured ~1 ms
# less added latency at p50 with `LeanClient`. Callers keep httpx's API (`build_request`, `send`, `Response`,
# `aiter_lines`, `aclose`, httpx's exceptions); only the wire handling and `send` are replaced.
#
# Scope: HTTP/1.1 over TCP, TLS for https (certifi's CA bundle, as httpx), keep-alive connections pooled per
# origin and reused only after a response was read to its end; request bodies are read whole and sent with
# Content-Length; responses framed by Content-Length, chunked encoding or the connection's close, their content
# codings undone and their size capped by `bounded.Budget` (whole answers; an event stream's lines). Timeouts come
# from the request (`extensions["timeout"]`, set by the client): connect, write, and read (each read: the idle
# time between bytes). No proxies (the gateway's client ignores the environment), no HTTP/2, no redirects.

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any, NamedTuple

import httpx

from aigw_conformance.mocks.reference.bounded import ACCEPT_ENCODING, DEFAULT_MAX_ANSWER_BYTES, Budget, decoded_headers
from aigw_conformance.mocks.reference.chunked import ChunkedError, Dechunker

MAX_HEAD_BYTES = 64 * 1024
MAX_IDLE_PER_ORIGIN = 64
READ_SIZE = 64 * 1024
MAX_CACHED = 256  # URL strings and header sets whose httpx form is kept
NO_BODY_STATUSES = frozenset({204, 304})
Origin = tuple[str, str, int]
Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]
UNTIMED = contextlib.nullcontext()


def _timeout(request: httpx.Request, kind: str) -> float | None:
    value = request.extensions.get("timeout", {}).get(kind)
    return float(value) if value is not None else None


def _within(request: httpx.Request | None, kind: str) -> AbstractAsyncContextManager[Any]:
    """The request's `kind` timeout; none without a request (`exchange.fetch` keeps the time itself)."""
    return UNTIMED if request is None else asyncio.timeout(_timeout(request, kind))


class Head(NamedTuple):
    """A parsed response head and the body framing it announces."""

    status: int
    version: bytes
    reason: bytes
    headers: list[tuple[bytes, bytes]]
    length: int | None
    chunked: bool
    reusable: bool


def parse_head(head: bytes, method: str, request: httpx.Request | None = None) -> Head:
    """The status line and headers of `head` (ending in a blank line); httpx.RemoteProtocolError if malformed."""
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
    if method == "HEAD" or status in NO_BODY_STATUSES or 100 <= status < 200:
        length, chunked = 0, False
    if chunked:
        length = None
    elif length is None:
        reusable = False  # the body ends when the server closes the connection
    return Head(status, parts[0], parts[2] if len(parts) > 2 else b"", headers, length, chunked, reusable)


class Body(httpx.AsyncByteStream):
    """The response body as it arrives, one piece per socket read (a chunked body de-chunked, a coded one decoded
    in bounded steps, all of it within `budget`); the connection goes back to the pool as soon as the body is
    read whole. `before_read`, when set, is awaited before every socket read: by then every piece read so far
    has been handed on (the SSE relay flushes its events there)."""

    def __init__(self, transport: LeanTransport, origin: Origin, connection: Connection,
                 request: httpx.Request | None, length: int | None, chunked: bool, reusable: bool,
                 budget: Budget) -> None:
        self.transport, self.origin, self.connection, self.request = transport, origin, connection, request
        self.length, self.chunked, self.reusable, self.budget = length, chunked, reusable, budget
        self.done = False
        self.closed = False
        self.before_read: Callable[[], Awaitable[None]] | None = None

    async def _read(self, size: int) -> bytes:
        if self.before_read is not None:
            await self.before_read()
        try:
            async with _within(self.request, "read"):
                return await self.connection[0].read(size)
        except TimeoutError:
            raise httpx.ReadTimeout("timed out reading the response body", request=self.request) from None
        except OSError as exc:
            raise httpx.ReadError(str(exc) or type(exc).__name__, request=self.request) from None

    def _cut(self) -> httpx.RemoteProtocolError:
        return self.cut(self.request)

    @staticmethod
    def cut(request: httpx.Request | None) -> httpx.RemoteProtocolError:
        """What a body cut short raises."""
        return httpx.RemoteProtocolError("peer closed connection without sending complete message body",
                                         request=request)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        budget = self.budget
        if self.length is not None:
            budget.announced(self.length)
            left = self.length
            while left > 0:
                piece = await self._read(min(left, READ_SIZE))
                if not piece:
                    raise self._cut()
                left -= len(piece)
                for out in budget.feed(piece):
                    yield out
        elif self.chunked:
            decoder = Dechunker(MAX_HEAD_BYTES)
            while not decoder.finished:
                data = await self._read(READ_SIZE)
                if not data:
                    raise self._cut()
                try:
                    piece = decoder.feed(data)
                except ChunkedError as exc:
                    raise httpx.RemoteProtocolError(str(exc), request=self.request) from None
                if decoder.finished:  # the connection is free before the last piece is handed on
                    self.done, self.reusable = True, self.reusable and not decoder.buffer
                    await self.aclose()
                for out in budget.feed(piece):
                    yield out
        else:
            while piece := await self._read(READ_SIZE):
                for out in budget.feed(piece):
                    yield out
        self.done = True
        await self.aclose()
        for out in budget.end():
            yield out

    async def aclose(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self.done and self.reusable:
            self.transport.release(self.origin, self.connection)
        else:
            self.connection[1].close()


class LeanTransport(httpx.AsyncBaseTransport):
    def __init__(self, *, verify: ssl.SSLContext | None = None,
                 max_answer_bytes: int = DEFAULT_MAX_ANSWER_BYTES) -> None:
        self.max_answer_bytes = max_answer_bytes
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

    async def _connect(self, origin: Origin, request: httpx.Request | None) -> Connection:
        scheme, host, port = origin
        tls = self._ssl_context() if scheme == "https" else None
        try:
            async with _within(request, "connect"):
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

    async def _exchange(self, connection: Connection, request: httpx.Request | None,
                        data: bytes) -> tuple[bytes, bool]:
        """Write the request and read the response head; (head, whether any response byte arrived)."""
        reader, writer = connection
        writer.write(data)
        try:
            if writer.transport.get_write_buffer_size():  # only what the kernel has not taken can make drain wait
                async with _within(request, "write"):
                    await writer.drain()
            else:
                await writer.drain()  # still raises for a connection already lost
        except TimeoutError:
            raise httpx.WriteTimeout("timed out sending the request", request=request) from None
        except OSError as exc:
            raise httpx.WriteError(str(exc) or type(exc).__name__, request=request) from None
        try:
            async with _within(request, "read"):
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
        parsed = parse_head(head, request.method, request)
        budget = Budget(self.max_answer_bytes, parsed.headers, request)
        stream = Body(self, origin, connection, request, parsed.length, parsed.chunked, parsed.reusable, budget)
        headers = decoded_headers(parsed.headers) if budget.inflaters else parsed.headers
        return httpx.Response(parsed.status, headers=headers, stream=stream,
                              extensions={"http_version": parsed.version, "reason_phrase": parsed.reason})

    async def aclose(self) -> None:
        self._closed = True
        for connections in self._idle.values():
            for _, writer in connections:
                writer.close()
        self._idle.clear()


JSON_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def json_bytes(value: Any) -> bytes:
    """A JSON request body as httpx 0.28+ encodes `json=`: compact, non-ASCII kept as UTF-8, no NaN (also what
    Starlette's `JSONResponse` renders)."""
    return JSON_ENCODER.encode(value).encode("utf-8")


_SAMPLE = {"text": "d\u00e9j\u00e0 \u2028", "values": [1, 2.5, None, True]}
JSON_AS_HTTPX = httpx.Request("POST", "http://localhost/", json=_SAMPLE).content == json_bytes(_SAMPLE)


def _plain_headers(headers: Any) -> bool:
    """None, or a dict of strings without the framing headers httpx computes itself."""
    if headers is None:
        return True
    return type(headers) is dict and all(type(name) is str and type(value) is str
                                         and name.lower() not in ("content-length", "transfer-encoding")
                                         for name, value in headers.items())


class Template:
    """What httpx builds for one method, URL and header set with `json=`: the request for another JSON body is a
    copy with that body and its Content-Length; `wire` gives the bytes `LeanTransport` would send for it."""

    def __init__(self, built: httpx.Request) -> None:
        self.method, self.url, self.extensions = built.method, built.url, built.extensions
        self.raw = list(built.headers.raw)
        self.length_at = [name.lower() for name, _ in self.raw].index(b"content-length")
        url = self.url
        self.origin: Origin | None = (url.scheme, url.host, url.port or (443 if url.scheme == "https" else 80)) \
            if url.scheme in ("http", "https") else None
        lines = [f"{self.method} ".encode() + (url.raw_path or b"/") + b" HTTP/1.1"]
        lines += [name + b": " + value for name, value in self.raw
                  if name.lower() not in (b"content-length", b"transfer-encoding")]
        self.prefix = b"\r\n".join(lines) + b"\r\ncontent-length: "

    def wire(self, body: bytes) -> bytes:
        """The request head and `body`, as `LeanTransport` writes `self.request(body)`."""
        return self.prefix + str(len(body)).encode() + b"\r\n\r\n" + body

    def request(self, body: bytes) -> httpx.Request:
        raw = self.raw.copy()
        raw[self.length_at] = (raw[self.length_at][0], str(len(body)).encode())
        extensions = {key: dict(value) if isinstance(value, dict) else value for key, value in self.extensions.items()}
        request = httpx.Request(self.method, self.url, headers=raw, stream=httpx.ByteStream(body),
                                extensions=extensions)
        request.read()
        return request


class LeanClient(httpx.AsyncClient):
    """`httpx.AsyncClient` over `LeanTransport`, whose `send` skips the per-request machinery the gateway never
    uses (auth flows, redirects, the cookie jar, event hooks): about a third of httpx's own cost per request.
    Requests are built as usual (`build_request`, `post`, ...), with the client's timeouts; the parsed form of
    each URL string is kept (the gateway calls a handful of upstream URLs). An answer is capped at
    `max_answer_bytes`, as received and as decoded (an event stream: each line), see `bounded.Budget`."""

    def __init__(self, *, timeout: httpx.Timeout, max_answer_bytes: int = DEFAULT_MAX_ANSWER_BYTES) -> None:
        self.lean = LeanTransport(max_answer_bytes=max_answer_bytes)
        super().__init__(timeout=timeout, trust_env=False, follow_redirects=False, transport=self.lean,
                         headers={"accept-encoding": ACCEPT_ENCODING})
        self._urls: dict[str, httpx.URL] = {}
        self._templates: dict[tuple[str, str, tuple[tuple[str, str], ...]], Template] = {}

    def build_request(self, method: str, url: httpx.URL | str, *, content: Any = None, data: Any = None,
                      files: Any = None, json: Any = None, params: Any = None, headers: Any = None,
                      cookies: Any = None, timeout: Any = httpx.USE_CLIENT_DEFAULT,
                      extensions: Any = None) -> httpx.Request:
        plain = content is None and data is None and files is None and params is None and cookies is None
        if json is not None and isinstance(url, str) and plain and timeout is httpx.USE_CLIENT_DEFAULT \
                and extensions is None and _plain_headers(headers):
            template = self._template(method, url, headers or {})
            if template is not None:
                return template.request(json_bytes(json))
        if isinstance(url, str):
            url = self._url(url)
        return super().build_request(method, url, content=content, data=data, files=files, json=json,
                                     params=params, headers=headers, cookies=cookies, timeout=timeout,
                                     extensions=extensions)

    def raw_template(self, method: str, url: str, headers: dict[str, str], limit: float) -> Template | None:
        """The template `exchange.fetch` sends a JSON request by, bounded by `limit` (the whole answer's); None
        when `build_request` and `send` must do it: headers httpx treats apart, a URL that is not http(s), a
        full cache, or a read or write timeout shorter than `limit` (`fetch` keeps only `limit` and connect's)."""
        read, write = self.timeout.read, self.timeout.write
        if not _plain_headers(headers) or (read is not None and read < limit) or (write is not None and write < limit):
            return None
        template = self._template(method, url, headers)
        return template if template is not None and template.origin is not None else None

    def _url(self, url: str) -> httpx.URL:
        parsed = self._urls.get(url)
        if parsed is None:
            parsed = httpx.URL(url)
            if len(self._urls) < MAX_CACHED:
                self._urls[url] = parsed
        return parsed

    def _template(self, method: str, url: str, headers: dict[str, str]) -> Template | None:
        """What httpx's own `build_request(method, url, json=..., headers=headers)` makes, but the body; None
        when the cache is full or httpx encodes JSON differently from `json_bytes`."""
        key = (method, url, tuple(headers.items()))
        template = self._templates.get(key)
        if template is None and JSON_AS_HTTPX and len(self._templates) < MAX_CACHED:
            built = super().build_request(method, self._url(url), json={}, headers=headers)
            template = self._templates[key] = Template(built)
        return template

    async def send(self, request: httpx.Request, *, stream: bool = False, auth: Any = None,
                   follow_redirects: Any = None) -> httpx.Response:
        """The answer to `request` (read whole unless `stream`, or unless it is a 2xx event stream: then each line
        is capped instead); `auth` and `follow_redirects` are ignored."""
        response = await self._transport.handle_async_request(request)
        response.request = request
        body = response.stream
        if stream and isinstance(body, Body) and response.is_success \
                and response.headers.get("content-type", "").startswith("text/event-stream"):
            body.budget.whole = False
        if not stream:
            try:
                if isinstance(body, Body):  # what `aread` stores (`Body` has decoded it, within its budget)
                    response._content = b"".join([piece async for piece in body])
                    response.is_stream_consumed = True
                else:
                    await response.aread()
            finally:
                await response.aclose()
        return response
