"""The error-rate gate of `aigw load`: any error rate above the limit fails, 100% errors always, with the causes."""

from __future__ import annotations

from typing import Any

DEFAULT_MAX_ERROR_RATE = 0.01
TOP_CAUSES = 5


def limit(flag: float | None, from_thresholds: float | None) -> float:
    """`--max-error-rate` if given, else the thresholds file's `max_error_rate`, else 1%."""
    if flag is not None:
        return flag
    return from_thresholds if from_thresholds is not None else DEFAULT_MAX_ERROR_RATE


def check(summary: dict[str, Any], max_error_rate: float) -> dict[str, Any]:
    """`summary["error_gate"]`: the limit, whether the run kept to it, the breach as a sentence, the top causes.
    A run whose every request failed never passes, whatever the limit."""
    requests, errors = summary["requests"], summary["errors"]
    rate = errors / requests if requests else 0.0
    failed = bool(requests) and (rate > max_error_rate or errors == requests)
    breach = (f"error rate {rate:.2%} ({errors:,} of {requests:,} requests failed) exceeds --max-error-rate "
              f"{max_error_rate:g}" + (" (every request failed)" if errors == requests else ""))
    causes = sorted(summary.get("error_kinds", {}).items(), key=lambda item: -item[1])[:TOP_CAUSES]
    return {
        "max_error_rate": max_error_rate, "passed": not failed,
        "breach": breach if failed else None,
        "top_causes": [{"cause": cause or "(no detail)", "count": count} for cause, count in causes],
    }


def render(gate: dict[str, Any]) -> str:
    """The breach and its top causes, for the terminal; empty when the gate passed."""
    if gate["passed"]:
        return ""
    lines = [f"aigw load: FAILED: {gate['breach']}", "  top error causes:"]
    lines += [f"    {item['count']:>8,}  {item['cause']}" for item in gate["top_causes"]]
    return "\n".join(lines)
