"""How far a response got, the messages that say how its transfer failed, and size-bounded body decoding."""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

from aigw_conformance.suites.failures import TargetUnreachable

_HINT_STREAM = "; an event stream must end after `data: [DONE]` and close"


@dataclass
class Progress:
    """What one request has received so far, so a failure can say where it stopped."""

    what: str  # e.g. "POST /chat/completions (stream, include_usage)"
    url: str
    timeout_s: float
    status: int | None = None
    event_stream: bool = False
    size: int = 0
    lines: int = 0
    chunk_times_s: list[float] = field(default_factory=list)
    chunk_ends: list[int] = field(default_factory=list)  # the body's size (bytes as sent) after each read

    def add(self, chunk: bytes, at_s: float) -> None:
        self.size += len(chunk)
        self.chunk_times_s.append(at_s)
        self.chunk_ends.append(self.size)

    def fail(self, problem: str) -> str:
        return f"{self.what}: {problem}"

    @property
    def received(self) -> str:
        count = len(self.chunk_times_s)
        return f"{self.size} bytes in {count} chunk{'' if count == 1 else 's'}"


def _cause(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def describe_timeout(progress: Progress, exc: httpx.TimeoutException | None) -> str:
    """A deadline passed: while connecting, sending, waiting for headers, or reading the body."""
    after = f"timed out after {progress.timeout_s:g}s"
    if isinstance(exc, httpx.ConnectTimeout):
        return progress.fail(f"{after} connecting to {urlsplit(progress.url).netloc}; is the target up and is "
                             "the base URL right?")
    if isinstance(exc, httpx.WriteTimeout):
        return progress.fail(f"{after} sending the request; the target stopped reading it")
    if progress.status is None:
        return progress.fail(f"{after} waiting for the response headers; the target accepted the connection "
                             "but never completed a status line and headers")
    hint = _HINT_STREAM if progress.event_stream else ""
    return progress.fail(f"{after} reading the body of the {progress.status} response ({progress.received} "
                         f"by then); the response never finished{hint}")


def describe_transport_error(progress: Progress, exc: httpx.TransportError | httpx.InvalidURL) -> str:
    """The connection failed, broke, or carried something that is not HTTP/1.1."""
    cause = _cause(exc)
    if isinstance(exc, httpx.InvalidURL | httpx.UnsupportedProtocol):
        return progress.fail(f"the URL {progress.url} cannot be requested ({cause}); check the base URL")
    if isinstance(exc, httpx.ConnectError):
        return progress.fail(f"cannot connect to {urlsplit(progress.url).netloc} ({cause}); is the target up "
                             "and is the base URL right?")
    if progress.status is None:
        if isinstance(exc, httpx.RemoteProtocolError) and "without sending a response" in str(exc):
            return progress.fail("the target closed the connection without sending a response")
        if isinstance(exc, httpx.RemoteProtocolError):
            return progress.fail(f"the response is not valid HTTP/1.1 ({cause})")
        return progress.fail(f"the connection broke before the response headers arrived ({cause})")
    return progress.fail(f"the connection broke while reading the body of the {progress.status} response, after "
                         f"{progress.received} ({cause})")


REDIRECTS = frozenset({301, 302, 303, 307, 308})
LOCATION_SHOWN = 200  # characters of a Location header a message quotes


def shown(text: str, limit: int) -> str:
    """Target-controlled text for a message: control characters escaped, cut to `limit` characters."""
    cleaned = "".join(char if char.isprintable() else repr(char)[1:-1] for char in text[: limit + 1])
    return cleaned[:limit] + ("…" if len(text) > limit or len(cleaned) > limit else "")


def describe_redirect(progress: Progress, location: str) -> str:
    """The target answered a redirect: the harness never follows one, so it is the target's answer and a failure."""
    return progress.fail(
        f"the target answered {progress.status} with Location: {shown(location, LOCATION_SHOWN)}; not followed: "
        "the harness never follows a redirect (it would carry the credentials, the extra headers and the body to "
        "whatever host Location names); if the gateway moved, point the base URL at its new address")


def _decompressor(coding: str) -> zlib._Decompress | None:
    if coding in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if coding == "deflate":
        return zlib.decompressobj(zlib.MAX_WBITS)
    return None


def _decompress(body: bytes, coding: str, limit: int, progress: Progress) -> bytes:
    decompressor = _decompressor(coding)
    if decompressor is None:  # identity, or a coding that was not asked for: the body is kept as sent
        return body
    if coding == "deflate" and body[:1] and (body[0] & 0x0F) != 8:
        decompressor = zlib.decompressobj(-zlib.MAX_WBITS)  # raw deflate without the zlib header, as seen in the wild
    try:
        decoded = decompressor.decompress(body, limit + 1)
        decoded += decompressor.flush() if len(decoded) <= limit and not decompressor.unconsumed_tail else b""
    except zlib.error as exc:
        raise TargetUnreachable(progress.fail(
            f"the {progress.status} response's {coding} body cannot be decompressed ({exc})")) from exc
    if len(decoded) > limit or decompressor.unconsumed_tail:
        raise TargetUnreachable(progress.fail(
            f"the {progress.status} response's {coding} body decompresses to more than {limit} bytes; "
            "decoding stopped"))
    return decoded


def decode_body(body: bytes, content_encoding: str, limit: int, progress: Progress) -> bytes:
    """Undo `content-encoding` (outermost coding last in the header) without ever holding more than `limit`."""
    codings = [coding.strip().lower() for coding in content_encoding.split(",") if coding.strip()]
    for coding in reversed(codings):
        body = _decompress(body, coding, limit, progress)
    return body
