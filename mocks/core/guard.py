"""Connection limits for a server facing untrusted clients: request-head size, header count, read timeouts, a cap."""

# uvicorn's httptools protocol with the limits uvicorn leaves out: a connection must send its whole request head
# within `header_timeout_s` (of connecting, or of its previous request) and its body within `body_timeout_s` (of
# the head); a head over `max_header_bytes` or with more than `max_headers` fields is refused with 431, a late
# one with 408; at `max_connections` a new connection closes the open connection that has waited longest without
# a request in progress (idle, or still sending its head: a slow-loris client), or is refused with 503 when every
# one is busy. Refusals are rendered by `ServerLimits.render` (the server's own error contract);
# the limits themselves are `serverlimits.py`'s.

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from aigw_conformance.mocks.core.serverlimits import ServerLimits


class ConnectionTable:
    """The open connections of one server; `waiting` holds those without a request in progress, oldest first."""

    def __init__(self, limits: ServerLimits) -> None:
        self.limits, self.cap = limits, limits.connection_cap()
        self.open: set[GuardedProtocol] = set()
        self.waiting: OrderedDict[GuardedProtocol, None] = OrderedDict()

    def admit(self, connection: GuardedProtocol) -> bool:
        if len(self.open) >= self.cap:
            victim = next(iter(self.waiting), None)
            if victim is None:
                return False
            victim.evict()
        self.open.add(connection)
        self.wait(connection)
        return True

    def wait(self, connection: GuardedProtocol) -> None:
        if connection in self.open:
            self.waiting[connection] = None
            self.waiting.move_to_end(connection)

    def busy(self, connection: GuardedProtocol) -> None:
        self.waiting.pop(connection, None)

    def gone(self, connection: GuardedProtocol) -> None:
        self.open.discard(connection)
        self.waiting.pop(connection, None)


class Refused(Exception):
    """Raised in a parser callback; the parser error it becomes is answered with `status`."""


class GuardedProtocol(HttpToolsProtocol):
    table: ConnectionTable  # set on the per-server subclass made by `protocol_class`

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self._refusal: tuple[int, str, str] | None = None
        self._head_bytes = self._head_size = self._header_count = self._chunk_body = 0
        self._deadline: Any = None
        self._in_head = True
        if not self.table.admit(self):
            self.refuse(503, "the server is at its connection limit; retry shortly", "server_busy")
            return
        self._arm(self.table.limits.header_timeout_s, "the request head")

    def connection_lost(self, exc: Exception | None) -> None:
        self.table.gone(self)
        self._disarm()
        super().connection_lost(exc)

    def evict(self) -> None:
        self.table.gone(self)
        self._disarm()
        self.transport.abort()

    def _arm(self, seconds: float, what: str) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, self._late, what, seconds)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _late(self, what: str, seconds: float) -> None:
        self._deadline = None
        if self.cycle is not None and self.cycle.response_started and not self._in_head:
            self.transport.close()  # answered already (before reading the body): nothing left to say
            return
        self.refuse(408, f"{what} did not arrive within {seconds:g} s", "request_timeout")

    def refuse(self, status: int, message: str, code: str) -> None:
        """Answer `status` with the server's error contract and close, whatever the request was doing."""
        self._disarm()
        self.table.gone(self)
        if self.cycle is not None:  # the application's task sees a disconnect; its own answer goes nowhere
            self.cycle.disconnected = True
            self.cycle.message_event.set()
        if self.transport.is_closing():
            return
        if self.cycle is not None and self.cycle.response_started and not self.cycle.response_complete:
            self.transport.close()  # mid-answer: a refusal written now would corrupt it
            return
        path = self.scope.get("path") if self.scope and not self._in_head else None
        headers, body = self.table.limits.render(status, message, code, path)
        head = [STATUS_LINE[status]]
        fields = [*headers, ("content-length", str(len(body))), ("connection", "close")]
        head += [f"{name}: {value}\r\n".encode("latin-1") for name, value in fields]
        self.transport.write(b"".join([*head, b"\r\n", body]))
        self.transport.close()

    def send_400_response(self, msg: str) -> None:  # uvicorn's answer to any parser error, Refused included
        status, message, code = self._refusal or (400, f"malformed HTTP request: {msg}", "invalid_http_request")
        self.refuse(status, message, code)

    def data_received(self, data: bytes) -> None:
        in_head, self._chunk_body = self._in_head, 0
        super().data_received(data)
        if (in_head or self._in_head) and not self.transport.is_closing():
            self._head_bytes += len(data) - self._chunk_body  # a body's bytes in the same read are no head's
            if self._in_head and self._head_bytes > self.table.limits.max_header_bytes:
                self.refuse(431, f"request head exceeds {self.table.limits.max_header_bytes} bytes",
                            "request_header_too_large")

    def _over(self, message: str) -> None:
        self._refusal = (431, message, "request_header_too_large")
        raise Refused(message)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_size = self._header_count = 0
        if not self._in_head:
            self._in_head, self._head_bytes = True, 0
            self._arm(self.table.limits.header_timeout_s, "the request head")

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        self._head_size += len(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        limits = self.table.limits
        self._header_count += 1
        self._head_size += len(name) + len(value) + 4
        if self._header_count > limits.max_headers:
            self._over(f"more than {limits.max_headers} header fields")
        if self._head_size > limits.max_header_bytes:
            self._over(f"request head exceeds {limits.max_header_bytes} bytes")
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_head, self._head_bytes = False, 0
        self._disarm()
        self.table.busy(self)
        super().on_headers_complete()
        self._arm(self.table.limits.body_timeout_s, "the request body")  # disarmed when the message completes

    def on_body(self, body: bytes) -> None:
        self._chunk_body += len(body)
        super().on_body(body)

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and (self.cycle is None or self.cycle.response_complete):
            self.table.wait(self)  # idle, or only a refused body still arriving (discarded): may be evicted


def protocol_class(limits: ServerLimits) -> type[GuardedProtocol]:
    """A protocol class for one server (`uvicorn.Config(http=...)`): its own connection table."""
    return type("GuardedProtocol", (GuardedProtocol,), {"table": ConnectionTable(limits)})
