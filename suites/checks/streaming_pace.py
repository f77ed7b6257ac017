"""Check that a stream is delivered as it is generated, not buffered whole and sent at the end."""

from __future__ import annotations

import json
from typing import Any

from aigw_conformance.suites import sse
from aigw_conformance.suites.checks.preconditions import has_sse_events
from aigw_conformance.suites.checks.registry import check, fail, requires
from aigw_conformance.suites.exchange import Exchange

# The first and last content chunks must arrive at least this share of the upstream's own pacing apart: the
# upstream spends at least (chunks - 1) x pacing between them, and a relaying gateway passes that on, while a
# buffering one delivers both in the same read (a spread of ~0). A quarter leaves the harness 75% of the span
# (over a second with the test's pacing) of being descheduled on a loaded machine before a relaying gateway could
# look buffered; the threshold scales with the configured pacing, never an absolute time.
SHARE_OF_PACING = 0.25
QUOTE = "001: 'SSE Streaming - Real-time streaming responses for better UX'"


def _has_content(data: str) -> bool:
    try:
        chunk: Any = json.loads(data)
    except ValueError:
        return False
    choices = chunk.get("choices") if isinstance(chunk, dict) else None
    return any(isinstance(choice, dict) and isinstance(choice.get("delta"), dict)
               and isinstance(choice["delta"].get("content"), str) and choice["delta"]["content"]
               for choice in choices if isinstance(choices, list)) if isinstance(choices, list) else False


def content_arrivals(exchange: Exchange) -> list[float]:
    """The arrival time (seconds after sending) of each event carrying delta content, from the reads' ends."""
    arrivals: list[float] = []
    for end, at in zip(exchange.chunk_ends, exchange.chunk_times_s, strict=False):
        complete = sum(1 for event in sse.parse(exchange.body[:end]).events if _has_content(event.data))
        arrivals.extend([at] * (complete - len(arrivals)))
    return arrivals


@check("sse.incremental_delivery", auto=False)
@requires(has_sse_events)
def incremental_delivery(exchange: Exchange) -> None:
    """Over an upstream paced at context `pacing_ms` per token, the first content chunk arrives well before the
    last: at least SHARE_OF_PACING x (content chunks - 1) x pacing earlier (one write at the end fails)."""
    pacing_ms = exchange.context.get("pacing_ms")
    if not isinstance(pacing_ms, int | float) or pacing_ms <= 0:
        raise fail("the test set no upstream pacing (context pacing_ms): nothing to compare arrivals with")
    if exchange.headers.get("content-encoding", "identity") != "identity":
        raise fail(f"the stream is sent with content-encoding {exchange.headers['content-encoding']!r}: a compressor "
                   "holds events back, and when each event arrived cannot be told")
    arrivals = content_arrivals(exchange)
    if len(arrivals) < 3:
        raise fail(f"the stream carries {len(arrivals)} content chunk(s): too few to tell streaming from buffering")
    spread, upstream = arrivals[-1] - arrivals[0], (len(arrivals) - 1) * pacing_ms / 1000
    if spread < SHARE_OF_PACING * upstream:
        reads = len({at for at in arrivals})
        raise fail(f"the {len(arrivals)} content chunks arrived within {spread * 1000:.0f} ms in {reads} read(s), "
                   f"although the upstream spent at least {upstream * 1000:.0f} ms producing them ({pacing_ms:g} ms "
                   f"per token): the stream was buffered and delivered at once, not as generated ({QUOTE})")
