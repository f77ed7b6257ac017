"""A provider on 127.0.0.1 that answers what a test scripts: a huge body, a gzip bomb, an endless event-stream line."""

from __future__ import annotations

import json
import socketserver
import threading
import zlib
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any

MIB = 1024 * 1024
COMPLETION = {
    "id": "chatcmpl-hostile", "object": "chat.completion", "created": 1_700_000_000, "model": "gpt-5-mini",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6},
}
EMBEDDING = {"object": "list", "model": "text-embedding-3-small",
             "data": [{"object": "embedding", "index": 0, "embedding": [0.5, 0.25]}],
             "usage": {"prompt_tokens": 1, "total_tokens": 1}}
Answer = Callable[[bytes], Iterator[bytes]]  # the request head → the response's bytes, piece by piece


def padded(document: dict[str, Any], padding: int) -> Iterator[bytes]:
    """`document` as JSON followed by `padding` spaces (valid JSON of any size), 1 MiB at a time."""
    yield json.dumps(document).encode()
    block = b" " * MIB
    for start in range(0, padding, MIB):
        yield block[:min(MIB, padding - start)]


def gzipped(pieces: Iterator[bytes]) -> bytes:
    """The gzip coding of the concatenated pieces (spaces compress about a thousandfold: a bomb)."""
    coder = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    return b"".join([*(coder.compress(piece) for piece in pieces), coder.flush()])


def whole(body: Iterator[bytes], length: int, *, encoding: str | None = None, chunked: bool = False,
          content_type: str = "application/json") -> Answer:
    """A 200 answer of `length` bytes (`body`), framed by Content-Length or chunked."""
    head = [b"HTTP/1.1 200 OK", b"content-type: " + content_type.encode(), b"connection: close"]
    head += [b"content-encoding: " + encoding.encode()] if encoding else []
    head += [b"transfer-encoding: chunked"] if chunked else [b"content-length: " + str(length).encode()]

    def answer(_: bytes) -> Iterator[bytes]:
        yield b"\r\n".join(head) + b"\r\n\r\n"
        for piece in body:
            yield b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece
        if chunked:
            yield b"0\r\n\r\n"

    return answer


class HostileProvider(socketserver.ThreadingTCPServer):
    """`with HostileProvider() as provider:` then set `provider.answer`; `provider.url` is its /v1 base. Every
    request is answered by `answer` on a connection of its own; `sent` counts the body bytes written (a reader
    that gave up early leaves it short)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.answer: Answer = whole(iter([json.dumps(COMPLETION).encode()]), len(json.dumps(COMPLETION)))
        self.sent = 0
        self.url = f"http://127.0.0.1:{self.server_address[1]}/v1"
        self._thread = threading.Thread(target=self.serve_forever, name="hostile-provider", daemon=True)

    def __enter__(self) -> HostileProvider:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.shutdown()
        self.server_close()
        self._thread.join(timeout=10)


class _Handler(socketserver.StreamRequestHandler):
    server: HostileProvider

    def handle(self) -> None:
        head = b""
        while not head.endswith(b"\r\n\r\n"):
            line = self.rfile.readline(65536)
            if not line:
                return
            head += line
        length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                       if line.lower().startswith(b"content-length:")), 0)
        self.rfile.read(length)
        self.server.sent = 0
        try:
            for number, piece in enumerate(self.server.answer(head)):
                self.wfile.write(piece)
                self.server.sent += len(piece) if number else 0
        except (TimeoutError, BrokenPipeError, ConnectionResetError):
            pass  # the gateway stopped reading: what a cap does
