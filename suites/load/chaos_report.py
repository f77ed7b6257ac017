"""The per-phase summary of a chaos run as a few lines of text (terminal, timeline.html)."""

from __future__ import annotations

from typing import Any


def _ms(stats: dict[str, Any], key: str) -> str:
    value = stats.get(key)
    return "-" if value is None else f"{value:.0f}"


def _seconds(value: float | None) -> str:
    return "never" if value is None else f"{value:.2f}s"


def _faults(phase: dict[str, Any]) -> str:
    shown = []
    for fault in phase.get("faults", []):
        spec = dict(fault["faults"][0])
        kind = spec.pop("kind")
        rate = spec.pop("rate", None)
        spec.pop("seed", None)
        fields = ",".join(f"{k}={v}" for k, v in spec.items())
        shown.append(f"{fault['provider']}:{kind}({fields}){f' x{rate:g}' if rate is not None else ''}")
    return "; ".join(shown) or "none"


def render(result: dict[str, Any]) -> str:
    lines = [f"scenario {result['scenario']} (time scale {result['time_scale']:g}): {result['description']}"]
    for phase in result["phases"]:
        if not phase.get("ran"):
            lines.append(f"[{phase['name']}] did not run")
            continue
        lines.append(f"[{phase['name']}] {phase['offset_s']:.1f}s +{phase['window_s']:.1f}s  faults: "
                     f"{_faults(phase)}")
        statuses = " ".join(f"{code}:{count}" for code, count in phase["statuses"].items()) or "-"
        amplification = phase["amplification"]
        lines.append(f"  requests {phase['requests']}  errors {phase['errors']}  statuses {statuses}  "
                     f"circuit_open {phase['circuit_open']}  silent streams {phase['silent_streams']}  "
                     f"amplification {'-' if amplification is None else f'{amplification:.2f}'} "
                     f"({phase['upstream_requests']} upstream)")
        ttft, e2e = phase["ttft_ms"], phase["e2e_ms"]
        lines.append(f"  ttft p50/p99 {_ms(ttft, 'p50')}/{_ms(ttft, 'p99')} ms  e2e p50/p99 {_ms(e2e, 'p50')}/"
                     f"{_ms(e2e, 'p99')} ms  error codes {phase['error_codes'] or '-'}")
        if "recovery_first_s" in phase:
            lines.append(f"  recovery: first good answer {_seconds(phase['recovery_first_s'])}, 99% good from "
                         f"{_seconds(phase['recovery_s'])} after the fault ended")
        for breach in phase["breaches"]:
            lines.append(f"  BREACH: {breach}")
    lines += [f"PROBLEM: {problem}" for problem in result["problems"]]
    return "\n".join(lines)
