"""The chaos timeline: requests, errors and latency over time with the phases shaded, as PNG and as HTML."""

from __future__ import annotations

import html
import io
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aigw_conformance.suites.load.samples import Sample

SHADES = ("#2ca02c", "#d62728", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf")


def _bins(samples: Sequence[Sample], origin: float, width: float, count: int) -> tuple[list[int], list[int], list[int]]:
    started, errors, breaker = [0] * count, [0] * count, [0] * count
    for sample in samples:
        slot = math.floor((sample.t - origin) / width)
        if 0 <= slot < count:
            started[slot] += 1
            errors[slot] += not sample.ok
            breaker[slot] += sample.error_code == "circuit_open"
    return started, errors, breaker


def _figure(samples: Sequence[Sample], phases: Sequence[dict[str, Any]], title: str) -> Any:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    ran = [p for p in phases if p.get("ran")]
    origin = ran[0]["start"] if ran else min((s.t for s in samples), default=0.0)
    span = (ran[-1]["end"] - origin) if ran else 1.0
    width = max(span / 60, 0.1)  # about 60 bars whatever the time scale
    count = max(1, math.ceil(span / width))
    figure, (top, bottom) = pyplot.subplots(2, 1, figsize=(12.5, 6.5), sharex=True, height_ratios=(1, 1.2))
    for index, phase in enumerate(ran):
        for axes in (top, bottom):
            axes.axvspan(phase["start"] - origin, phase["end"] - origin, color=SHADES[index % len(SHADES)],
                         alpha=0.04 if not phase["faults"] else 0.14, lw=0)
        top.text(phase["start"] - origin + span / 200, 1.0, phase["name"], transform=top.get_xaxis_transform(),
                 va="bottom", fontsize="small")
    started, errors, breaker = _bins(samples, origin, width, count)
    x = [i * width for i in range(count)]
    top.bar(x, [n / width for n in started], width=width, align="edge", color="#9ecae1", label="requests started/s")
    top.bar(x, [n / width for n in errors], width=width, align="edge", color="#e6550d", label="errors/s")
    top.bar(x, [n / width for n in breaker], width=width, align="edge", color="#756bb1", label="503 circuit_open/s")
    top.set_ylabel("requests/s")
    top.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    inside = [s for s in samples if 0 <= s.t - origin <= span]
    good = [s for s in inside if s.ok]
    bottom.scatter([s.t - origin for s in good], [s.e2e_ms for s in good], s=5, alpha=0.4, label="E2E (good)")
    ttft = [(s.t - origin, s.ttft_ms) for s in good if s.ttft_ms is not None]
    bottom.scatter([t for t, _ in ttft], [v for _, v in ttft], s=5, alpha=0.4, label="TTFT (good)")
    bad = [s for s in inside if not s.ok]
    bottom.scatter([s.t - origin for s in bad], [max(s.e2e_ms, 0.1) for s in bad], s=9, marker="x",
                   color="#d62728", alpha=0.6, label="E2E (failed)")
    bottom.set(xlabel="seconds since the schedule started", ylabel="ms", yscale="log")
    bottom.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    top.set_title(title, pad=16)
    figure.tight_layout()
    return figure


def write(directory: Path, samples: Sequence[Sample], phases: Sequence[dict[str, Any]], title: str,
          table: str) -> list[Path]:
    """timeline.png, and timeline.html: the same plot as SVG above the per-phase table (`table`, plain text)."""
    from matplotlib import pyplot

    figure = _figure(samples, phases, title)
    png = directory / "timeline.png"
    figure.savefig(png, dpi=100)
    svg = io.StringIO()
    figure.savefig(svg, format="svg")
    pyplot.close(figure)
    page = directory / "timeline.html"
    page.write_text(
        "<!doctype html><html><head><meta charset='utf-8'><title>" + html.escape(title) + "</title>"
        "<style>body{font-family:sans-serif;margin:1.5em} pre{background:#f6f6f6;padding:1em}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>{svg.getvalue().split('?>', 1)[-1]}<pre>{html.escape(table)}</pre>"
        "</body></html>\n", encoding="utf-8")
    return [png, page]
