"""A chaos phase's limits (`expect`, or an SLO file's `[phases.NAME]`): chaos keys and the SLO gate's keys."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aigw_conformance.suites.load import slo
from aigw_conformance.suites.target_schema import suggest

CHAOS_KEYS = {
    "allowed_statuses", "min_status", "retry_after_statuses", "min_circuit_open", "max_circuit_open",
    "max_silent_streams", "max_amplification", "max_recovery_first_s", "max_recovery_s", "min_requests",
}
SCALED_KEYS = {"max_recovery_first_s", "max_recovery_s"}  # limits in seconds of the schedule: --time-scale applies


@dataclass(frozen=True)
class Expect:
    """What a phase must show: the chaos limits (CHAOS_KEYS) and the plain SLO limits of `slo.Thresholds`."""

    chaos: dict[str, Any] = field(default_factory=dict)
    slo: slo.Thresholds | None = None
    slo_raw: dict[str, Any] = field(default_factory=dict)


def known(where: str, table: Any, allowed: set[str]) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise ValueError(f"{where} must be a table, got {table!r}")
    if unknown := sorted(set(table) - allowed):
        raise ValueError(f"{where}: unknown key {unknown[0]!r}{suggest(unknown[0], sorted(allowed))} "
                         f"(known: {', '.join(sorted(allowed))})")
    return table


def number(where: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ValueError(f"{where} must be a non-negative number, got {value!r}")
    return float(value)


def _statuses(where: str, value: Any) -> list[int]:
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise ValueError(f"{where} must be a list of HTTP statuses (0: no response), got {value!r}")
    return list(value)


def parse_expect(where: str, raw: Any) -> Expect:
    """A phase's limits: CHAOS_KEYS, and every key of an SLO thresholds file (unknown keys are errors)."""
    if not isinstance(raw, dict):
        raise ValueError(f"{where} must be a table, got {raw!r}")
    chaos: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in CHAOS_KEYS:
            continue
        if key in ("allowed_statuses", "retry_after_statuses"):
            chaos[key] = _statuses(f"{where}.{key}", value)
        elif key == "min_status":
            table = value if isinstance(value, dict) else None
            if table is None or not all(k.isdigit() for k in table):
                raise ValueError(f"{where}.min_status must be a table such as {{\"429\" = 1}}, got {value!r}")
            chaos[key] = {int(k): int(number(f"{where}.min_status.{k}", v)) for k, v in table.items()}
        else:
            chaos[key] = number(f"{where}.{key}", value)
    rest = {k: v for k, v in raw.items() if k not in CHAOS_KEYS}
    try:
        thresholds = slo.parse(rest, where) if rest else None
    except ValueError as exc:
        raise ValueError(f"{exc} (or one of the chaos keys: {', '.join(sorted(CHAOS_KEYS))})") from None
    return Expect(chaos, thresholds, rest)


def phase_limits(path: str | Path) -> dict[str, Expect]:
    """An SLO file's per-phase limits: `[phases.NAME]` tables of the same keys as a phase's `expect`."""
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"cannot read thresholds file {path}: {exc}") from None
    known(str(path), raw, {"phases"})
    phases = known(f"{path}: [phases]", raw.get("phases", {}), set(raw.get("phases", {})))
    return {name: parse_expect(f"{path}: phases.{name}", table) for name, table in phases.items()}
