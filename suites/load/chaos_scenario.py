"""Chaos scenarios: a timed fault schedule for the mock providers, per-phase expectations, read from TOML."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from aigw_conformance.suites.load import slo
from aigw_conformance.suites.target_schema import suggest

SHIPPED_DIR = Path(__file__).with_name("scenarios")
CHAOS_KEYS = {
    "allowed_statuses", "min_status", "retry_after_statuses", "min_circuit_open", "max_circuit_open",
    "max_silent_streams", "max_amplification", "max_recovery_first_s", "max_recovery_s", "min_requests",
}
SCALED_KEYS = {"max_recovery_first_s", "max_recovery_s"}  # limits in seconds of the schedule: --time-scale applies
TOP_KEYS = {"description", "duration_s", "reference", "load", "phases"}
REFERENCE_KEYS = {"breaker_threshold", "breaker_cooldown_s"}
LOAD_KEYS = {"users", "rate", "model", "max_tokens"}
PHASE_KEYS = {"name", "start_s", "faults", "expect"}


@dataclass(frozen=True)
class Fault:
    """One fault rule for one provider's mock: a control-endpoint spec (`kind` and its fields, `rate`, `seed`)
    plus the rule's scope (`path`, `method`, `times`)."""

    provider: str
    rule: dict[str, Any]


@dataclass(frozen=True)
class Expect:
    """What a phase must show: the chaos limits (CHAOS_KEYS) and the plain SLO limits of `slo.Thresholds`."""

    chaos: dict[str, Any] = field(default_factory=dict)
    slo: slo.Thresholds | None = None
    slo_raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Phase:
    name: str
    start_s: float
    faults: tuple[Fault, ...] = ()
    expect: Expect = field(default_factory=Expect)


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    duration_s: float
    phases: tuple[Phase, ...]
    reference: dict[str, float] = field(default_factory=dict)
    load: dict[str, Any] = field(default_factory=dict)

    @property
    def providers(self) -> list[str]:
        """Every provider a phase puts a fault on (their mocks' journals give the upstream request counts)."""
        return sorted({fault.provider for phase in self.phases for fault in phase.faults})

    def end_s(self, index: int) -> float:
        return self.phases[index + 1].start_s if index + 1 < len(self.phases) else self.duration_s

    def scaled(self, factor: float) -> Scenario:
        """Every time of the schedule (phase starts, duration, the reference's cooldown, recovery limits) times
        `factor`; fault latencies and Retry-After values are the providers' and stay as they are."""
        phases = tuple(replace(p, start_s=p.start_s * factor, expect=replace(p.expect, chaos={
            k: v * factor if k in SCALED_KEYS else v for k, v in p.expect.chaos.items()})) for p in self.phases)
        reference = {k: v * factor if k == "breaker_cooldown_s" else v for k, v in self.reference.items()}
        return replace(self, duration_s=self.duration_s * factor, phases=phases, reference=reference)


def _known(where: str, table: Any, allowed: set[str]) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise ValueError(f"{where} must be a table, got {table!r}")
    if unknown := sorted(set(table) - allowed):
        raise ValueError(f"{where}: unknown key {unknown[0]!r}{suggest(unknown[0], sorted(allowed))} "
                         f"(known: {', '.join(sorted(allowed))})")
    return table


def _number(where: str, value: Any) -> float:
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
            chaos[key] = {int(k): int(_number(f"{where}.min_status.{k}", v)) for k, v in table.items()}
        else:
            chaos[key] = _number(f"{where}.{key}", value)
    rest = {k: v for k, v in raw.items() if k not in CHAOS_KEYS}
    try:
        thresholds = slo.parse(rest, where) if rest else None
    except ValueError as exc:
        raise ValueError(f"{exc} (or one of the chaos keys: {', '.join(sorted(CHAOS_KEYS))})") from None
    return Expect(chaos, thresholds, rest)


def _fault(where: str, raw: Any) -> Fault:
    if not isinstance(raw, dict) or not isinstance(raw.get("provider"), str) or not isinstance(raw.get("kind"), str):
        raise ValueError(f"{where} must be a table with `provider` and `kind`, e.g. "
                         f"{{provider = \"openai\", kind = \"status\", status = 503}}, got {raw!r}")
    scope = {k: raw[k] for k in ("path", "method", "times") if k in raw}
    spec = {k: v for k, v in raw.items() if k not in ("provider", "path", "method", "times")}
    return Fault(raw["provider"], {**scope, "faults": [spec]})


def parse(raw: dict[str, Any], name: str) -> Scenario:
    """Validate a scenario mapping (see suites/load/scenarios/*.toml)."""
    _known(name, raw, TOP_KEYS)
    duration = _number(f"{name}: duration_s", raw.get("duration_s"))
    phases: list[Phase] = []
    for index, item in enumerate(raw.get("phases") or []):
        where = f"{name}: phases[{index}]"
        _known(where, item, PHASE_KEYS)
        start = _number(f"{where}.start_s", item.get("start_s", 0))
        if (phases and start <= phases[-1].start_s) or start >= duration:
            raise ValueError(f"{where}.start_s {start:g} must come after the previous phase and before duration_s")
        faults = tuple(_fault(f"{where}.faults[{i}]", f) for i, f in enumerate(item.get("faults") or []))
        phases.append(Phase(str(item.get("name") or f"phase-{index}"), start, faults,
                            parse_expect(f"{where}.expect", item.get("expect", {}))))
    if not phases or phases[0].start_s != 0:
        raise ValueError(f"{name}: the first of [[phases]] must start at 0")
    if len({p.name for p in phases}) != len(phases):
        raise ValueError(f"{name}: phase names must be unique")
    reference = {k: _number(f"{name}: reference.{k}", v)
                 for k, v in _known(f"{name}: [reference]", raw.get("reference", {}), REFERENCE_KEYS).items()}
    load = _known(f"{name}: [load]", raw.get("load", {}), LOAD_KEYS)
    return Scenario(name, str(raw.get("description", "")), duration, tuple(phases), reference, dict(load))


def shipped() -> list[str]:
    return sorted(path.stem for path in SHIPPED_DIR.glob("*.toml"))


def load(source: str) -> Scenario:
    """A shipped scenario by name (`provider-outage`) or a TOML file; ValueError with the reason."""
    path = Path(source)
    if not path.suffix and (SHIPPED_DIR / f"{source}.toml").is_file():
        path = SHIPPED_DIR / f"{source}.toml"
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"no scenario {source!r}: give a TOML file or one of {', '.join(shipped())}") from None
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"cannot read scenario {source}: {exc}") from None
    return parse(raw, path.stem)


def phase_limits(path: str | Path) -> dict[str, Expect]:
    """An SLO file's per-phase limits: `[phases.NAME]` tables of the same keys as a phase's `expect`."""
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"cannot read thresholds file {path}: {exc}") from None
    _known(str(path), raw, {"phases"})
    phases = _known(f"{path}: [phases]", raw.get("phases", {}), set(raw.get("phases", {})))
    return {name: parse_expect(f"{path}: phases.{name}", table) for name, table in phases.items()}


def with_limits(scenario: Scenario, limits: dict[str, Expect]) -> Scenario:
    """The scenario with an SLO file's phase limits laid over each phase's own (the file wins per key)."""
    if unknown := sorted(set(limits) - {p.name for p in scenario.phases}):
        raise ValueError(f"the thresholds name phases the scenario lacks: {', '.join(unknown)}")
    phases = []
    for phase in scenario.phases:
        extra = limits.get(phase.name)
        if extra is not None:
            merged = {**phase.expect.chaos, **phase.expect.slo_raw, **extra.chaos, **extra.slo_raw}
            phase = replace(phase, expect=parse_expect(f"phase {phase.name}", merged))
        phases.append(phase)
    return replace(scenario, phases=tuple(phases))
