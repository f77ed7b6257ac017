"""Raw HTTP/1.1 over a socket, for tests that must control exactly which bytes are sent and when."""

from __future__ import annotations

import json
import socket
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

ANSWER_WAIT_S = 30.0  # a margin, not a measurement: a correct server answers in milliseconds


@dataclass(frozen=True)
class RawReply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def port_of(url: str) -> int:
    port = urlsplit(url).port
    assert port is not None
    return port


def connect(url: str) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port_of(url)), timeout=ANSWER_WAIT_S)


def head(method: str, path: str, headers: dict[str, str]) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", *(f"{name}: {value}" for name, value in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def read_reply(sock: socket.socket, wait_s: float = ANSWER_WAIT_S) -> RawReply | None:
    """The response on `sock` (a Content-Length body), or None when none comes within `wait_s` or the
    connection closes (or is reset) without one."""
    deadline = time.monotonic() + wait_s
    data = b""
    while b"\r\n\r\n" not in data or len(data) < _expected(data):
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            piece = sock.recv(65536)
        except (TimeoutError, ConnectionResetError):
            return None
        if not piece:
            return None
        data += piece
    head_part, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head_part.decode("latin-1").split("\r\n")
    headers = {name.strip().lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
    return RawReply(int(status_line.split()[1]), headers, body[:int(headers.get("content-length", len(body)))])


def _expected(data: bytes) -> int:
    head_part, found, _ = data.partition(b"\r\n\r\n")
    if not found:
        return len(data) + 1
    for line in head_part.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(head_part) + 4 + int(value)
    return len(data)


def closed_by_server(sock: socket.socket, wait_s: float = ANSWER_WAIT_S) -> bool:
    """Whether the server closes `sock` (EOF or reset, whatever it wrote first) within `wait_s`."""
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            if not sock.recv(65536):
                return True
        except ConnectionResetError:
            return True
        except TimeoutError:
            return False
    return False
