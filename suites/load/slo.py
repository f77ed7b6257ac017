"""The SLO gate: a TOML thresholds file, goodput, and the breaches that make a CI run exit non-zero."""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aigw_conformance.suites.load.samples import Sample
from aigw_conformance.suites.load.stats import METRICS, PERCENTILES, STREAM_METRICS
from aigw_conformance.suites.target_schema import suggest

EXIT_OK, EXIT_BREACH, EXIT_USAGE, EXIT_UNREACHABLE, EXIT_RUN_FAILED = 0, 1, 2, 3, 4
STATS = {f"p{q}" for q in PERCENTILES} | {"mean", "max"}
GOODPUT_LIMITS = ("ttft_ms", "tpot_ms", "e2e_ms")
LIMITED = tuple(m for m in METRICS if m != "output_tps")  # upper limits; more tokens/s is never a breach


@dataclass(frozen=True)
class Thresholds:
    """Upper limits per metric statistic (`latency["ttft_ms"]["p99"] = 800`), the largest error rate, the
    smallest achieved/target rate ratio, and goodput: the smallest share of requests that succeed within
    every per-request limit in `goodput_limits`."""

    max_error_rate: float | None = None
    min_rate_ratio: float | None = None
    latency: dict[str, dict[str, float]] = field(default_factory=dict)
    min_goodput_ratio: float | None = None
    goodput_limits: dict[str, float] = field(default_factory=dict)


def _number(where: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{where} must be a number, got {type(value).__name__} {value!r}")
    return float(value)


def _table(raw: dict[str, Any], name: str, allowed: set[str]) -> dict[str, float]:
    table = raw.get(name, {})
    if not isinstance(table, dict):
        raise ValueError(f"[{name}] must be a table of {sorted(allowed)}, got {table!r}")
    if unknown := sorted(set(table) - allowed):
        raise ValueError(f"[{name}] unknown key {unknown[0]!r}{suggest(unknown[0], sorted(allowed))} "
                         f"(known: {', '.join(sorted(allowed))})")
    return {key: _number(f"{name}.{key}", value) for key, value in table.items()}


def parse(raw: dict[str, Any], source: str = "thresholds") -> Thresholds:
    """Validate a thresholds mapping; unknown keys are errors, so a typo cannot disable a limit."""
    top = {"max_error_rate", "min_rate_ratio", "goodput", *LIMITED}
    if unknown := sorted(set(raw) - top):
        raise ValueError(f"{source}: unknown key {unknown[0]!r}{suggest(unknown[0], sorted(top))} "
                         f"(known: {', '.join(sorted(top))})")
    try:
        latency = {metric: table for metric in LIMITED if (table := _table(raw, metric, STATS))}
        goodput = _table(raw, "goodput", {"min_ratio", *GOODPUT_LIMITS})
        optional = {key: _number(key, raw[key]) for key in ("max_error_rate", "min_rate_ratio") if key in raw}
    except ValueError as exc:
        raise ValueError(f"{source}: {exc}") from None
    return Thresholds(
        latency=latency, min_goodput_ratio=goodput.pop("min_ratio", None), goodput_limits=goodput, **optional
    )


def load(path: str | Path) -> Thresholds:
    """Read a thresholds file; raises ValueError (unreadable, not TOML, or invalid) with the reason."""
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"cannot read thresholds file {path}: {exc}") from None
    return parse(raw, str(path))


def is_good(sample: Sample, limits: dict[str, float]) -> bool:
    """Succeeded, and every limit that applies to it holds (TTFT and TPOT apply to streams only)."""
    if not sample.ok:
        return False
    return all(
        (value := getattr(sample, metric)) is None or value <= limit for metric, limit in limits.items()
    )


def goodput(samples: Sequence[Sample], limits: dict[str, float], duration_s: float | None) -> dict[str, Any]:
    good = sum(is_good(s, limits) for s in samples)
    return {
        "limits": limits, "good": good, "ratio": good / len(samples) if samples else None,
        "per_s": good / duration_s if duration_s else None,
    }


def breaches(summary: dict[str, Any], thresholds: Thresholds) -> list[str]:
    """Every limit the summary breaks, as a sentence; a limit on a metric with no data is a breach, except
    stream metrics in a run without streams (they do not apply)."""
    found: list[str] = []
    if not summary["requests"]:
        return ["no requests were made"]
    if thresholds.max_error_rate is not None and summary["error_rate"] > thresholds.max_error_rate:
        found.append(f"error rate {summary['error_rate']:.4f} > {thresholds.max_error_rate}")
    if thresholds.min_rate_ratio is not None and summary.get("target_rate"):
        ratio = summary.get("rate_ratio")
        if ratio is None or ratio < thresholds.min_rate_ratio:
            shown = "unknown" if ratio is None else f"{ratio:.3f}"
            found.append(f"achieved/target rate {shown} < {thresholds.min_rate_ratio}")
    for metric, limits in thresholds.latency.items():
        if metric in STREAM_METRICS and not summary.get("stream_requests"):
            continue
        for stat, limit in limits.items():
            value = summary[metric][stat]
            if value is None:
                found.append(f"{metric} {stat}: no data (limit {limit})")
            elif value > limit:
                found.append(f"{metric} {stat} {value:.1f} > {limit}")
    if thresholds.min_goodput_ratio is not None:
        ratio = summary.get("goodput", {}).get("ratio")
        if ratio is None or ratio < thresholds.min_goodput_ratio:
            found.append(f"goodput ratio {ratio} < {thresholds.min_goodput_ratio}")
    return found
