"""Exact request timing over a plain `http.client` connection: each read returns as soon as bytes arrive."""

from __future__ import annotations

import http.client
import json
import time
from typing import Any
from urllib.parse import urlsplit

from aigw_conformance.suites.load.samples import Sample
from aigw_conformance.suites.load.sse_events import EventReader, classify

READ_SIZE = 65_536
MAX_ERROR_BODY = 4_096


class TimedClient:
    """One keep-alive connection to `base_url` (http or https, any mount path); not thread-safe: one a user.

    Under gevent (inside locust) the socket is cooperative, so many clients share a process."""

    def __init__(self, base_url: str, headers: dict[str, str] | None = None, timeout_s: float = 60.0) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) base URL: {base_url!r}")
        self._https = parts.scheme == "https"
        self._host, self._port = parts.hostname, parts.port
        self.prefix = parts.path.rstrip("/")
        self.headers = {"content-type": "application/json", **(headers or {})}
        self.timeout_s = timeout_s
        self._conn: http.client.HTTPConnection | None = None

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            factory = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
            self._conn = factory(self._host, self._port, timeout=self.timeout_s)
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def post(self, kind: str, path: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> Sample:
        """Send `body` to `prefix + path` and time it; a streaming body (`"stream": true`) is read event by
        event. Never raises for HTTP or transport failures: they become a failed sample."""
        stream = body.get("stream") is True
        sample = Sample(t=time.time(), kind=kind, ok=False, done=False if stream else None)
        started = time.perf_counter()
        try:
            conn = self._connection()
            conn.request("POST", self.prefix + path, json.dumps(body).encode(), {**self.headers, **(headers or {})})
            response = conn.getresponse()
            sample.headers_ms = _ms(started)
            sample.status = response.status
            if response.status != 200:
                _fail_http(sample, response)
            elif stream:
                _read_stream(sample, response, started)
            else:
                _read_whole(sample, response)
            if response.will_close:
                self.close()
        except (OSError, http.client.HTTPException, ValueError) as exc:
            self.close()
            sample.ok, sample.error = False, f"{type(exc).__name__}: {exc}"[:300]
        sample.e2e_ms = _ms(started)
        return sample


def _ms(started: float, now: float | None = None) -> float:
    return ((time.perf_counter() if now is None else now) - started) * 1000


def _fail_http(sample: Sample, response: http.client.HTTPResponse) -> None:
    body = response.read(MAX_ERROR_BODY)
    response.read()  # drain, so the connection can be reused
    reason = response.getheader("x-error") or body.decode("utf-8", errors="replace").strip()[:200]
    sample.bytes, sample.error = len(body), f"HTTP {response.status}: {reason}"
    sample.retry_after, sample.error_code = response.getheader("retry-after"), _error_code(body)


def _error_code(body: bytes) -> str | None:
    """`error.code` (else `error.type`) of a JSON error body, if it has one."""
    try:
        reply = json.loads(body)
    except ValueError:
        return None
    detail = reply.get("error") if isinstance(reply, dict) else None
    code = detail.get("code") or detail.get("type") if isinstance(detail, dict) else None
    return str(code)[:60] if code else None


def _read_whole(sample: Sample, response: http.client.HTTPResponse) -> None:
    raw = response.read()
    sample.bytes = len(raw)
    reply = json.loads(raw)
    if not isinstance(reply, dict) or not isinstance(reply.get("choices", reply.get("data")), list):
        sample.error = "response is neither a chat completion nor an embeddings list"
        return
    usage = reply.get("usage")
    tokens = usage.get("completion_tokens") if isinstance(usage, dict) else None
    sample.output_tokens, sample.usage_tokens = (tokens, True) if isinstance(tokens, int) else (None, False)
    sample.ok = True


def _read_stream(sample: Sample, response: http.client.HTTPResponse, started: float) -> None:
    """Timestamps each event with the read that completed it; ITL gaps are between token-carrying events."""
    reader, last_token = EventReader(), None
    while block := response.read1(READ_SIZE):
        now = time.perf_counter()
        sample.bytes += len(block)
        for data in reader.feed(block):
            if sample.first_event_ms is None:
                sample.first_event_ms = _ms(started, now)
            chunk = classify(data)
            if chunk.error is not None and sample.error is None:
                sample.error = chunk.error
            if chunk.done:
                sample.done = True
            if chunk.completion_tokens is not None:
                sample.output_tokens, sample.usage_tokens = chunk.completion_tokens, True
            if chunk.token:
                if last_token is None:
                    sample.ttft_ms = _ms(started, now)
                else:
                    sample.itl_ms.append((now - last_token) * 1000)
                last_token, sample.chunks = now, sample.chunks + 1
                sample.last_token_ms = _ms(started, now)
    if not sample.usage_tokens:
        sample.output_tokens = sample.chunks  # no usage chunk: one token per content chunk, approximately
    if sample.error is None and not sample.done:
        sample.error = "stream ended without [DONE]"
    sample.ok = sample.error is None
