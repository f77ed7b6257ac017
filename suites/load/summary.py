"""Merge the JSONL samples of every worker into DIR/summary.json (+ CSV, plots) and apply the SLO gate."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aigw_conformance.suites.load import by_length, report_files, slo
from aigw_conformance.suites.load.samples import Sample, find_files, iter_samples
from aigw_conformance.suites.load.stats import METRICS, achieved_rate, describe, span, values

SCHEMA = 1


def _by_kind(samples: Sequence[Sample]) -> dict[str, Any]:
    kinds: dict[str, list[Sample]] = {}
    for sample in samples:
        kinds.setdefault(sample.kind, []).append(sample)
    return {
        kind: {"requests": len(group), "errors": sum(not s.ok for s in group),
               "e2e_ms": describe(values(group, "e2e_ms")), "ttft_ms": describe(values(group, "ttft_ms"))}
        for kind, group in sorted(kinds.items())
    }


def summarize(
    samples: Sequence[Sample], *, target_rate: float | None = None, thresholds: slo.Thresholds | None = None,
    meta: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The run's figures, exact: every percentile is computed from the raw samples, none from buckets."""
    requests, errors = len(samples), sum(not s.ok for s in samples)
    first, last = span(samples) if samples else (None, None)
    duration = last - first if first is not None and last is not None else None
    rate = achieved_rate(samples)
    tokens = sum(s.output_tokens or 0 for s in samples if s.ok)
    summary: dict[str, Any] = {
        "schema": SCHEMA, **(meta or {}),
        "requests": requests, "errors": errors, "error_rate": errors / requests if requests else 0.0,
        "stream_requests": sum(s.done is not None for s in samples),
        "incomplete_streams": sum(s.done is False for s in samples),
        "transport_errors": sum(not s.ok and s.status == 0 for s in samples),
        "error_kinds": dict(Counter((s.error or "")[:80] for s in samples if not s.ok).most_common(10)),
        "workers": len({s.worker for s in samples}), "started_at": first, "duration_s": duration,
        "target_rate": target_rate, "achieved_rate": rate,
        "rate_ratio": rate / target_rate if rate is not None and target_rate else None,
        "output_tokens": tokens, "output_tokens_per_s": tokens / duration if duration else None,
        **{metric: describe(values(samples, metric)) for metric in METRICS},
        "by_kind": _by_kind(samples),
    }
    if lengths := by_length.summarize(samples):  # token-length and replay workloads (workloads.py, replay.py)
        summary["by_length"] = lengths
    summary["goodput"] = slo.goodput(samples, thresholds.goodput_limits if thresholds else {}, duration)
    if thresholds is not None:
        found = slo.breaches(summary, thresholds)
        summary["slo"] = {"passed": not found, "breaches": found}
    return summary


def write_reports(directory: str | Path, summary: dict[str, Any], samples: Sequence[Sample]) -> list[Path]:
    """summary.json, summary.csv, timeseries.csv, latency.png and throughput.png in `directory`."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    report_files.write_summary_csv(out / "summary.csv", summary)
    rows = report_files.timeseries(samples)
    report_files.write_timeseries_csv(out / "timeseries.csv", rows)
    plots = report_files.write_plots(out, samples, rows)
    return [out / "summary.json", out / "summary.csv", out / "timeseries.csv", *plots]


def exit_code(summary: dict[str, Any]) -> int:
    """0: no SLO breached (or none given); 1: a breach; 3: every request failed to connect or was cut
    before a response; 4: no request was recorded at all."""
    if not summary["requests"]:
        return slo.EXIT_RUN_FAILED
    if summary["transport_errors"] == summary["requests"]:
        return slo.EXIT_UNREACHABLE
    return slo.EXIT_BREACH if not summary.get("slo", {}).get("passed", True) else slo.EXIT_OK


def render(summary: dict[str, Any]) -> str:
    """A few lines for the terminal: counts, rates, and p50/p90/p99 of the main latencies."""
    rate = summary["achieved_rate"]
    lines = [f"requests {summary['requests']}  errors {summary['errors']}  incomplete streams "
             f"{summary['incomplete_streams']}  achieved rate {rate:.2f}/s" if rate else
             f"requests {summary['requests']}  errors {summary['errors']}"]
    for metric in ("headers_ms", "ttft_ms", "itl_ms", "e2e_ms", "lag_ms"):
        stats = summary[metric]
        if stats["count"]:
            lines.append(f"  {metric:<11} p50 {stats['p50']:9.1f}  p90 {stats['p90']:9.1f}  p99 {stats['p99']:9.1f}")
    lines += by_length.render(summary.get("by_length", {}))
    for breach in summary.get("slo", {}).get("breaches", []):
        lines.append(f"  SLO breach: {breach}")
    return "\n".join(lines)


def build(
    sources: Sequence[str | Path], report_dir: str | Path, *, run_id: str | None = None,
    target_rate: float | None = None, thresholds: slo.Thresholds | None = None, meta: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Read the samples in `sources`, summarize them and write every report file to `report_dir`."""
    skipped: list[str] = []
    samples = list(iter_samples(find_files(sources, run_id), skipped))
    summary = summarize(samples, target_rate=target_rate, thresholds=thresholds,
                        meta={**(meta or {}), "skipped_lines": skipped})
    write_reports(report_dir, summary, samples)
    return summary


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m aigw_conformance.suites.load.summary", description=__doc__)
    parser.add_argument("sources", nargs="+", help="sample files or directories holding samples-*.jsonl")
    parser.add_argument("--report-dir", required=True, help="where summary.json and the rest go")
    parser.add_argument("--run-id", help="only the samples of this run (samples-RUN-*.jsonl)")
    parser.add_argument("--target-rate", type=float, help="the run's target rate, for the achieved-rate ratio")
    parser.add_argument("--thresholds", help="TOML thresholds file (see suites/load/thresholds.example.toml)")
    args = parser.parse_args(argv)
    try:
        thresholds = slo.load(args.thresholds) if args.thresholds else None
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return slo.EXIT_USAGE
    summary = build(args.sources, args.report_dir, run_id=args.run_id, target_rate=args.target_rate,
                    thresholds=thresholds)
    print(render(summary))
    return exit_code(summary)


if __name__ == "__main__":
    sys.exit(main())
