"""HTTP/1.1 chunked transfer coding, decoded incrementally: all the body data one read brought, as one piece."""

from __future__ import annotations

SIZE, DATA, DATA_END, TRAILER, DONE = range(5)


class ChunkedError(ValueError):
    """A malformed chunked body (a bad chunk-size line, or a line longer than the limit)."""


class Dechunker:
    """Feed it what each read returns; it answers the body data those bytes complete. Chunk extensions and
    trailers are skipped; the two bytes after a chunk's data are taken as its CRLF unread."""

    def __init__(self, line_limit: int) -> None:
        self.buffer = bytearray()  # bytes read but not decoded yet (an incomplete line); after the end: extra bytes
        self.state = SIZE
        self.left = 0  # data bytes of the current chunk still to come
        self.line_limit = line_limit

    @property
    def finished(self) -> bool:
        """Whether the last chunk and the trailers have been read."""
        return self.state == DONE

    def feed(self, data: bytes) -> bytes:
        buffer = self.buffer
        buffer += data
        out = bytearray()
        while self.state != DONE:
            if self.state == DATA:
                taken = min(self.left, len(buffer))
                out += buffer[:taken]
                del buffer[:taken]
                self.left -= taken
                if self.left:
                    break
                self.state = DATA_END
            elif self.state == DATA_END:
                if len(buffer) < 2:
                    break
                del buffer[:2]
                self.state = SIZE
            elif not self._line(buffer):
                break
        return bytes(out)

    def _line(self, buffer: bytearray) -> bool:
        """Consume one chunk-size or trailer line; False when it is not complete yet."""
        end = buffer.find(b"\r\n")
        if end < 0:
            if len(buffer) > self.line_limit:
                raise ChunkedError("malformed chunked body")
            return False
        line = bytes(buffer[:end + 2])
        del buffer[:end + 2]
        if self.state == TRAILER:
            self.state = DONE if line == b"\r\n" else TRAILER
            return True
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            size = -1
        if size < 0:
            raise ChunkedError(f"malformed chunk size {line[:40]!r}")
        self.state, self.left = (DATA, size) if size else (TRAILER, 0)
        return True
