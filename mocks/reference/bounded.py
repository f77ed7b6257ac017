"""Provider answers within a cap, as received and as decoded (gzip, deflate), in bounded steps: larger is an error."""

# A provider's answer is read into the gateway's memory (a whole answer) or split into lines (an event stream).
# Without a cap a 1 GB body, or a 1 MB gzip body that inflates to 1 GB, is held whole. `Budget` counts what a
# `transport.Body` hands on: a whole answer may not exceed the cap as received nor as decoded; an event stream,
# which is relayed as it arrives, may not hold a line longer than the cap. Content codings are undone here, one
# bounded step at a time (httpx's decoders inflate each read whole), and only the ones the gateway asks for.

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator

import httpx

DEFAULT_MAX_ANSWER_BYTES = 32 * 1024 * 1024
STEP = 64 * 1024  # the most one decoding step hands on
ACCEPT_ENCODING = "gzip, deflate"  # what the gateway offers: the codings `Decoder` undoes within the cap
_WBITS = {"gzip": zlib.MAX_WBITS | 16, "x-gzip": zlib.MAX_WBITS | 16, "deflate": zlib.MAX_WBITS}


class AnswerTooLarge(httpx.DecodingError):
    """A provider answer beyond the gateway's cap (an httpx error: the callers answer the documented provider
    error for it, as for any other broken answer)."""


def codings(headers: list[tuple[bytes, bytes]]) -> list[str]:
    """The answer's content codings in the order they were applied, `identity` left out."""
    values = b",".join(value for name, value in headers if name.lower() == b"content-encoding")
    return [coding for part in values.split(b",") if (coding := part.strip().lower().decode("latin-1"))
            and coding != "identity"]


def decoded_headers(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """`headers` as they are for the decoded body: no content-encoding, and no content-length (the coded one)."""
    return [(name, value) for name, value in headers if name.lower() not in (b"content-encoding", b"content-length")]


class _Inflater:
    """One content coding undone in steps of at most STEP bytes."""

    def __init__(self, coding: str) -> None:
        if coding not in _WBITS:
            raise httpx.DecodingError(f"unsupported content-encoding {coding!r} (the gateway asks for "
                                      f"{ACCEPT_ENCODING})")
        self.coding, self.started = coding, False
        self.inflater = zlib.decompressobj(_WBITS[coding])

    def feed(self, data: bytes) -> Iterator[bytes]:
        try:
            if not self.started and self.coding == "deflate" and data:
                self.started = True
                try:  # a zlib stream, or a raw deflate one (as httpx accepts both)
                    zlib.decompressobj(zlib.MAX_WBITS).decompress(data[:STEP], 1)
                except zlib.error:
                    self.inflater = zlib.decompressobj(-zlib.MAX_WBITS)
            out = self.inflater.decompress(data, STEP)
            yield out
            while self.inflater.unconsumed_tail or len(out) == STEP:
                out = self.inflater.decompress(self.inflater.unconsumed_tail, STEP)
                if not out and not self.inflater.unconsumed_tail:
                    return
                yield out
        except zlib.error as exc:
            raise httpx.DecodingError(f"malformed {self.coding} body: {exc}") from None

    def flush(self) -> bytes:
        try:
            return self.inflater.flush()
        except zlib.error as exc:
            raise httpx.DecodingError(f"malformed {self.coding} body: {exc}") from None


class Budget:
    """Counts and decodes one answer's pieces: `whole` (read to the end by the gateway) caps the received and the
    decoded total at `limit`; otherwise (an event stream, relayed as it arrives) only a line may not exceed it."""

    def __init__(self, limit: int, headers: list[tuple[bytes, bytes]], request: httpx.Request | None) -> None:
        self.limit, self.request = limit, request
        self.whole = True
        self.received = self.decoded = self.line = 0
        self.inflaters = [_Inflater(coding) for coding in reversed(codings(headers))]

    def _too_large(self, what: str) -> AnswerTooLarge:
        return AnswerTooLarge(f"provider answer {what} more than the gateway's limit of {self.limit} bytes",
                              request=self.request)

    def announced(self, length: int | None) -> None:
        """Refuse at once a whole answer whose Content-Length is beyond the cap."""
        if self.whole and length is not None and length > self.limit:
            raise self._too_large(f"announces {length} bytes,")

    def feed(self, data: bytes) -> Iterable[bytes]:
        """The decoded pieces `data` (as received) gives; AnswerTooLarge beyond the cap."""
        self.received += len(data)
        if self.whole and self.received > self.limit:
            raise self._too_large("holds")
        if self.inflaters:
            return self._counted(self._decode([data], 0))
        if not self.whole and data:  # nothing to decode: the line count is all that is left to do
            self._line(data)
        return (data,) if data else ()

    def end(self) -> Iterator[bytes]:
        """What the decoders still hold once the answer is read."""
        for at, inflater in enumerate(self.inflaters):
            yield from self._counted(self._decode([inflater.flush()], at + 1))

    def _decode(self, pieces: list[bytes], start: int) -> Iterator[bytes]:
        if start == len(self.inflaters):
            yield from pieces
            return
        for piece in pieces:
            for out in self.inflaters[start].feed(piece):
                yield from self._decode([out], start + 1)

    def _counted(self, pieces: Iterator[bytes]) -> Iterator[bytes]:
        for piece in pieces:
            if not piece:
                continue
            self.decoded += len(piece)
            if self.whole and self.decoded > self.limit:
                raise self._too_large("decodes to")
            if not self.whole:
                self._line(piece)
            yield piece

    def _line(self, piece: bytes) -> None:
        """Count the bytes of the line being received; AnswerTooLarge when one is longer than the cap."""
        breaks = [at for at in (piece.find(b"\n"), piece.find(b"\r")) if at >= 0]
        if breaks:
            if self.line + min(breaks) > self.limit:  # the line this piece ends
                raise self._too_large("has a line of")
            self.line = len(piece) - max(piece.rfind(b"\n"), piece.rfind(b"\r")) - 1
        else:
            self.line += len(piece)
        if self.line > self.limit:
            raise self._too_large("has a line of")
