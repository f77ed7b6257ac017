"""Per-phase figures of a chaos run (statuses, breaker, silent streams, amplification, recovery) and their gate."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from aigw_conformance.suites.load import slo, summary
from aigw_conformance.suites.load.chaos_control import Timeline
from aigw_conformance.suites.load.chaos_scenario import Phase, Scenario
from aigw_conformance.suites.load.samples import Sample

CIRCUIT_OPEN = "circuit_open"
RECOVERED_SHARE = 0.99


def ends(sample: Sample) -> float:
    return sample.t + sample.e2e_ms / 1000


def silent(sample: Sample) -> bool:
    """A stream that ended (or hung until the client's timeout) without `[DONE]` and without an error event."""
    return sample.done is False and sample.status == 200 and not (sample.error or "").startswith("error event")


def recovery(samples: Sequence[Sample], since: float) -> tuple[float | None, float | None]:
    """Seconds from `since` (a fault's end) to the first good answer, and to the start of the requests from which
    on at least 99 % are good (None: not within the phase)."""
    good = [ends(s) for s in samples if s.ok]
    first = min(good) - since if good else None
    ordered = sorted(samples, key=lambda s: s.t)
    ok_after, total_after, steady = 0, 0, None
    for sample in reversed(ordered):  # the earliest start whose suffix is >= 99 % good
        ok_after, total_after = ok_after + sample.ok, total_after + 1
        if ok_after / total_after >= RECOVERED_SHARE:
            steady = sample.t
    return first, None if steady is None or first is None else max(0.0, steady - since)


def figures(samples: Sequence[Sample], upstream: int, started: int, after_fault: bool,
            since: float) -> dict[str, Any]:
    """The phase's figures: the load summary's (statuses, percentiles, error kinds) and the chaos ones;
    `started` counts every client request begun in the phase (the denominator of the amplification)."""
    found = summary.summarize(samples)
    statuses = Counter(s.status for s in samples)
    found.pop("by_kind", None)
    found.update(
        statuses={str(code): count for code, count in sorted(statuses.items())},
        error_codes=dict(Counter(s.error_code for s in samples if s.error_code).most_common(10)),
        circuit_open=sum(s.status == 503 and s.error_code == CIRCUIT_OPEN for s in samples),
        retry_after_missing={str(code): count for code, count in sorted(Counter(
            s.status for s in samples if not s.ok and s.status >= 400 and not s.retry_after).items())},
        silent_streams=sum(silent(s) for s in samples),
        upstream_requests=upstream,
        amplification=upstream / started if started else None,
    )
    if after_fault:
        found["recovery_first_s"], found["recovery_s"] = recovery(samples, since)
    return found


def breaches(phase: Phase, found: dict[str, Any]) -> list[str]:
    """Every limit of the phase's `expect` the figures break, as a sentence."""
    limits, out = phase.expect.chaos, []
    requests = found["requests"]
    if requests < limits.get("min_requests", 1):
        return [f"only {requests} requests in the phase (at least {limits.get('min_requests', 1):g} needed)"]
    statuses = {int(code): count for code, count in found["statuses"].items()}
    if "allowed_statuses" in limits and (other := {c: n for c, n in statuses.items()
                                                   if c not in limits["allowed_statuses"]}):
        out.append(f"statuses {other} outside the allowed {limits['allowed_statuses']}")
    for code, least in limits.get("min_status", {}).items():
        if statuses.get(code, 0) < least:
            out.append(f"{statuses.get(code, 0)} responses with status {code} (at least {least} expected)")
    for code in limits.get("retry_after_statuses", []):
        if missing := found["retry_after_missing"].get(str(code)):
            out.append(f"{missing} responses with status {code} without Retry-After")
    if found["circuit_open"] < limits.get("min_circuit_open", 0):
        out.append(f"circuit breaker never seen open (no 503 circuit_open; at least "
                   f"{limits['min_circuit_open']:g} expected)")
    if "max_circuit_open" in limits and found["circuit_open"] > limits["max_circuit_open"]:
        out.append(f"{found['circuit_open']} 503 circuit_open (at most {limits['max_circuit_open']:g})")
    if "max_silent_streams" in limits and found["silent_streams"] > limits["max_silent_streams"]:
        out.append(f"{found['silent_streams']} streams ended without [DONE] or an error event "
                   f"(at most {limits['max_silent_streams']:g})")
    amplification = found["amplification"]
    if "max_amplification" in limits and amplification is not None and amplification > limits["max_amplification"]:
        out.append(f"retry amplification {amplification:.2f} upstream requests per client request "
                   f"(at most {limits['max_amplification']:g})")
    for key, label in (("max_recovery_first_s", "first good answer"), ("max_recovery_s", "99 % good answers")):
        if key in limits:
            value = found.get(key.removeprefix("max_"))
            if value is None:
                out.append(f"no recovery: {label} never reached in the phase")
            elif value > limits[key]:
                out.append(f"{label} {value:.2f} s after the fault ended (at most {limits[key]:g} s)")
    if phase.expect.slo is not None:
        out += slo.breaches(found, phase.expect.slo)
    return out


def analyse(scenario: Scenario, timeline: Timeline, samples: Sequence[Sample]) -> list[dict[str, Any]]:
    """One entry per phase: its window, faults, figures and breaches. A request belongs to the phase it started
    in; one still in flight when the faults switched is left out (it saw both), and counted as `straddling`."""
    phases: list[dict[str, Any]] = []
    for index, phase in enumerate(scenario.phases):
        if index + 1 >= len(timeline.switches):
            phases.append({"name": phase.name, "ran": False, "breaches": ["the phase did not run"]})
            continue
        start, end = timeline.window(index)
        inside = [s for s in samples if start <= s.t < end]
        kept = [s for s in inside if ends(s) <= end or index + 1 == len(scenario.phases)]
        upstream = timeline.upstream[index + 1] - timeline.upstream[index]
        found = figures(kept, upstream, len(inside), index > 0 and bool(scenario.phases[index - 1].faults), start)
        found["straddling"] = len(inside) - len(kept)
        faults = [{"provider": f.provider, **f.rule} for f in phase.faults]
        phases.append({**found, "name": phase.name, "ran": True, "start": start, "end": end,
                       "offset_s": start - timeline.switches[0], "window_s": end - start, "faults": faults,
                       "breaches": breaches(phase, found)})
    return phases
