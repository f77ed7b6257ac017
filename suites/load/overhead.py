"""Overhead mode's comparison: the gateway's summary minus its upstream's, per metric and percentile."""

from __future__ import annotations

from typing import Any

COMPARED = ("headers_ms", "first_event_ms", "ttft_ms", "itl_ms", "tpot_ms", "e2e_ms")
STATS = ("p50", "p90", "p95", "p99", "mean")


def compare(direct: dict[str, Any], gateway: dict[str, Any]) -> dict[str, Any]:
    """`overhead[metric][stat]` = gateway - direct in ms (None where either side has no data); both runs
    replayed the same seed, so they sent the same requests."""
    overhead: dict[str, dict[str, float | None]] = {}
    for metric in COMPARED:
        row: dict[str, float | None] = {}
        for stat in STATS:
            d, g = direct[metric][stat], gateway[metric][stat]
            row[stat] = None if d is None or g is None else g - d
        if any(value is not None for value in row.values()):
            overhead[metric] = row
    return {
        "overhead_ms": overhead,
        "direct": {"target": direct.get("target"), "requests": direct["requests"], "errors": direct["errors"]},
        "gateway": {"target": gateway.get("target"), "requests": gateway["requests"], "errors": gateway["errors"]},
    }


def render(comparison: dict[str, Any]) -> str:
    lines = [f"gateway overhead (ms, gateway - direct)   {'  '.join(f'{s:>8}' for s in STATS)}"]
    for metric, row in comparison["overhead_ms"].items():
        cells = "  ".join("       -" if row[s] is None else f"{row[s]:8.2f}" for s in STATS)
        lines.append(f"  {metric:<38} {cells}")
    return "\n".join(lines)
