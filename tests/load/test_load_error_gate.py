"""The error-rate gate of `aigw load`: above --max-error-rate (1% by default) the run fails, naming the causes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from aigw_conformance.suites.load import error_gate


def _summary(requests: int, errors: int, kinds: dict[str, int] | None = None) -> dict[str, Any]:
    return {"requests": requests, "errors": errors, "error_kinds": kinds or {}}


@pytest.mark.parametrize(("errors", "limit", "passed"), [
    (0, 0.01, True), (10, 0.01, True), (11, 0.01, False), (0, 0.0, True), (1, 0.0, False),
    (500, 0.5, True), (1000, 1.0, False),  # every request failed: never a pass, whatever the limit
])
def test_the_gate_fails_above_the_limit_and_always_at_100_percent(errors: int, limit: float, passed: bool) -> None:
    assert error_gate.check(_summary(1000, errors), limit)["passed"] is passed


def test_the_limit_is_the_flag_else_the_thresholds_file_else_one_percent() -> None:
    assert error_gate.limit(0.2, 0.05) == 0.2
    assert error_gate.limit(None, 0.05) == 0.05
    assert error_gate.limit(None, None) == 0.01


def test_a_breach_names_the_rate_and_the_top_causes_most_frequent_first() -> None:
    kinds = {f"HTTP 500: cause {i}": i for i in range(1, 9)} | {"HTTP 401: invalid bearer token": 100}
    gate = error_gate.check(_summary(200, sum(kinds.values()), kinds), 0.01)
    assert gate["breach"].startswith("error rate ") and "exceeds --max-error-rate 0.01" in gate["breach"]
    assert [c["cause"] for c in gate["top_causes"]][:2] == ["HTTP 401: invalid bearer token", "HTTP 500: cause 8"]
    assert len(gate["top_causes"]) == error_gate.TOP_CAUSES
    assert "HTTP 401: invalid bearer token" in error_gate.render(gate)
    assert error_gate.render(error_gate.check(_summary(10, 0), 0.01)) == ""


@pytest.mark.parametrize("flag", [[], ["--max-error-rate", "1"]])
def test_a_run_whose_every_request_gets_401_exits_1_with_the_cause(tmp_path: Path, flag: list[str]) -> None:
    out = tmp_path / "load"
    done = subprocess.run(
        [sys.executable, "-m", "aigw_conformance", "load", "chat", "--token", "wrong-token", "--duration", "1",
         "--users", "1", "--report-dir", str(out), *flag], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 1, done.stderr
    assert "top error causes" in done.stdout and "HTTP 401" in done.stdout
    summary = json.loads((out / "summary.json").read_text())
    assert summary["errors"] == summary["requests"] > 0
    assert summary["error_gate"]["passed"] is False and "every request failed" in summary["error_gate"]["breach"]
