"""Findings: two defects in a gateway read as two findings (check, tests broken, an example exchange), not 66 tests."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from aigw_conformance.cli import main
from aigw_conformance.reports.diff import diff_reports
from aigw_conformance.reports.findings import Finding, exchange_of
from aigw_conformance.reports.html import render_html
from aigw_conformance.reports.json_writer import load_json, write_json
from aigw_conformance.reports.markdown import render_markdown
from aigw_conformance.reports.model import FailureRecord, NotApplicable, Report, TargetInfo, TestResult
from aigw_conformance.suites.runner import run
from aigw_conformance.suites.selftest import pointed_at, reference_stack
from aigw_conformance.suites.target import REFERENCE_TARGET, load_target

# Two defects that break different checks across many tests. The schema fuzz tests are left out: they report the
# missing `x-error-id` under a check of their own (schema.response_headers_conformance), a third finding.
DEFECTS = ("no-done", "no-x-error-id")
SELECTION = ["!schema.*"]


@pytest.fixture(scope="module")
def defective() -> Iterator[Report]:
    target = load_target(REFERENCE_TARGET)
    with reference_stack(target, defects=DEFECTS) as stack:
        yield run(pointed_at(target, stack), only=SELECTION)


def _failing(report: Report, check: str) -> list[str]:
    return [r.id for r in report.results if r.outcome == "failed" and any(f.check == check for f in r.failures)]


def test_two_defects_are_two_findings_each_naming_its_check_count_and_an_example(defective: Report) -> None:
    failed = [result.id for result in defective.results if result.outcome == "failed"]
    findings = defective.findings()
    assert [f.check for f in findings] == ["sse.done_last", "errors.x_error_id"]  # critical before high
    assert [f.severity for f in findings] == ["critical", "high"] and len(failed) > 2 * len(findings)
    for finding in findings:
        assert list(finding.tests) == _failing(defective, finding.check) and finding.count >= 10
        assert finding.grounds == "documented" and finding.test in finding.tests
        assert finding.request.split(" ")[0] in ("GET", "POST") and finding.status.isdigit()
        assert finding.exchange in finding.message and finding.excerpt() not in ("", finding.message)
    assert findings[0].status == "200" and findings[0].request.startswith("POST /chat/completions")
    assert findings[1].status[0] in "45"  # an error response without its x-error-id
    assert set(failed) == {test for f in findings for test in f.tests}  # every failed test is in a finding


def test_the_findings_come_first_in_every_written_report(defective: Report, tmp_path: Path) -> None:
    data = json.loads(write_json(defective, tmp_path / "report.json").read_text(encoding="utf-8"))
    assert data["version"] == "1.2"
    assert [(f["check"], f["tests"]) for f in data["findings"]] == [
        (f.check, f.count) for f in defective.findings()]
    example = data["findings"][0]["example"]
    assert example["request"].startswith("POST /chat/completions") and example["status"] == "200"
    recorded = [bool(failure["request"]) for r in data["results"] for failure in r["failures"]]
    assert sum(recorded) > len(recorded) - 3  # all but collapsed ones (parsed from the message instead)
    assert all(exchange_of(f)[0] for r in defective.results for f in r.failures)
    markdown = render_markdown(defective)
    assert markdown.index("## Findings") < markdown.index("## Profiles") < markdown.index("## Failures")
    assert f"| 1 | critical | sse.done_last | documented | {defective.findings()[0].count} |" in markdown
    page = render_html(defective)
    assert page.index("<h2>Findings</h2>") < page.index("<h2>Profiles</h2>") < page.index("<h2>Results</h2>")
    outcomes = re.findall(r'<tr data-outcome="(\w+)"', page.partition("<h2>Results</h2>")[2])
    assert "failed" in outcomes and "passed" in outcomes
    assert outcomes == sorted(outcomes, key=["failed", "inferred", "skipped", "passed"].index)  # failures first


def _failure(check: str, severity: str, *, inferred: bool = False, grounds: str = "") -> FailureRecord:
    return FailureRecord(check, severity, f"POST /chat/completions (gpt-5, stop=['a (b)']) → 400: {check} broke",
                         inferred=inferred, grounds=grounds)


def _result(test_id: str, *failures: FailureRecord, na: tuple[NotApplicable, ...] = ()) -> TestResult:
    outcome = "failed" if failures else "passed"
    return TestResult(test_id, "chat", "ai-core", outcome, "x", failures=failures, not_applicable=na)


def _report(*results: TestResult) -> Report:
    return Report(TargetInfo("t", None, None), "now", 1.0, "0.1.0", list(results))


def test_findings_are_ordered_by_severity_then_documented_first_then_tests_broken() -> None:
    low, medium = _failure("a.low", "low"), _failure("b.medium", "medium")
    inferred = _failure("c.inferred", "high", inferred=True)
    convention = _failure("c.inferred", "high", grounds="convention")
    many, few = _failure("d.many", "high"), _failure("e.few", "high", grounds="documented")
    report = _report(_result("t1", low, medium, inferred), _result("t2", many, few), _result("t3", many, convention),
                     _result("t4", many, _failure("z.critical", "critical")))
    order = [(f.check, f.grounds, f.count) for f in report.findings()]
    assert order == [("z.critical", "documented", 1), ("d.many", "documented", 3), ("e.few", "documented", 1),
                     ("c.inferred", "convention", 2), ("b.medium", "documented", 1), ("a.low", "documented", 1)]
    finding = report.findings()[1]
    assert (finding.request, finding.status) == ("POST /chat/completions (gpt-5, stop=['a (b)'])", "400")
    assert finding.excerpt() == "d.many broke" and finding.tests == ("t2", "t3", "t4")


def test_the_same_check_on_both_grounds_is_two_findings() -> None:
    report = _report(_result("t1", _failure("x", "high", grounds="documented")),
                     _result("t2", _failure("x", "high", grounds="convention")))
    assert [(f.check, f.grounds) for f in report.findings()] == [("x", "documented"), ("x", "convention")]


def test_not_applicable_outcomes_are_not_findings() -> None:
    aside = NotApplicable("errors.x_error_id", "error-headers", "the target exempts error-headers", "GET … → 401", 4)
    failing = _result("fails", _failure("sse.done_last", "critical"), na=(aside,))
    report = _report(_result("passes", na=(aside,)), failing)
    assert [f.check for f in report.findings()] == ["sse.done_last"]
    assert _report(_result("passes", na=(aside,))).findings() == []
    skipped = TestResult("s", "chat", "ai-core", "skipped", "POST /x → 500: not declared")
    assert _report(skipped).findings() == []


def test_a_collapsed_failure_and_a_failure_without_exchange_still_make_findings() -> None:
    collapsed = FailureRecord("schema.status", "high", "3 of 9 generated requests failed; first: GET /models/0 "
                              "(generated by schemathesis) → 500: undocumented status")
    transport = FailureRecord("transport", "critical", "connection refused")
    findings = _report(_result("t1", collapsed), _result("t2", transport)).findings()
    assert [(f.check, f.request, f.status) for f in findings] == [
        ("transport", "", ""), ("schema.status", "GET /models/0 (generated by schemathesis)", "500")]
    assert findings[1].excerpt() == "3 of 9 generated requests failed; first: undocumented status"
    recorded = FailureRecord("c", "low", "anything", request="GET /models", status="200")
    assert _report(_result("t3", recorded)).findings()[0].exchange == "GET /models → 200"


def _report_1_1(outcome: str) -> dict[str, object]:
    failure = {"check": "sse.done_last", "severity": "critical", "inferred": False,
               "message": "POST /chat/completions (gpt-5, streamed) → 200: the stream ended without [DONE]"}
    return {"version": "1.1", "tool_version": "0.9.0", "target": {"name": "gw", "base_url": None,
            "client_base_url": None}, "started_at": "then", "duration_s": 1.0, "interrupted": False,
            "summary": {}, "profiles": {},
            "results": [{"id": "stream.basic", "feature": "streaming", "profile": "ai-streaming", "outcome": outcome,
                         "message": "m", "failures": [failure] if outcome == "failed" else [],
                         "not_applicable": [], "duration_s": 0.1}]}


def test_a_1_1_report_still_loads_its_findings_are_computed_and_diff_compares_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, fixed = tmp_path / "old.json", tmp_path / "fixed.json"
    old.write_text(json.dumps(_report_1_1("failed")), encoding="utf-8")
    fixed.write_text(json.dumps(_report_1_1("passed")), encoding="utf-8")
    (finding,) = load_json(old).findings()
    assert (finding.check, finding.request, finding.status) == (
        "sse.done_last", "POST /chat/completions (gpt-5, streamed)", "200")
    assert main(["report", "diff", "--format", "json", str(old), str(fixed)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["findings"] == [{"check": "sse.done_last", "grounds": "documented", "severity": "critical",
                                 "base_tests": 1, "new_tests": 0, "change": "resolved"}]
    assert main(["report", "diff", str(fixed), str(old)]) == 1
    out = capsys.readouterr().out
    assert "## Findings" in out and "| sse.done_last | documented | critical | 0 | 1 | new |" in out
    assert diff_reports(load_json(old), load_json(old)).findings == []


def test_findings_round_trip_through_report_json(tmp_path: Path) -> None:
    report = _report(_result("t1", FailureRecord("c", "high", "m", request="GET /models", status="401")))
    loaded = load_json(write_json(report, tmp_path / "report.json"))
    assert loaded == report and loaded.findings() == report.findings()
    assert isinstance(loaded.findings()[0], Finding) and loaded.findings()[0].exchange == "GET /models → 401"


def test_a_finding_whose_failures_rest_on_several_sentences_says_so_and_lists_each_with_its_tests() -> None:
    """A range check broken on logit_bias and on temperature is one finding (one check, documented), but it quotes
    its representative's sentence only with "and 1 more sentence"; report.json lists every sentence's tests."""
    def refused(parameter: str, quote: str) -> FailureRecord:
        return FailureRecord("validation.rejects_out_of_range", "high", f"POST /chat/completions ({parameter}) → 200: "
                             "expected 400", grounds="documented", source="000_x.txt", quote=quote)

    bias, temperature = "logit_bias object No Token bias map", "temperature float No Sampling temperature"
    report = _report(_result("validation.logit_bias", refused("logit_bias", bias)),
                     _result("validation.temperature", refused("temperature", temperature)),
                     _result("provider_path.logit_bias_range", refused("logit_bias", bias)))
    (finding,) = report.findings()
    assert finding.quote == bias and finding.quoted().endswith(
        '"logit_bias object No Token bias map" and 1 more sentence (each failed test quotes its own)')
    assert "and 1 more sentence" in finding.grounds_note()
    assert finding.to_dict()["sentences"] == [
        {"source": "000_x.txt", "quote": bias, "test_ids": ["validation.logit_bias", "provider_path.logit_bias_range"]},
        {"source": "000_x.txt", "quote": temperature, "test_ids": ["validation.temperature"]}]
    (single,) = _report(_result("validation.logit_bias", refused("logit_bias", bias))).findings()
    assert "more sentence" not in single.quoted() and len(single.to_dict()["sentences"]) == 1
