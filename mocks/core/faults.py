"""Per-request fault injection from `x-mock-*` headers: small, composable and provider-neutral."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import anyio

from mocks.core.sse import Frame

STATUS = "x-mock-status"
RETRY_AFTER = "x-mock-retry-after"
DELAY_MS = "x-mock-delay-ms"
TTFT_MS = "x-mock-ttft-ms"
ITL_MS = "x-mock-itl-ms"
DISCONNECT_AFTER = "x-mock-disconnect-after"
HEADERS = (STATUS, RETRY_AFTER, DELAY_MS, TTFT_MS, ITL_MS, DISCONNECT_AFTER)

MAX_MS = 600_000


class FaultHeaderError(ValueError):
    """A malformed `x-mock-*` header; providers answer it with their native 400."""

    def __init__(self, header: str, value: str, expected: str) -> None:
        super().__init__(f"invalid {header} header {value!r}: expected {expected}")
        self.header = header


@dataclass(frozen=True)
class Failure:
    """Answer the request with this error status, in the provider's native error shape."""

    status: int
    retry_after: int | None = None


class Fault(Protocol):
    """One misbehaviour; each hook is awaited at its point of the exchange (the defaults do nothing)."""

    async def before_headers(self) -> Failure | None:
        """Before the response starts: may sleep; a `Failure` replaces the response."""
        return None

    async def before_chunk(self, index: int, frame: Frame) -> bool:
        """Before stream event `index` (0-based, every event counts): may sleep; False cuts the stream."""
        return True


@dataclass(frozen=True)
class Delay(Fault):
    ms: int

    async def before_headers(self) -> Failure | None:
        await anyio.sleep(self.ms / 1000)
        return None


@dataclass(frozen=True)
class FailWith(Fault):
    failure: Failure

    async def before_headers(self) -> Failure | None:
        return self.failure


@dataclass(frozen=True)
class Latency(Fault):
    """`ttft_ms` between the headers and the first event; `itl_ms` before every later token event."""

    ttft_ms: int = 0
    itl_ms: int = 0

    async def before_chunk(self, index: int, frame: Frame) -> bool:
        ms = self.ttft_ms if index == 0 else self.itl_ms if frame.token else 0
        if ms:
            await anyio.sleep(ms / 1000)
        return True


@dataclass(frozen=True)
class DisconnectAfter(Fault):
    """Send at most `events` events and never the terminator, then drop the connection."""

    events: int

    async def before_chunk(self, index: int, frame: Frame) -> bool:
        return index < self.events and not frame.final


@dataclass(frozen=True)
class FaultSet:
    """Faults applied in order: the first `Failure` wins, and any fault may cut the stream."""

    faults: tuple[Fault, ...] = ()

    async def before_headers(self) -> Failure | None:
        for fault in self.faults:
            failure = await fault.before_headers()
            if failure is not None:
                return failure
        return None

    async def before_chunk(self, index: int, frame: Frame) -> bool:
        for fault in self.faults:
            if not await fault.before_chunk(index, frame):
                return False
        return True


def _int(headers: Mapping[str, str], name: str, low: int, high: int) -> int | None:
    raw = headers.get(name)
    if raw is None:
        return None
    value = raw.strip()
    if not (value.isascii() and value.isdigit()) or not low <= int(value) <= high:
        raise FaultHeaderError(name, raw, f"an integer from {low} to {high}")
    return int(value)


def from_headers(headers: Mapping[str, str]) -> FaultSet:
    """The faults a request asks for (header names are matched as given: pass lower-case or
    case-insensitive mappings such as Starlette's `request.headers`). Raises `FaultHeaderError`."""
    faults: list[Fault] = []
    if (delay := _int(headers, DELAY_MS, 0, MAX_MS)) is not None:
        faults.append(Delay(delay))
    if (status := _int(headers, STATUS, 400, 599)) is not None:
        faults.append(FailWith(Failure(status, _int(headers, RETRY_AFTER, 0, 86_400))))
    ttft, itl = _int(headers, TTFT_MS, 0, MAX_MS), _int(headers, ITL_MS, 0, MAX_MS)
    if ttft is not None or itl is not None:
        faults.append(Latency(ttft or 0, itl or 0))
    if (after := _int(headers, DISCONNECT_AFTER, 0, 1_000_000)) is not None:
        faults.append(DisconnectAfter(after))
    return FaultSet(tuple(faults))
