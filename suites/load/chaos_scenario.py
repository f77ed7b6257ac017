"""Chaos scenarios: a timed fault schedule for the mock providers, per-phase expectations, read from TOML."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from aigw_conformance.suites.load.chaos_expect import SCALED_KEYS, Expect, known, number, parse_expect

SHIPPED_DIR = Path(__file__).with_name("scenarios")
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


def _fault(where: str, raw: Any) -> Fault:
    if not isinstance(raw, dict) or not isinstance(raw.get("provider"), str) or not isinstance(raw.get("kind"), str):
        raise ValueError(f"{where} must be a table with `provider` and `kind`, e.g. "
                         f"{{provider = \"openai\", kind = \"status\", status = 503}}, got {raw!r}")
    scope = {k: raw[k] for k in ("path", "method", "times") if k in raw}
    spec = {k: v for k, v in raw.items() if k not in ("provider", "path", "method", "times")}
    return Fault(raw["provider"], {**scope, "faults": [spec]})


def parse(raw: dict[str, Any], name: str) -> Scenario:
    """Validate a scenario mapping (see suites/load/scenarios/*.toml)."""
    known(name, raw, TOP_KEYS)
    duration = number(f"{name}: duration_s", raw.get("duration_s"))
    phases: list[Phase] = []
    for index, item in enumerate(raw.get("phases") or []):
        where = f"{name}: phases[{index}]"
        known(where, item, PHASE_KEYS)
        start = number(f"{where}.start_s", item.get("start_s", 0))
        if (phases and start <= phases[-1].start_s) or start >= duration:
            raise ValueError(f"{where}.start_s {start:g} must come after the previous phase and before duration_s")
        faults = tuple(_fault(f"{where}.faults[{i}]", f) for i, f in enumerate(item.get("faults") or []))
        phases.append(Phase(str(item.get("name") or f"phase-{index}"), start, faults,
                            parse_expect(f"{where}.expect", item.get("expect", {}))))
    if not phases or phases[0].start_s != 0:
        raise ValueError(f"{name}: the first of [[phases]] must start at 0")
    if len({p.name for p in phases}) != len(phases):
        raise ValueError(f"{name}: phase names must be unique")
    reference = {k: number(f"{name}: reference.{k}", v)
                 for k, v in known(f"{name}: [reference]", raw.get("reference", {}), REFERENCE_KEYS).items()}
    load = known(f"{name}: [load]", raw.get("load", {}), LOAD_KEYS)
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
