"""`aigw load chaos` end to end against the bundled reference (locust in its own processes, time-scaled)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from aigw_conformance.cli import main
from aigw_conformance.mocks.reference.defects import CHAOS_CATCHES
from aigw_conformance.suites.load import chaos_scenario

ROOT = Path(__file__).resolve().parents[2]
SCALE = "0.15"  # a 60 s scenario in 9 s (the reference's 6 s breaker cooldown in 0.9 s)
LIMIT_S = 120


def chaos(tmp_path: Path, scenario: str, *extra: str) -> tuple[int, dict[str, Any], str]:
    out = tmp_path / "report"
    command = [sys.executable, "-m", "aigw_conformance", "load", "chaos", "chat-stream", "--scenario", scenario,
               "--time-scale", SCALE, "--report-dir", str(out), *extra]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=LIMIT_S, check=False)
    result = json.loads((out / "chaos.json").read_text(encoding="utf-8")) if (out / "chaos.json").exists() else {}
    return done.returncode, result, done.stdout + done.stderr


def phase(result: dict[str, Any], name: str) -> dict[str, Any]:
    return next(p for p in result["phases"] if p["name"] == name)


def test_provider_outage_on_the_reference_opens_the_breaker_and_recovers(tmp_path: Path) -> None:
    code, result, output = chaos(tmp_path, "provider-outage")
    assert code == 0, output
    outage, recovery = phase(result, "outage"), phase(result, "recovery")
    assert outage["circuit_open"] >= 1 and set(outage["statuses"]) <= {"502", "503"}
    assert outage["silent_streams"] == 0 and outage["retry_after_missing"].get("503") is None
    assert recovery["recovery_first_s"] is not None and recovery["statuses"].get("200", 0) > 0
    assert phase(result, "clean")["errors"] <= 0.05 * phase(result, "clean")["requests"]
    for name in ("timeline.png", "timeline.html", "summary.json"):
        assert (tmp_path / "report" / name).stat().st_size > 0
    assert "<svg" in (tmp_path / "report" / "timeline.html").read_text(encoding="utf-8")
    assert "[outage]" in output and "PASSED" in output


def test_provider_outage_fails_when_the_breaker_never_closes(tmp_path: Path) -> None:
    code, result, output = chaos(tmp_path, "provider-outage", "--defect", "resilience-breaker-never-closes")
    assert code == 1, output
    assert phase(result, "outage")["circuit_open"] >= 1
    assert any("no recovery" in breach for breach in phase(result, "recovery")["breaches"]), output
    assert "FAILED" in output


@pytest.mark.slow
@pytest.mark.parametrize("scenario", chaos_scenario.shipped())
def test_every_shipped_scenario_passes_the_reference(tmp_path: Path, scenario: str) -> None:
    code, result, output = chaos(tmp_path, scenario)
    assert code == 0 and result["passed"], output


@pytest.mark.slow
@pytest.mark.parametrize(("defect", "scenario"), sorted(CHAOS_CATCHES.items()))
def test_each_resilience_defect_fails_its_scenario(tmp_path: Path, defect: str, scenario: str) -> None:
    code, result, output = chaos(tmp_path, scenario, "--defect", defect)
    assert code == 1 and not result["passed"], output
    assert any(p["breaches"] for p in result["phases"] if p.get("ran")), output


@pytest.mark.parametrize(("argv", "problem"), [
    (["--scenario", "no-such"], "no scenario"),
    (["--scenario", "provider-outage", "--base-url", "http://127.0.0.1:9/v1"], "--mock"),
    (["--scenario", "provider-outage", "--base-url", "http://127.0.0.1:9/v1", "--defect", "no-done"], "--defect"),
    (["--scenario", "provider-outage", "--defect", "no-such-defect"], "unknown defect"),
    (["--scenario", "provider-outage", "--time-scale", "0"], "--time-scale"),
])
def test_usage_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str],
                             problem: str) -> None:
    assert main(["load", "chaos", "chat-stream", "--report-dir", str(tmp_path), *argv]) == 2
    assert problem in capsys.readouterr().err


def test_every_shipped_scenario_is_package_data() -> None:
    assert set(CHAOS_CATCHES.values()) <= set(chaos_scenario.shipped())
    assert "scenarios/*.toml" in (ROOT / "pyproject.toml").read_text(encoding="utf-8")
