"""Tests for the JSON, JUnit XML and Markdown report writers."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from aigw_conformance.reports.json_writer import load_json, write_json
from aigw_conformance.reports.junit import write_junit
from aigw_conformance.reports.markdown import escape_cell, write_markdown
from aigw_conformance.reports.model import REPORT_VERSION, FailureRecord, Report, TargetInfo, TestResult
from aigw_conformance.reports.writers import write_all


def _report() -> Report:
    results = [
        TestResult("chat.basic", "chat", "core", "passed", "ok", checks=("status",), duration_s=0.25),
        TestResult(
            "chat.errors",
            "errors",
            "core",
            "failed",
            "2 checks failed",
            checks=("status", "error-shape"),
            failures=(
                FailureRecord("status", "error", "expected 400 | got 500\nbody: boom"),
                FailureRecord("error-shape", "warning", "missing error.type", inferred=True),
            ),
            duration_s=0.5,
        ),
        TestResult("chat.tools", "tools", "core", "skipped", "target lacks tool calls"),
        TestResult("stream.basic", "stream", "streaming", "passed", "ok", duration_s=1.0),
        TestResult("stream.usage", "stream", "streaming", "skipped", "usage | not\nadvertised"),
    ]
    return Report(
        target=TargetInfo("demo-gw", "http://127.0.0.1:8080", None),
        started_at="2025-01-01T00:00:00Z",
        duration_s=1.75,
        tool_version="0.1.0",
        results=results,
    )


def test_json_summary_results_and_profiles(tmp_path: Path) -> None:
    path = write_json(_report(), tmp_path / "report.json")
    text = path.read_text(encoding="utf-8")
    assert text.endswith("}\n")
    data = json.loads(text)
    assert data["summary"] == {"passed": 2, "failed": 1, "skipped": 2, "total": 5}
    for result in data["results"]:
        assert {"id", "feature", "outcome", "message"} <= result.keys()
    assert [r["outcome"] for r in data["results"]] == ["passed", "failed", "skipped", "passed", "skipped"]
    assert data["profiles"]["core"]["status"] == "failure"
    assert data["profiles"]["streaming"]["status"] == "partial"


def test_profile_status_success(tmp_path: Path) -> None:
    report = Report(
        TargetInfo("t", None, None), "now", 0.0, "0.1.0", [TestResult("a", "f", "p", "passed", "ok")]
    )
    data = json.loads(write_json(report, tmp_path / "r.json").read_text(encoding="utf-8"))
    assert data["profiles"] == {"p": {"passed": 1, "failed": 0, "skipped": 0, "status": "success"}}


def test_json_round_trip(tmp_path: Path) -> None:
    report = _report()
    loaded = load_json(write_json(report, tmp_path / "report.json"))
    assert loaded == report
    assert loaded.to_dict() == report.to_dict()


@pytest.mark.parametrize("version", ["2.0", "0.9", "", None])
def test_json_rejects_unknown_major_version(tmp_path: Path, version: str | None) -> None:
    data = _report().to_dict()
    data["version"] = version
    path = tmp_path / "report.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match="version"):
        load_json(path)


def test_json_accepts_newer_minor_version(tmp_path: Path) -> None:
    data = _report().to_dict()
    data["version"] = "1.7"
    path = tmp_path / "report.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert load_json(path).version == "1.7"


def test_junit_parses_and_counts_match(tmp_path: Path) -> None:
    root = ET.parse(write_junit(_report(), tmp_path / "junit.xml")).getroot()
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("skipped")) == ("5", "1", "2")
    suites = {suite.get("name"): suite for suite in root.iter("testsuite")}
    assert set(suites) == {"core", "streaming"}
    core, streaming = suites["core"], suites["streaming"]
    assert (core.get("tests"), core.get("failures"), core.get("skipped")) == ("3", "1", "1")
    assert (streaming.get("tests"), streaming.get("failures"), streaming.get("skipped")) == ("2", "0", "1")
    assert core.get("time") == "0.750"
    for suite in suites.values():
        cases = suite.findall("testcase")
        assert len(cases) == int(suite.get("tests", "-1"))
        assert len([c for c in cases if c.find("failure") is not None]) == int(suite.get("failures", "-1"))
        assert len([c for c in cases if c.find("skipped") is not None]) == int(suite.get("skipped", "-1"))

    failed = core.find("testcase[@name='chat.errors']")
    assert failed is not None
    assert failed.get("classname") == "aigw.core.errors"
    assert failed.get("time") == "0.500"
    failure = failed.find("failure")
    assert failure is not None
    assert failure.get("type") == "status"
    assert failure.get("message") == "expected 400 | got 500\nbody: boom"
    assert "[error] status: expected 400 | got 500" in (failure.text or "")
    assert "[warning] error-shape (inferred): missing error.type" in (failure.text or "")
    skipped = streaming.find("testcase[@name='stream.usage']/skipped")
    assert skipped is not None
    assert skipped.get("message") == "usage | not\nadvertised"


def test_junit_strips_illegal_xml_characters(tmp_path: Path) -> None:
    report = Report(
        TargetInfo("t", None, None),
        "now",
        0.0,
        "0.1.0",
        [
            TestResult(
                "a", "f", "p", "failed", "bad\x00byte", failures=(FailureRecord("c", "error", "x\x1by"),)
            )
        ],
    )
    failure = ET.parse(write_junit(report, tmp_path / "junit.xml")).getroot().find(".//failure")
    assert failure is not None
    assert failure.get("message") == "x\ufffdy"


def test_markdown_summary(tmp_path: Path) -> None:
    text = write_markdown(_report(), tmp_path / "report.md").read_text(encoding="utf-8")
    assert text.startswith("# Conformance report: demo-gw — FAIL\n")
    assert "| core | 1 | 1 | 1 | failure |" in text
    assert "| streaming | 1 | 0 | 1 | partial |" in text
    assert "| chat.errors | status | error | expected 400 \\| got 500<br>body: boom |" in text
    assert "| chat.errors | error-shape | warning (inferred) | missing error.type |" in text
    assert "| stream.usage | usage \\| not<br>advertised |" in text
    assert "| chat.tools | target lacks tool calls |" in text
    assert f"Report version {REPORT_VERSION}" in text
    assert "aigw 0.1.0" in text
    assert "duration 1.75 s" in text


def test_markdown_pass_verdict(tmp_path: Path) -> None:
    report = Report(
        TargetInfo("ok-gw", None, None), "now", 0.1, "0.1.0", [TestResult("a", "f", "p", "passed", "ok")]
    )
    text = write_markdown(report, tmp_path / "report.md").read_text(encoding="utf-8")
    assert text.startswith("# Conformance report: ok-gw — PASS\n")
    assert "No failures." in text


def test_escape_cell() -> None:
    assert escape_cell("a|b\r\nc") == "a\\|b<br>c"
    assert escape_cell("") == " "


def test_write_all(tmp_path: Path) -> None:
    directory = tmp_path / "out" / "nested"
    paths = write_all(_report(), directory)
    assert {path.name for path in paths.values()} == {"report.json", "junit.xml", "report.md", "report.html"}
    for path in paths.values():
        assert path.parent == directory
        assert path.is_file() and path.stat().st_size > 0
    assert load_json(paths["json"]) == _report()
