"""Per-provider circuit breakers: open after N consecutive upstream failures, one trial after a cooldown."""

from __future__ import annotations

import json
import re
import time
from collections.abc import AsyncIterable, AsyncIterator, Callable
from dataclasses import dataclass

from aigw_conformance.mocks.reference.client.errors import circuit_open
from aigw_conformance.mocks.reference.errors import GatewayError
from aigw_conformance.mocks.reference.settings import GatewaySettings

Clock = Callable[[], float]
Piece = str | bytes | memoryview
# `mocks.reference.errors.provider_error` words an upstream answer as "<provider> returned <status>: ...".
_UPSTREAM_STATUS = re.compile(r" returned (\d{3}):")


def is_failure(error: GatewayError) -> bool:
    """Whether a forwarding error counts against the provider: unreachable, timed out, broken reply, or 5xx.
    An upstream 4xx (the provider answered, it refused this request) does not."""
    if error.code != "provider_error":
        return False
    answered = _UPSTREAM_STATUS.search(error.message)
    return answered is None or int(answered.group(1)) >= 500


def is_error_event(piece: Piece) -> bool:
    """Whether a relayed SSE piece carries an error event (`{"error": ...}`, or a flat `{"message", "code"}`)."""
    raw = piece.encode() if isinstance(piece, str) else bytes(piece)
    if b"error" not in raw and b"code" not in raw:
        return False
    for line in raw.decode("utf-8", errors="replace").splitlines():
        if not line.startswith("data:"):
            continue
        try:
            data = json.loads(line[5:])
        except ValueError:
            continue
        if isinstance(data, dict) and "choices" not in data and ("error" in data or {"message", "code"} <= set(data)):
            return True
    return False


@dataclass
class Breaker:
    """closed → (threshold failures in a row) → open → (cooldown) → half-open: one trial → closed or open."""

    failures: int = 0
    opened_at: float | None = None
    trial: bool = False  # a half-open trial request is in flight


class Breakers:
    def __init__(self, settings: GatewaySettings, clock: Clock = time.monotonic) -> None:
        self.threshold, self.cooldown_s = settings.client_breaker_threshold, settings.client_breaker_cooldown_s
        self.never_opens = settings.has("client-breaker-never-opens")
        self.never_closes = settings.has("resilience-breaker-never-closes")
        self.clock = clock
        self.breakers: dict[str, Breaker] = {}

    def state(self, provider: str) -> str:
        breaker = self.breakers.get(provider, Breaker())
        if breaker.opened_at is None:
            return "closed"
        return "open" if self.clock() < breaker.opened_at + self.cooldown_s or breaker.trial else "half-open"

    def admit(self, provider: str) -> None:
        """Let a request through to `provider`, or 503 circuit_open with the cooldown left."""
        breaker = self.breakers.setdefault(provider, Breaker())
        if breaker.opened_at is None:
            return
        wait = breaker.opened_at + self.cooldown_s - self.clock()
        if wait > 0 or breaker.trial or self.never_closes:
            raise circuit_open(provider, wait)
        breaker.trial = True  # half-open: this request is the one trial

    def record(self, provider: str, *, failed: bool) -> None:
        breaker = self.breakers.setdefault(provider, Breaker())
        half_open, breaker.trial = breaker.trial, False
        if not failed:
            breaker.failures, breaker.opened_at = 0, None
            return
        breaker.failures += 1
        if half_open or (breaker.failures >= self.threshold and not self.never_opens):
            breaker.opened_at = self.clock()

    def release(self, provider: str) -> None:
        """The trial ended without an outcome (the client went away): the next request may try again."""
        breaker = self.breakers.get(provider)
        if breaker is not None:
            breaker.trial = False

    async def watch(self, provider: str, source: AsyncIterable[Piece]) -> AsyncIterator[Piece]:
        """Relay a streamed answer and count its outcome when it ends: an error event or a broken relay is a
        failure (a provider failing after the first byte), the stream's end a success; a stream the client left
        (or the output guardrail cut) has no outcome."""
        failed, ended = False, False
        try:
            async for piece in source:
                failed = failed or is_error_event(piece)
                yield piece
            ended = True
        except Exception:
            failed = ended = True
            raise
        finally:
            if ended:
                self.record(provider, failed=failed)
            else:
                self.release(provider)
            closer = getattr(source, "aclose", None)
            if closer is not None:
                await closer()
