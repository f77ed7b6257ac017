"""`aigw load sweep` end to end against the bundled reference, with tiny durations (locust in its own processes)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from aigw_conformance.cli import main

ROOT = Path(__file__).resolve().parents[2]
SLO = "max_error_rate = 0.05\nmin_rate_ratio = 0.5\n[e2e_ms]\np99 = 8000\n[lag_ms]\np99 = 5000\n"


def test_a_sweep_of_the_reference_prints_the_max_sustainable_rate_and_writes_the_plot(tmp_path: Path) -> None:
    slo = tmp_path / "slo.toml"
    slo.write_text(SLO)
    out = tmp_path / "sweep"
    command = [sys.executable, "-m", "aigw_conformance", "load", "sweep", "chat-stream", "--thresholds", str(slo),
               "--duration", "2", "--rates", "2", "--users", "4", "--max-tokens", "8", "--budget", "90",
               "--prompt-tokens", "40", "--report-dir", str(out)]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=180, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "max sustainable rate: " in result.stdout
    report = json.loads((out / "sweep.json").read_text())
    assert [run["run"] for run in report["runs"]][:2] == ["synchronous", "throughput"] and len(report["runs"]) == 4
    assert all(run["passed"] for run in report["runs"][:2])  # closed loops: no lag or rate ratio to judge
    assert (out / "sweep.png").read_bytes()[:4] == b"\x89PNG" and "base64" in (out / "sweep.html").read_text()
    chosen = next(run for run in report["runs"] if run["run"] == report["max_sustainable_run"])
    assert chosen["passed"] and chosen["offered_rate"] == report["max_sustainable_rate"]
    index = [run["run"] for run in report["runs"]].index(chosen["run"])
    summary = json.loads((out / f"{index:02d}-{chosen['run']}" / "summary.json").read_text())
    assert summary["slo"] == {"passed": True, "breaches": []} and summary["error_gate"]["passed"]
    assert summary["target_rate"] == chosen["offered_rate"] and summary["error_rate"] <= 0.05
    assert set(summary["by_length"]) == {"prompt 32-63 / output 8-15"}
    assert summary["by_length"]["prompt 32-63 / output 8-15"]["output_exact"] == 1.0


def test_sweep_usage_errors_exit_2_before_any_run(tmp_path: Path) -> None:
    assert main(["load", "sweep", "chat", "--rates", "0", "--report-dir", str(tmp_path)]) == 2
    assert main(["load", "sweep", "chat", "--resolution", "1.5", "--report-dir", str(tmp_path)]) == 2
    assert main(["load", "sweep", "chat", "--prompt-tokens", "x:y", "--report-dir", str(tmp_path)]) == 2
    assert main(["load", "sweep", "chat", "--thresholds", str(tmp_path / "none.toml")]) == 2
    assert not list(tmp_path.iterdir())
