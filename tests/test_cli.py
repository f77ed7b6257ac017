"""The `aigw` command as a user runs it: serve, check, defects, features, and its exit codes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from aigw_conformance.cli import main
from aigw_conformance.mocks.reference.defects import DEFECTS, RESILIENCE_DEFECTS


def test_defects_lists_one_name_a_line_with_what_it_breaks(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["defects"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[0] for line in lines] == list(DEFECTS) + list(RESILIENCE_DEFECTS)
    assert all(len(line.split("\t")[1]) > 10 for line in lines)
    assert len(lines) >= 10


def test_features_lists_every_profile(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["features"]) == 0
    out = capsys.readouterr().out
    assert "ai-core" in out and "client-core" in out and "stream-usage" in out


def test_check_against_the_bundled_reference_passes_and_writes_every_report(tmp_path: Path) -> None:
    assert main(["check", "--quiet", "--examples", "5", "--report-dir", str(tmp_path)]) == 0
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["summary"]["failed"] == 0
    assert report["summary"]["passed"] > 30
    assert {name: p["status"] for name, p in report["profiles"].items()} == {
        "ai-auth": "success", "ai-core": "success", "ai-extended": "success", "ai-schema": "success",
        "ai-sdk": "success", "ai-streaming": "success", "ai-translation": "success", "ai-validation": "success",
        "client-core": "success"}
    assert (tmp_path / "junit.xml").read_text().startswith("<?xml")
    assert "# " in (tmp_path / "report.md").read_text()


def test_features_the_target_does_not_declare_are_skipped_with_the_reason(tmp_path: Path) -> None:
    target = tmp_path / "partial.toml"
    target.write_text('name = "partial"\n[models]\nchat = "gpt-5"\n[features]\nsupported = ["models"]\n'
                      '[features.exempt]\nmodels = "catalogue is private"\n')
    assert main(["check", "--quiet", "--target", str(target), "--report-dir", str(tmp_path)]) == 0
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["summary"]["passed"] == 0 and report["summary"]["skipped"] == len(report["results"]) > 30
    reasons = {r["id"]: r["message"] for r in report["results"]}
    assert reasons["models.list"] == "feature 'models' is exempt for this target: catalogue is private"
    assert reasons["chat.simple"] == "target 'partial' does not declare support for feature 'chat'"
    assert all(p["status"] == "partial" for p in report["profiles"].values())


def test_check_with_a_defect_fails_with_exit_code_1(tmp_path: Path) -> None:
    code = main(["check", "--quiet", "--defect", "no-done", "--test", "stream.", "--report-dir", str(tmp_path)])
    assert code == 1
    report = json.loads((tmp_path / "report.json").read_text())
    failed = {f["check"] for r in report["results"] for f in r["failures"]}
    assert "sse.done_last" in failed


def test_an_unreachable_target_exits_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["check", "--base-url", "http://127.0.0.1:9/api/ai/v1", "--token", "t", "--report-dir",
                 str(tmp_path)])
    assert code == 3
    assert "unreachable" in capsys.readouterr().err


def test_usage_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[features]\nsupported = ['teleportation']\n")
    assert main(["check", "--target", str(bad)]) == 2
    assert "teleportation" in capsys.readouterr().err
    assert main(["check", "--api-key", "k"]) == 2
    assert main(["check", "--defect", "no-such-defect"]) == 2
    assert main(["selftest", "--defect", "no-such-defect"]) == 2


def test_serve_prints_the_base_url_and_credentials_and_stops_on_sigint() -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with subprocess.Popen(
        [sys.executable, "-m", "aigw_conformance", "serve", "--port", "0", "--token", "tok-1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    ) as process:
        _check_served(process)


def _check_served(process: subprocess.Popen[str]) -> None:
    try:
        assert process.stdout is not None
        lines = []
        while not any("Ctrl-C" in line for line in lines):
            line = process.stdout.readline()
            assert line, f"serve exited early: {process.stderr.read() if process.stderr else ''}"
            lines.append(line)
        base_url = next(line.split()[-1] for line in lines if line.startswith("reference gateway"))
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/api/ai/v1")
        assert any("tok-1" in line for line in lines)
        reply = httpx.get(f"{base_url}/models", headers={"authorization": "Bearer tok-1"}, timeout=10)
        assert reply.status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=15) == 0
