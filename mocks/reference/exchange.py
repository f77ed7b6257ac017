"""One upstream request read whole, as raw status, headers and body, under a single timer (non-stream chat)."""

# `LeanClient.send` answers with httpx `Response` objects and arms an `asyncio.timeout` per phase (connect, the
# response head, each body read), with another around the whole answer in the caller: each of them a timer
# handle, a task and loop look-up (a getpid system call) and the context manager's own calls. For a JSON
# request whose read and write limits are no shorter than the whole answer's (the gateway's: all the upstream
# timeout), only two limits can ever bind: the whole answer's, and the connect limit while connecting. `fetch`
# keeps both with one timer handle, moved only when it must fire sooner, and answers `Answer` (raw bytes); the
# connection pool, the wire handling and every error and its wording are `LeanTransport`'s.

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from aigw_conformance.mocks.reference.bounded import Budget, decoded_headers
from aigw_conformance.mocks.reference.transport import Body, Connection, LeanClient, Origin, Template, parse_head

ANSWER = "answer"
CONNECT = "connect"


class Deadline:
    """Cancels the current task when the whole answer's time is up, or the connect limit while connecting; the
    timer handle is moved sooner for a connect limit, and back to the end when it fires after the connect."""

    def __init__(self, limit: float) -> None:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task(loop)
        assert task is not None, "Deadline needs a task"
        self.loop, self.task = loop, task
        self.cancelling = task.cancelling()
        self.end = loop.time() + limit
        self.phase: str | None = None  # CONNECT while connecting
        self.armed = ANSWER  # the limit the handle fires for
        self.expired: str | None = None
        self.stopped = False
        self.handle = loop.call_at(self.end, self._fire)

    def connecting(self, seconds: float | None) -> None:
        self.phase = CONNECT
        if seconds is not None and self.loop.time() + seconds < self.end:
            self.handle.cancel()
            self.handle, self.armed = self.loop.call_at(self.loop.time() + seconds, self._fire), CONNECT

    def connected(self) -> None:
        self.phase = None

    def _fire(self) -> None:
        if self.armed == CONNECT and self.phase != CONNECT:  # connected in time: the whole answer's limit again
            self.handle, self.armed = self.loop.call_at(self.end, self._fire), ANSWER
            return
        self.expired = self.armed
        self.task.cancel()

    def stop(self) -> bool:
        """Stop the timer; True (once) when it expired and its cancellation is the only one the task has."""
        self.handle.cancel()
        if self.expired is None or self.stopped:
            return False
        self.stopped = True
        return self.task.uncancel() <= self.cancelling

    def error(self, origin: Origin) -> Exception:
        """What the expired limit raises: TimeoutError for the whole answer, as `asyncio.timeout` does."""
        if self.expired == CONNECT:
            return httpx.ConnectTimeout(f"timed out connecting to {origin[1]}:{origin[2]}")
        return TimeoutError()


class Answer:
    """A whole upstream answer: status, headers as received, the body (decoded as httpx would)."""

    __slots__ = ("content", "extensions", "headers", "status")

    def __init__(self, status: int, headers: list[tuple[bytes, bytes]], content: bytes,
                 extensions: dict[str, Any]) -> None:
        self.status, self.headers, self.content, self.extensions = status, headers, content, extensions

    def response(self) -> httpx.Response:
        """The same answer as the httpx `Response` `LeanClient.send` gives (for the error paths)."""
        response = httpx.Response(self.status, headers=self.headers, stream=Spent(), extensions=self.extensions)
        response._content = self.content
        response.is_stream_consumed = True
        return response


class Spent(httpx.AsyncByteStream):
    """The stream of a response whose body is already read."""

    async def __aiter__(self) -> Any:
        return
        yield


async def fetch(client: LeanClient, template: Template, data: bytes, limit: float) -> Answer:
    """Send `data` (`template.wire(body)`) and read the whole answer within `limit` seconds: TimeoutError when
    the time is up, httpx's errors (ConnectTimeout included) as `LeanClient.send` raises them."""
    assert template.origin is not None
    deadline = Deadline(limit)
    try:
        return await _fetch(client, template.origin, template.method, data, deadline)
    except asyncio.CancelledError:
        if deadline.stop():
            raise deadline.error(template.origin) from None
        raise
    finally:
        deadline.stop()


async def _connect(client: LeanClient, origin: Origin, deadline: Deadline) -> Connection:
    deadline.connecting(client.timeout.connect)
    try:
        return await client.lean._connect(origin, None)
    finally:
        deadline.connected()


async def _fetch(client: LeanClient, origin: Origin, method: str, data: bytes, deadline: Deadline) -> Answer:
    transport = client.lean
    pooled = transport._pooled(origin)
    connection = pooled or await _connect(client, origin, deadline)
    try:
        head, answered = await transport._exchange(connection, None, data)
        if not answered and pooled is not None:  # the server had closed the idle connection: once more, fresh
            connection[1].close()
            connection = await _connect(client, origin, deadline)
            head, answered = await transport._exchange(connection, None, data)
        if not answered:
            raise httpx.RemoteProtocolError("server disconnected without sending a response")
        parsed = parse_head(head, method)
        budget = Budget(transport.max_answer_bytes, parsed.headers, None)
        budget.announced(parsed.length)
    except BaseException:
        connection[1].close()
        raise
    extensions = {"http_version": parsed.version, "reason_phrase": parsed.reason}
    plain = not budget.inflaters
    if plain and parsed.length is not None:  # a Content-Length body (within the cap): one read, as `Body` reads it
        try:
            content = await connection[0].readexactly(parsed.length)
        except BaseException as exc:
            connection[1].close()
            if isinstance(exc, asyncio.IncompleteReadError):
                raise Body.cut(None) from None
            if isinstance(exc, OSError):
                raise httpx.ReadError(str(exc) or type(exc).__name__) from None
            raise
        if parsed.reusable:
            transport.release(origin, connection)
        else:
            connection[1].close()
        return Answer(parsed.status, parsed.headers, content, extensions)
    body = Body(transport, origin, connection, None, parsed.length, parsed.chunked, parsed.reusable, budget)
    try:
        content = b"".join([piece async for piece in body])  # decoded by `Body`, within its budget
    finally:
        await body.aclose()
    return Answer(parsed.status, parsed.headers if plain else decoded_headers(parsed.headers), content, extensions)
