"""A sweep's reports: the table per run, sweep.json, sweep.csv, sweep.png (latency by offered rate), sweep.html."""

from __future__ import annotations

import csv
import html
import json
from pathlib import Path
from typing import Any

from aigw_conformance.suites.load.plots import Series, img_tag, line_chart
from aigw_conformance.suites.load.sweep import RATE, Point

COLUMNS = ("run", "offered_rate", "achieved_rate", "requests", "error_rate", "ttft_p50", "ttft_p99", "itl_p99",
           "e2e_p50", "e2e_p99", "lag_p99", "output_tokens_per_s", "passed", "breaches")
CURVES = (("ttft_ms", "p50"), ("ttft_ms", "p99"), ("e2e_ms", "p50"), ("e2e_ms", "p99"))


def row(point: Point) -> dict[str, Any]:
    s = point.summary

    def stat(metric: str, q: str) -> float | None:
        value = s.get(metric, {}).get(q)
        return None if value is None else round(float(value), 2)

    achieved = s.get("achieved_rate")
    return {
        "run": point.step.name, "offered_rate": round(point.offered, 2),
        "achieved_rate": None if achieved is None else round(achieved, 2), "requests": s.get("requests", 0),
        "error_rate": round(float(s.get("error_rate", 0.0)), 4), "ttft_p50": stat("ttft_ms", "p50"),
        "ttft_p99": stat("ttft_ms", "p99"), "itl_p99": stat("itl_ms", "p99"), "e2e_p50": stat("e2e_ms", "p50"),
        "e2e_p99": stat("e2e_ms", "p99"), "lag_p99": stat("lag_ms", "p99"),
        "output_tokens_per_s": None if s.get("output_tokens_per_s") is None else round(s["output_tokens_per_s"], 1),
        "passed": point.passed, "breaches": "; ".join(point.breaches),
    }


def _cell(value: Any) -> str:
    return "-" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


def render(points: list[Point], best: Point | None, stopped: str = "") -> str:
    """The terminal table (one line per run) and the verdict line."""
    shown = ("run", "offered_rate", "achieved_rate", "requests", "error_rate", "ttft_p50", "ttft_p99", "e2e_p99",
             "lag_p99")
    lines = ["  ".join(f"{c:>13}" for c in shown) + "  verdict"]
    for point in points:
        cells = row(point)
        verdict = "ok" if point.passed else "FAIL: " + point.breaches[0] + (
            f" (+{len(point.breaches) - 1} more)" if len(point.breaches) > 1 else "")
        lines.append("  ".join(f"{_cell(cells[c]):>13}" for c in shown) + "  " + verdict)
    if stopped:
        lines.append(f"sweep stopped early: {stopped}")
    rates = [p for p in points if p.step.kind == RATE]
    if rates and all(p.passed for p in rates):
        lines.append(f"every open-loop rate met the thresholds: the limit is above {max(p.offered for p in rates):g}"
                     " requests/s (--search looks higher)")
    lines.append(verdict_line(best))
    return "\n".join(lines)


def verdict_line(best: Point | None) -> str:
    if best is None:
        return "max sustainable rate: none (no open-loop rate met every threshold)"
    return f"max sustainable rate: {best.offered:g} requests/s ({best.step.name})"


def plot(path: Path, points: list[Point], best: Point | None) -> Path:
    """Latency percentiles and the error rate of the open-loop runs against their offered rate; the closed-loop
    runs' rates (their latency is that of their own concurrency, not of a rate) and the max sustainable rate as
    marks."""
    ordered = sorted((p for p in points if p.step.kind == RATE), key=lambda p: p.offered)
    x = [p.offered for p in ordered]
    series = [Series(f"{metric.removesuffix('_ms').upper()} {q}", x, [p.summary.get(metric, {}).get(q)
                                                                        for p in ordered])
              for metric, q in CURVES]
    series.append(Series("error rate (%)", x, [100 * float(p.summary.get("error_rate", 0.0)) for p in ordered],
                         right=True, style="--s"))
    marks = [(p.offered, f"{p.step.kind} run {p.offered:.1f}/s ({p.step.users} user{'s' * (p.step.users > 1)})")
             for p in points if p.step.kind != RATE and p.offered > 0]
    marks += [(best.offered, f"max sustainable {best.offered:g}/s")] if best else []
    errors = max((s for s in series[-1].y if s is not None), default=0.0)
    return line_chart(path, series, title="Latency and errors by offered rate", xlabel="offered rate (requests/s)",
                      ylabel="ms", right_label="error rate (%)", marks=marks, right_top=max(5.0, 1.1 * errors))


def write(directory: Path, points: list[Point], best: Point | None, meta: dict[str, Any]) -> list[Path]:
    """sweep.json, sweep.csv, sweep.png and sweep.html in `directory`."""
    rows = [row(p) for p in points]
    result = {**meta, "max_sustainable_rate": best.offered if best else None,
              "max_sustainable_run": best.step.name if best else None, "runs": rows}
    (directory / "sweep.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    with (directory / "sweep.csv").open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    png = plot(directory / "sweep.png", points, best)
    head = "".join(f"<th>{c}</th>" for c in COLUMNS)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(_cell(r[c]))}</td>" for c in COLUMNS) + "</tr>" for r in rows)
    page = (f"<!doctype html><meta charset=utf-8><title>aigw load sweep</title><h1>aigw load sweep</h1>"
            f"<p>{html.escape(verdict_line(best))}</p><p>{img_tag(png, 'latency and errors by offered rate')}</p>"
            f"<table border=1 cellpadding=3><tr>{head}</tr>{body}</table>"
            f"<p>Each run's own report: <code>RUN/summary.json</code>.</p>")
    (directory / "sweep.html").write_text(page, encoding="utf-8")
    return [directory / "sweep.json", directory / "sweep.csv", png, directory / "sweep.html"]
