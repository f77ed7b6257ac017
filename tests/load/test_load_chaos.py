"""Chaos scenarios in-process: parsing, the schedule against a real mock's control endpoint, per-phase figures."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from aigw_conformance.mocks.core.server import ServerThread
from aigw_conformance.mocks.openai.app import create_app
from aigw_conformance.suites.load import chaos_control, chaos_expect, chaos_phases, chaos_scenario
from aigw_conformance.suites.load.chaos_control import MockControl, Schedule, Timeline
from aigw_conformance.suites.load.samples import Sample

SHIPPED = ("flaky-streams", "provider-outage", "rate-limited-provider", "slow-provider")


def test_the_shipped_scenarios_load_and_scale() -> None:
    assert set(SHIPPED) <= set(chaos_scenario.shipped())
    for name in SHIPPED:
        scenario = chaos_scenario.load(name)
        assert scenario.providers == ["openai"] and scenario.phases[0].start_s == 0
        assert any(phase.faults for phase in scenario.phases)
        scaled = scenario.scaled(0.2)
        assert scaled.duration_s == pytest.approx(scenario.duration_s * 0.2)
        assert [p.start_s for p in scaled.phases] == pytest.approx([p.start_s * 0.2 for p in scenario.phases])
    outage = chaos_scenario.load("provider-outage").scaled(0.5)
    assert outage.reference["breaker_cooldown_s"] == 3 and outage.reference["breaker_threshold"] == 5
    assert outage.phases[2].expect.chaos["max_recovery_s"] == 9


@pytest.mark.parametrize(("text", "problem"), [
    ("duration_s = 10\n[[phases]]\nname = 'a'\nstart_s = 1\n", "must start at 0"),
    ("duration_s = 10\nphase = []\n", "unknown key 'phase'"),
    ("duration_s = 10\n[[phases]]\nstart_s = 0\n[phases.expect]\nmax_amplificaton = 1\n", "max_amplificaton"),
    ("duration_s = 10\n[[phases]]\nstart_s = 0\nfaults = [{kind = 'status'}]\n", "provider"),
    ("duration_s = 10\n[[phases]]\nstart_s = 0\n[[phases]]\nstart_s = 12\n", "before duration_s"),
    ("duration_s = 10\n[[phases]]\nstart_s = 0\n[phases.expect]\nmin_status = {ok = 1}\n", "min_status"),
])
def test_invalid_scenarios_are_refused(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=problem):
        chaos_scenario.load(str(path))
    with pytest.raises(ValueError, match="no scenario"):
        chaos_scenario.load("no-such-scenario")


def test_an_slo_file_bounds_each_phase(tmp_path: Path) -> None:
    path = tmp_path / "slo.toml"
    path.write_text("[phases.clean]\nmax_error_rate = 0.5\n[phases.clean.e2e_ms]\np99 = 900\n"
                    "[phases.outage]\nmin_circuit_open = 3\n", encoding="utf-8")
    scenario = chaos_scenario.with_limits(chaos_scenario.load("provider-outage"), chaos_expect.phase_limits(path))
    clean, outage = scenario.phases[0].expect, scenario.phases[1].expect
    assert clean.slo is not None and clean.slo.max_error_rate == 0.5 and clean.slo.latency == {"e2e_ms": {"p99": 900}}
    assert clean.chaos["max_silent_streams"] == 0  # the scenario's own limits stay
    assert outage.chaos["min_circuit_open"] == 3 and outage.chaos["allowed_statuses"] == [502, 503]
    path.write_text("[phases.nope]\nmax_error_rate = 0\n", encoding="utf-8")
    with pytest.raises(ValueError, match="nope"):
        chaos_scenario.with_limits(scenario, chaos_expect.phase_limits(path))


def sample(t: float, status: int = 200, *, ok: bool | None = None, code: str | None = None, done: bool | None = True,
           error: str | None = None, retry_after: str | None = None) -> Sample:
    good = status == 200 and done is not False if ok is None else ok
    return Sample(t=t, kind="chat-stream", ok=good, status=status, e2e_ms=10.0, error=error, done=done,
                  error_code=code, retry_after=retry_after)


def test_phase_figures_and_breaches() -> None:
    scenario = chaos_scenario.load("provider-outage")
    timeline = Timeline(started_at=0.0, switches=[0.0, 10.0, 20.0, 30.0], upstream=[0, 10, 12, 30])
    samples = [sample(1.0 + i * 0.5) for i in range(10)]
    samples += [sample(10.5, 502, code="provider_error", retry_after=None)]
    samples += [sample(11.0 + i, 503, code="circuit_open", retry_after="5") for i in range(5)]
    samples += [sample(12.0, 200, done=False, error="stream ended without [DONE]")]  # a silent cut
    samples += [sample(20.5, 503, code="circuit_open", retry_after="2"), sample(22.0), sample(23.0)]
    samples += [sample(24.0 + i * 0.2) for i in range(20)]
    clean, outage, recovery = chaos_phases.analyse(scenario, timeline, samples)
    assert clean["requests"] == 10 and clean["breaches"] == [] and clean["amplification"] == 1.0
    assert outage["statuses"] == {"200": 1, "502": 1, "503": 5} and outage["circuit_open"] == 5
    assert outage["silent_streams"] == 1 and outage["upstream_requests"] == 2
    assert any("statuses {200: 1}" in b for b in outage["breaches"])
    assert any("ended without [DONE]" in b for b in outage["breaches"])
    assert recovery["recovery_first_s"] == pytest.approx(2.01) and recovery["recovery_s"] == pytest.approx(2.0)
    assert recovery["breaches"] == []
    never = chaos_phases.analyse(scenario, timeline, [s for s in samples if s.t < 20] + [
        sample(21.0 + i, 503, code="circuit_open", retry_after="1") for i in range(8)])[2]
    assert never["recovery_first_s"] is None and any("no recovery" in b for b in never["breaches"])


def test_a_request_in_flight_at_a_switch_belongs_to_no_phase() -> None:
    scenario = chaos_scenario.load("provider-outage")
    timeline = Timeline(started_at=0.0, switches=[0.0, 10.0, 20.0, 30.0], upstream=[0, 0, 0, 0])
    slow = Sample(t=9.9, kind="chat-stream", ok=True, status=200, e2e_ms=500.0, done=True)
    clean = chaos_phases.analyse(scenario, timeline, [sample(1.0), slow])[0]
    assert clean["requests"] == 1 and clean["straddling"] == 1


@pytest.fixture
def mock() -> Iterator[tuple[MockControl, str]]:
    with ServerThread(create_app("sk-test"), name="chaos-mock") as server, httpx.Client(trust_env=False) as http:
        yield MockControl(server.base_url, http), server.base_url


def test_the_schedule_applies_each_phase_and_clears_at_the_end(mock: tuple[MockControl, str],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    control, root = mock
    monkeypatch.setattr(chaos_control, "WARM_UP_S", 0.0)
    scenario = chaos_scenario.parse({"duration_s": 0.6, "phases": [
        {"name": "clean", "start_s": 0},
        {"name": "down", "start_s": 0.3, "faults": [{"provider": "openai", "kind": "status", "status": 503}]},
    ]}, "tiny")
    added: list[dict[str, object]] = []
    original = control.add

    def add(rule: dict[str, object]) -> None:
        added.append(rule)
        original(rule)

    monkeypatch.setattr(control, "add", add)
    schedule = Schedule(scenario, {"openai": control}, lambda: 0.0, wait_limit_s=5)
    schedule.start()
    schedule.join(timeout=10)
    timeline = schedule.timeline
    assert timeline.problem is None and len(timeline.switches) == 3 and timeline.upstream == [0, 0, 0]
    assert timeline.switches[0] <= timeline.switches[1] - 0.25 and timeline.switches[2] >= timeline.switches[1] + 0.25
    assert added == [{"faults": [{"kind": "status", "status": 503}]}]
    with httpx.Client(trust_env=False) as http:
        assert http.get(root + "/__mock__/faults").json()["data"] == []  # cleared at the end
        before = control.count()
        for _ in range(2):
            http.post(root + "/v1/chat/completions", json={})
    assert control.count() == before + 2


def test_the_schedule_gives_up_without_load(mock: tuple[MockControl, str]) -> None:
    schedule = Schedule(chaos_scenario.load("provider-outage"), {"openai": mock[0]}, lambda: None, wait_limit_s=0.2)
    schedule.start()
    schedule.join(timeout=5)
    assert schedule.timeline.problem is not None and "no request" in schedule.timeline.problem
    assert chaos_phases.analyse(chaos_scenario.load("provider-outage"), schedule.timeline, [])[0]["ran"] is False
