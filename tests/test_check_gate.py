"""`aigw check` as a gate: -x stops at the first failure; an empty selection never passes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aigw_conformance.cli import main
from aigw_conformance.suites.conformance import TESTS


def test_exitfirst_stops_after_the_first_failed_test(tmp_path: Path) -> None:
    selected = [test_id for test_id in TESTS if test_id.startswith("stream.")]
    assert main(["check", "--quiet", "-x", "--defect", "no-done", "--test", "stream.", "--report-dir",
                 str(tmp_path)]) == 1
    results = json.loads((tmp_path / "report.json").read_text())["results"]
    assert [r["outcome"] for r in results].count("failed") == 1 and results[-1]["outcome"] == "failed"
    assert len(results) < len(selected)
    assert json.loads((tmp_path / "report.json").read_text())["interrupted"] is False


@pytest.mark.parametrize("selection", [["--test", "nothing"], ["--profile", "nope"], ["--test", "!*"]])
def test_an_empty_selection_exits_5_before_anything_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                         selection: list[str]) -> None:
    assert main(["check", *selection, "--report-dir", str(tmp_path / "r")]) == 5
    captured = capsys.readouterr()
    assert "no test matches" in captured.err and "started the reference" not in captured.out
    assert not (tmp_path / "r" / "report.json").exists()


def test_quiet_still_names_the_failed_tests(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--quiet", "--defect", "no-done", "--test", "stream.basic", "--report-dir",
                 str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "FAIL stream.basic" in out and "[sse.done_last]" in out
