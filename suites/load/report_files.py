"""The files beside summary.json: summary.csv, timeseries.csv, and PNG plots of latency and throughput."""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aigw_conformance.suites.load.samples import Sample
from aigw_conformance.suites.load.stats import METRICS, percentile

COLUMNS = ("count", "mean", "min", "p50", "p90", "p95", "p99", "max")
SERIES = ("second", "started", "errors", "completed", "output_tokens", "ttft_p50", "ttft_p99", "e2e_p50", "e2e_p99")


def write_summary_csv(path: Path, summary: dict[str, Any]) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(("metric", *COLUMNS))
        for metric in METRICS:
            writer.writerow((metric, *(summary[metric][column] for column in COLUMNS)))


def _p(values: list[float], q: float) -> float | None:
    return percentile(sorted(values), q) if values else None


def timeseries(samples: Sequence[Sample]) -> list[dict[str, Any]]:
    """Per second since the first start: requests started and failed (by start), requests completed and
    output tokens (by end), and TTFT/E2E p50 and p99 of the successful requests started in that second."""
    if not samples:
        return []
    origin = min(s.t for s in samples)
    seconds = 1 + max(math.floor(s.t - origin + s.e2e_ms / 1000) for s in samples)
    rows: list[dict[str, Any]] = [
        {"second": i, "started": 0, "errors": 0, "completed": 0, "output_tokens": 0, "ttft": [], "e2e": []}
        for i in range(seconds)
    ]
    for sample in samples:
        start, end = rows[math.floor(sample.t - origin)], rows[math.floor(sample.t - origin + sample.e2e_ms / 1000)]
        start["started"] += 1
        start["errors"] += not sample.ok
        end["completed"] += 1
        end["output_tokens"] += sample.output_tokens or 0
        if sample.ok:
            start["e2e"].append(sample.e2e_ms)
            if sample.ttft_ms is not None:
                start["ttft"].append(sample.ttft_ms)
    for row in rows:
        ttft, e2e = row.pop("ttft"), row.pop("e2e")
        row |= {"ttft_p50": _p(ttft, 50), "ttft_p99": _p(ttft, 99), "e2e_p50": _p(e2e, 50), "e2e_p99": _p(e2e, 99)}
    return rows


def write_timeseries_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=SERIES)
        writer.writeheader()
        writer.writerows(rows)


def write_plots(directory: Path, samples: Sequence[Sample], rows: list[dict[str, Any]]) -> list[Path]:
    """latency.png (every request's E2E and TTFT against its start, with per-second p50/p99) and
    throughput.png (requests/s started, errors/s and output tokens/s per second)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    origin = min((s.t for s in samples), default=0.0)
    ok = [s for s in samples if s.ok]
    figure, axes = pyplot.subplots(figsize=(10, 4.5))
    axes.scatter([s.t - origin for s in ok], [s.e2e_ms for s in ok], s=4, alpha=0.35, label="E2E (each request)")
    streams = [(s.t - origin, s.ttft_ms) for s in ok if s.ttft_ms is not None]
    axes.scatter([t for t, _ in streams], [ttft for _, ttft in streams], s=4, alpha=0.35, label="TTFT")
    for key, label in (("e2e_p50", "E2E p50/s"), ("e2e_p99", "E2E p99/s"), ("ttft_p50", "TTFT p50/s")):
        points = [(r["second"] + 0.5, r[key]) for r in rows if r[key] is not None]
        if points:
            axes.plot(*zip(*points, strict=True), label=label)
    axes.set(xlabel="seconds since start", ylabel="ms", title="Latency over time")
    axes.legend(loc="upper left", fontsize="small")
    latency = directory / "latency.png"
    figure.savefig(latency, dpi=100, bbox_inches="tight")
    pyplot.close(figure)

    figure, left = pyplot.subplots(figsize=(10, 4.5))
    x = [r["second"] for r in rows] + [len(rows)] if rows else []

    def steps(key: str) -> list[float]:
        series = [r[key] for r in rows]
        return series + series[-1:]  # the last second drawn as a full step

    left.step(x, steps("started"), where="post", label="requests started/s")
    left.step(x, steps("errors"), where="post", label="errors/s")
    left.set(xlabel="seconds since start", ylabel="requests/s", title="Throughput over time")
    right = left.twinx()
    right.step(x, steps("output_tokens"), where="post", color="tab:green", label="output tokens/s")
    right.set_ylabel("output tokens/s")
    handles = left.get_legend_handles_labels()[0] + right.get_legend_handles_labels()[0]
    left.legend(handles=handles, loc="upper left", fontsize="small")
    throughput = directory / "throughput.png"
    figure.savefig(throughput, dpi=100, bbox_inches="tight")
    pyplot.close(figure)
    return [latency, throughput]

