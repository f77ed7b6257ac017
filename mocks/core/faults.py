"""Fault injection as small composable hooks, chosen per request by `x-mock-*` headers (table: `from_headers`)."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

import anyio

from aigw_conformance.mocks.core.sse import Frame

STATUS = "x-mock-status"
RETRY_AFTER = "x-mock-retry-after"
DELAY_MS = "x-mock-delay-ms"
TTFT_MS = "x-mock-ttft-ms"
ITL_MS = "x-mock-itl-ms"
DISCONNECT_AFTER = "x-mock-disconnect-after"
JITTER_MS = "x-mock-jitter-ms"
SEED = "x-mock-seed"
MALFORMED_AFTER = "x-mock-malformed-after"
STALL_AFTER = "x-mock-stall-after"
STALL_MS = "x-mock-stall-ms"
CONTENT_FILTER = "x-mock-content-filter"
REFUSAL = "x-mock-refusal"
OUTPUT_TOKENS = "x-mock-output-tokens"
HEADERS = (
    STATUS, RETRY_AFTER, DELAY_MS, TTFT_MS, ITL_MS, DISCONNECT_AFTER, JITTER_MS, SEED, MALFORMED_AFTER,
    STALL_AFTER, STALL_MS, CONTENT_FILTER, REFUSAL, OUTPUT_TOKENS,
)

MAX_MS = 600_000
MAX_EVENTS = 1_000_000
MAX_SEED = 2**32 - 1
DEFAULT_STALL_MS = 30_000
MALFORMED_CHUNK = b'data: {"truncated\n\n'
"""What a `malformed` fault sends: an event whose JSON is cut short (the stream then carries on)."""
REFUSAL_TEXT = "I'm sorry, but I can't help with that request."
"""What a model that declines says, where its wire format carries the words (OpenAI's `message.refusal`)."""

KINDS: Mapping[str, Mapping[str, str]] = {
    "slow_headers": {"ms": DELAY_MS},
    "status": {"status": STATUS, "retry_after": RETRY_AFTER},
    "latency": {"ttft_ms": TTFT_MS, "itl_ms": ITL_MS, "jitter_ms": JITTER_MS, "seed": SEED},
    "disconnect": {"after": DISCONNECT_AFTER},
    "malformed": {"after": MALFORMED_AFTER},
    "stall": {"after": STALL_AFTER, "max_ms": STALL_MS},
    "content_filter": {"enabled": CONTENT_FILTER},
    "refusal": {"enabled": REFUSAL},
    "output_tokens": {"tokens": OUTPUT_TOKENS},
}
"""Fault kind -> its fields in a control-endpoint spec -> the header carrying each (one definition)."""
KIND_OF: Mapping[str, str] = {header: kind for kind, fields in KINDS.items() for header in fields.values()}
"""Header -> the fault kind it belongs to."""


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

    @property
    def content_filtered(self) -> bool:
        """Whether the answer must end with the provider's content-filter finish (`ContentFilter`)."""
        return any(isinstance(fault, ContentFilter) for fault in self.faults)

    @property
    def refused(self) -> bool:
        """Whether the model declines to answer, as the provider's wire format says so (`Refusal`)."""
        return any(isinstance(fault, Refusal) for fault in self.faults)

    @property
    def output_tokens(self) -> int:
        """The least number of tokens a text answer runs to before a cap cuts it (`OutputTokens`; 0: natural)."""
        return max((fault.tokens for fault in self.faults if isinstance(fault, OutputTokens)), default=0)


@dataclass
class Jitter(Fault):
    """A seeded random 0..`ms` milliseconds more before the first event and every token event."""

    ms: int
    seed: int = 0
    _rng: random.Random = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    async def before_chunk(self, index: int, frame: Frame) -> bool:
        if index == 0 or frame.token:
            await anyio.sleep(self._rng.uniform(0, self.ms) / 1000)
        return True


@dataclass(frozen=True)
class StallAfter(Fault):
    """After `events` events (never the terminator) send nothing, connection open, for `max_ms`; then drop it."""

    events: int
    max_ms: int = DEFAULT_STALL_MS

    async def before_chunk(self, index: int, frame: Frame) -> bool:
        if index < self.events and not frame.final:
            return True
        await anyio.sleep(self.max_ms / 1000)
        return False


@dataclass(frozen=True)
class MalformedAfter(Fault):
    """After `events` events, send `MALFORMED_CHUNK` and carry on. It adds bytes to the wire, which a hook
    cannot: `mocks.core.control`'s middleware applies it (its hooks here do nothing)."""

    events: int


@dataclass(frozen=True)
class ContentFilter(Fault):
    """The answer ends as the provider's safety system ends it: OpenAI's `finish_reason: "content_filter"`,
    Anthropic's `stop_reason: "refusal"`, Gemini's `finishReason: "SAFETY"`. Each provider's chat handler
    reads it (`FaultSet.content_filtered`): the hooks here do nothing."""


@dataclass(frozen=True)
class Refusal(Fault):
    """The model declines the request, in its provider's words: OpenAI's (and vLLM's) `message.refusal` with
    `content: null` (streamed as `delta.refusal`), finish `stop`; Anthropic's `stop_reason: "refusal"` with no
    content; Gemini's blocked prompt (`promptFeedback.blockReason: "SAFETY"`, no candidates). Each provider's chat
    handler reads it (`FaultSet.refused`): the hooks here do nothing."""


@dataclass(frozen=True)
class OutputTokens(Fault):
    """A text answer runs on past its natural end and past `tokens` tokens, so a `max_completion_tokens` of at
    most `tokens` is reached exactly, with finish `length` (load tests of given output lengths), in each
    provider's words: OpenAI's and vLLM's `length`, Anthropic's `max_tokens`, Gemini's `MAX_TOKENS` (text answers;
    JSON and enum output keep their natural length). Read by every chat handler (`FaultSet.output_tokens`): the hooks
    here do nothing."""

    tokens: int


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
    case-insensitive mappings such as Starlette's `request.headers`). Raises `FaultHeaderError`.

    | kind | header | value | effect |
    |---|---|---|---|
    | slow_headers | x-mock-delay-ms | 0-600000 | sleep before the response starts (before auth) |
    | status | x-mock-status | 400-599 | answer with this status in the provider's native error shape |
    | status | x-mock-retry-after | 0-86400 | its Retry-After (429 and 503 carry one anyway) |
    | latency | x-mock-ttft-ms | 0-600000 | before the first stream event |
    | latency | x-mock-itl-ms | 0-600000 | before every later token event |
    | latency | x-mock-jitter-ms | 0-600000 | plus a seeded random 0..N ms before the first and each token event |
    | latency | x-mock-seed | 0-4294967295 | seed of the jitter (default 0) |
    | disconnect | x-mock-disconnect-after | 0-1000000 | send N events, never the terminator, then drop |
    | malformed | x-mock-malformed-after | 0-1000000 | after N events send `data: {"truncated`, then go on |
    | stall | x-mock-stall-after | 0-1000000 | after N events (never the terminator) send nothing... |
    | stall | x-mock-stall-ms | 0-600000 | ...for this long (default 30000), then drop |
    | content_filter | x-mock-content-filter | 0-1 | 1: the answer ends with the provider's content-filter finish |
    | refusal | x-mock-refusal | 0-1 | 1: the model declines, in the provider's refusal shape (`Refusal`) |
    | output_tokens | x-mock-output-tokens | 0-1000000 | a text answer runs on past N tokens (every chat mock) |

    Latency, disconnect and stall act on stream events only; `malformed` needs `mocks.core.control`."""
    faults: list[Fault] = []
    if (delay := _int(headers, DELAY_MS, 0, MAX_MS)) is not None:
        faults.append(Delay(delay))
    if (status := _int(headers, STATUS, 400, 599)) is not None:
        faults.append(FailWith(Failure(status, _int(headers, RETRY_AFTER, 0, 86_400))))
    ttft, itl = _int(headers, TTFT_MS, 0, MAX_MS), _int(headers, ITL_MS, 0, MAX_MS)
    if ttft is not None or itl is not None:
        faults.append(Latency(ttft or 0, itl or 0))
    seed = _int(headers, SEED, 0, MAX_SEED)
    if (jitter := _int(headers, JITTER_MS, 0, MAX_MS)) is not None:
        faults.append(Jitter(jitter, seed or 0))
    if (after := _int(headers, DISCONNECT_AFTER, 0, MAX_EVENTS)) is not None:
        faults.append(DisconnectAfter(after))
    stall_ms = _int(headers, STALL_MS, 0, MAX_MS)
    if (after := _int(headers, STALL_AFTER, 0, MAX_EVENTS)) is not None:
        faults.append(StallAfter(after, DEFAULT_STALL_MS if stall_ms is None else stall_ms))
    if (after := _int(headers, MALFORMED_AFTER, 0, MAX_EVENTS)) is not None:
        faults.append(MalformedAfter(after))
    if _int(headers, CONTENT_FILTER, 0, 1):
        faults.append(ContentFilter())
    if _int(headers, REFUSAL, 0, 1):
        faults.append(Refusal())
    if tokens := _int(headers, OUTPUT_TOKENS, 0, MAX_EVENTS):
        faults.append(OutputTokens(tokens))
    return FaultSet(tuple(faults))
