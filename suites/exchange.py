"""One request/response pair as the checks see it, and the bounded HTTP probe that records it."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import httpx

from aigw_conformance.suites import sse
from aigw_conformance.suites.deadline import DeadlineTransport, RunBudget, deadline
from aigw_conformance.suites.failures import RunBudgetSpent, TargetUnreachable
from aigw_conformance.suites.headers import with_extra
from aigw_conformance.suites.transfer import (
    REDIRECTS,
    Progress,
    decode_body,
    describe_redirect,
    describe_timeout,
    describe_transport_error,
)

MAX_BODY_BYTES = 16 * 1024 * 1024
MAX_STREAM_LINES = 200_000  # an event stream with more lines is a flood of tiny events, not an answer
ACCEPT_ENCODING = "gzip, deflate"  # only what decode_body can decompress within the size cap


@dataclass
class Exchange:
    """What was sent and what came back; `label` says what the request was probing, for messages."""

    api: str
    operation: str  # e.g. "POST /chat/completions", relative to the API base
    method: str
    url: str
    request_headers: dict[str, str]
    request_json: Any
    status: int
    headers: httpx.Headers
    body: bytes
    elapsed_s: float
    label: str = ""
    chunk_times_s: list[float] = field(default_factory=list)
    context: dict[str, Any] = field(default_factory=dict)
    chunk_ends: list[int] = field(default_factory=list)  # the body's size after each read (as sent, undecoded)

    @property
    def content_type(self) -> str:
        value: str = self.headers.get("content-type", "")
        return value.split(";")[0].strip().lower()

    @property
    def stream_requested(self) -> bool:
        return isinstance(self.request_json, dict) and self.request_json.get("stream") is True

    @cached_property
    def json(self) -> Any:
        """The body parsed as JSON; raises ValueError when it is not JSON (or nests too deeply to parse)."""
        try:
            return json.loads(self.body)
        except RecursionError:
            raise ValueError("the JSON nests too deeply to parse") from None

    @cached_property
    def sse(self) -> sse.ParsedStream:
        return sse.parse(self.body)

    def describe(self) -> str:
        what = f" ({self.label})" if self.label else ""
        return f"{self.operation}{what} → {self.status}"  # operation already starts with the method

    def excerpt(self, limit: int = 300) -> str:
        text = self.body[:limit].decode("utf-8", errors="replace")
        return text + ("…" if len(self.body) > limit else "")


@dataclass(frozen=True)
class Reply:
    """A complete response read within the probe's limits, body already decoded."""

    status: int
    reason: str
    http_version: str
    headers: httpx.Headers
    body: bytes
    elapsed_s: float
    chunk_times_s: list[float]
    chunk_ends: list[int] = field(default_factory=list)


def _default_client() -> httpx.Client:
    return httpx.Client(follow_redirects=False, transport=DeadlineTransport(),
                        headers={"accept-encoding": ACCEPT_ENCODING})


def _is_event_stream(headers: httpx.Headers) -> bool:
    return str(headers.get("content-type", "")).split(";")[0].strip().lower() == "text/event-stream"


def _lines(chunk: bytes) -> int:
    return chunk.count(b"\n") + chunk.count(b"\r") - chunk.count(b"\r\n")


@dataclass
class Probe:
    """Sends requests with hard limits on time and size so a hostile target cannot hang the run.

    `timeout_s` bounds the whole request, from connecting to the last body byte; `max_body_bytes` bounds
    the body as sent and as decoded; `max_stream_lines` bounds an event stream's lines (tiny-event floods).
    `extra_headers` (`--header`, `[headers]`: routing headers) go with every request that does not set them itself.
    A redirect is never followed (nor is the body behind it read): it ends the request as a TargetUnreachable naming
    the status and Location."""

    timeout_s: float = 30.0
    max_body_bytes: int = MAX_BODY_BYTES
    max_stream_lines: int = MAX_STREAM_LINES
    client: httpx.Client = field(default_factory=_default_client)
    extra_headers: dict[str, str] = field(default_factory=dict)
    budget: RunBudget | None = None  # the whole run's: no request starts after it, none outlasts it

    def with_extra(self, headers: dict[str, str]) -> dict[str, str]:
        """`headers` plus the extra headers it does not set itself: what `fetch` sends, for an Exchange's record."""
        return with_extra(headers, self.extra_headers)

    def fetch(
        self, method: str, url: str, *, headers: dict[str, str] | httpx.Headers, content: bytes | None = None,
        what: str = "",
    ) -> Reply:
        """Send one request and read the whole response, or raise TargetUnreachable naming `what` went wrong."""
        what = what or f"{method} {url}"
        if self.extra_headers:
            headers = httpx.Headers(headers)
            for name, value in self.extra_headers.items():
                if name not in headers:
                    headers[name] = value
        allowed = self._allowed(what)
        timeout = httpx.Timeout(allowed, connect=min(5.0, allowed))
        started = time.perf_counter()
        progress = Progress(what, url, allowed)
        chunks: list[bytes] = []
        try:
            with deadline(allowed), self.client.stream(
                method, url, headers=headers, content=content, timeout=timeout, follow_redirects=False
            ) as reply:
                progress.status, progress.event_stream = reply.status_code, _is_event_stream(reply.headers)
                if reply.status_code in REDIRECTS and "location" in reply.headers:
                    raise TargetUnreachable(describe_redirect(progress, str(reply.headers["location"])))
                self._refuse_declared_size(reply.headers, progress)
                for chunk in reply.iter_raw():
                    chunks.append(chunk)
                    progress.add(chunk, time.perf_counter() - started)
                    self._enforce_limits(chunk, progress, started)
                status, reason, version, reply_headers = (
                    reply.status_code, reply.reason_phrase, reply.http_version, reply.headers)
        except httpx.TimeoutException as exc:
            if allowed < self.timeout_s:  # the run's budget, not the request's timeout, ended it
                raise RunBudgetSpent(f"{what}: {self._budget_text()} during this request") from exc
            raise TargetUnreachable(describe_timeout(progress, exc)) from exc
        except (httpx.TransportError, httpx.InvalidURL) as exc:
            raise TargetUnreachable(describe_transport_error(progress, exc)) from exc
        body = decode_body(b"".join(chunks), reply_headers.get("content-encoding", ""), self.max_body_bytes, progress)
        return Reply(status, reason, version, reply_headers, body, time.perf_counter() - started,
                     progress.chunk_times_s, progress.chunk_ends)

    def _allowed(self, what: str) -> float:
        """This request's time: the timeout, or what is left of the run's budget when that is less."""
        if self.budget is None:
            return self.timeout_s
        remaining = self.budget.remaining()
        if remaining <= 0:
            raise RunBudgetSpent(f"{what}: not sent, {self._budget_text()}")
        return min(self.timeout_s, remaining)

    def _budget_text(self) -> str:
        return self.budget.describe() if self.budget is not None else "the run's budget ran out"

    def _refuse_declared_size(self, headers: httpx.Headers, progress: Progress) -> None:
        declared = str(headers.get("content-length", "")).strip()
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            raise TargetUnreachable(progress.fail(
                f"the {progress.status} response declares Content-Length {declared}, over the "
                f"{self.max_body_bytes}-byte limit; the body was not read"))

    def _enforce_limits(self, chunk: bytes, progress: Progress, started: float) -> None:
        if progress.size > self.max_body_bytes:
            raise TargetUnreachable(progress.fail(
                f"the body of the {progress.status} response exceeded {self.max_body_bytes} bytes; reading stopped"))
        if progress.event_stream:
            progress.lines += _lines(chunk)
            if progress.lines > self.max_stream_lines:
                raise TargetUnreachable(progress.fail(
                    f"the {progress.status} event stream exceeded {self.max_stream_lines} lines "
                    f"({progress.size} bytes); a flood of tiny events, reading stopped"))
        if time.perf_counter() - started > progress.timeout_s:  # a client without the deadline transport
            raise TargetUnreachable(describe_timeout(progress, None))

    def send(
        self,
        api: str,
        base_url: str,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        json_body: Any = None,
        content: bytes | None = None,
        label: str = "",
        context: dict[str, Any] | None = None,
    ) -> Exchange:
        url = base_url.rstrip("/") + path
        sent_headers = self.with_extra(dict(headers or {}))
        if json_body is not None and content is None:
            content = json.dumps(json_body).encode()
            sent_headers.setdefault("content-type", "application/json")
        operation = f"{method} {path.split('?')[0]}"
        reply = self.fetch(method, url, headers=sent_headers, content=content,
                           what=operation + (f" ({label})" if label else ""))
        return Exchange(
            api=api,
            operation=operation,
            method=method,
            url=url,
            request_headers=sent_headers,
            request_json=json_body,
            status=reply.status,
            headers=reply.headers,
            body=reply.body,
            elapsed_s=reply.elapsed_s,
            label=label,
            chunk_times_s=reply.chunk_times_s,
            context=dict(context or {}),
            chunk_ends=reply.chunk_ends,
        )

    def close(self) -> None:
        self.client.close()
