"""One request/response pair as the checks see it, and the bounded HTTP probe that records it."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import httpx

from suites import sse
from suites.failures import TargetUnreachable

MAX_BODY_BYTES = 16 * 1024 * 1024


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

    @property
    def content_type(self) -> str:
        value: str = self.headers.get("content-type", "")
        return value.split(";")[0].strip().lower()

    @property
    def stream_requested(self) -> bool:
        return isinstance(self.request_json, dict) and self.request_json.get("stream") is True

    @cached_property
    def json(self) -> Any:
        """The body parsed as JSON; raises ValueError when it is not JSON."""
        return json.loads(self.body)

    @cached_property
    def sse(self) -> sse.ParsedStream:
        return sse.parse(self.body)

    def describe(self) -> str:
        what = f" ({self.label})" if self.label else ""
        return f"{self.method} {self.operation}{what} → {self.status}"

    def excerpt(self, limit: int = 300) -> str:
        text = self.body[:limit].decode("utf-8", errors="replace")
        return text + ("…" if len(self.body) > limit else "")


@dataclass
class Probe:
    """Sends requests with hard limits on time and size so a hostile target cannot hang the run."""

    timeout_s: float = 30.0
    max_body_bytes: int = MAX_BODY_BYTES
    client: httpx.Client = field(default_factory=lambda: httpx.Client(follow_redirects=False))

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
        sent_headers = dict(headers or {})
        if json_body is not None and content is None:
            content = json.dumps(json_body).encode()
            sent_headers.setdefault("content-type", "application/json")
        timeout = httpx.Timeout(self.timeout_s, connect=min(5.0, self.timeout_s))
        started = time.perf_counter()
        deadline = started + self.timeout_s
        chunks: list[bytes] = []
        chunk_times: list[float] = []
        size = 0
        try:
            with self.client.stream(method, url, headers=sent_headers, content=content, timeout=timeout) as reply:
                for chunk in reply.iter_raw():
                    chunks.append(chunk)
                    chunk_times.append(time.perf_counter() - started)
                    size += len(chunk)
                    if size > self.max_body_bytes:
                        raise TargetUnreachable(
                            f"{method} {path}: response body exceeded {self.max_body_bytes} bytes; reading stopped"
                        )
                    if time.perf_counter() > deadline:
                        raise TargetUnreachable(f"{method} {path}: response not finished within {self.timeout_s}s")
                status, reply_headers = reply.status_code, reply.headers
        except httpx.TimeoutException as exc:
            raise TargetUnreachable(
                f"{method} {path}: timed out after {self.timeout_s}s ({type(exc).__name__})"
            ) from exc
        except httpx.TransportError as exc:
            raise TargetUnreachable(f"{method} {path}: transport error {type(exc).__name__}: {exc}") from exc
        body = b"".join(chunks)
        if reply_headers.get("content-encoding"):
            body = httpx.Response(status, headers=reply_headers, content=body).content
        return Exchange(
            api=api,
            operation=f"{method} {path.split('?')[0]}",
            method=method,
            url=url,
            request_headers=sent_headers,
            request_json=json_body,
            status=status,
            headers=reply_headers,
            body=body,
            elapsed_s=time.perf_counter() - started,
            label=label,
            chunk_times_s=chunk_times,
            context=dict(context or {}),
        )

    def close(self) -> None:
        self.client.close()
