"""Exact statistics over raw samples: percentiles by linear interpolation between closest ranks."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from aigw_conformance.suites.load.samples import Sample

PERCENTILES = (50, 90, 95, 99)
STREAM_METRICS = ("first_event_ms", "ttft_ms", "itl_ms", "tpot_ms")
METRICS = ("headers_ms", "first_event_ms", "ttft_ms", "itl_ms", "tpot_ms", "e2e_ms", "lag_ms", "output_tps")
Stats = dict[str, float | int | None]


def percentile(ordered: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) of sorted values, interpolated linearly between the two closest ranks
    (numpy's default method); exact, no buckets. Raises ValueError on an empty sequence."""
    if not ordered:
        raise ValueError("percentile of no values")
    if not 0 <= q <= 100:
        raise ValueError(f"percentile {q} outside 0..100")
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def describe(values: Iterable[float]) -> Stats:
    """count, mean, min, p50, p90, p95, p99, max (None when there are no values), in that order."""
    ordered = sorted(values)
    if not ordered:
        return {"count": 0, "mean": None, "min": None, **{f"p{q}": None for q in PERCENTILES}, "max": None}
    return {
        "count": len(ordered), "mean": math.fsum(ordered) / len(ordered), "min": ordered[0],
        **{f"p{q}": percentile(ordered, q) for q in PERCENTILES}, "max": ordered[-1],
    }


def values(samples: Iterable[Sample], metric: str) -> list[float]:
    """The raw values of `metric`: latencies from successful requests only; `itl_ms` pools every chunk gap
    of every successful stream; `lag_ms` counts every request (lateness is about the schedule)."""
    out: list[float] = []
    for sample in samples:
        if metric == "lag_ms":
            if sample.lag_ms is not None:
                out.append(sample.lag_ms)
        elif not sample.ok:
            continue
        elif metric == "itl_ms":
            out.extend(sample.itl_ms)
        else:
            value = getattr(sample, metric)
            if value is not None:
                out.append(float(value))
    return out


def span(samples: Sequence[Sample]) -> tuple[float, float]:
    """(first start, last end) in epoch seconds."""
    return min(s.t for s in samples), max(s.t + s.e2e_ms / 1000 for s in samples)


def achieved_rate(samples: Sequence[Sample]) -> float | None:
    """Requests started per second over the span of their starts: (n - 1) / (last start - first start)."""
    starts = sorted(s.t for s in samples)
    if len(starts) < 2 or starts[-1] <= starts[0]:
        return None
    return (len(starts) - 1) / (starts[-1] - starts[0])
