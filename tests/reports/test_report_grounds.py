"""Every writer shows each failure's grounds: the quote (escaped) of a documented failure, a convention's reason."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

from aigw_conformance.reports.html import render_html
from aigw_conformance.reports.json_writer import load_json, write_json
from aigw_conformance.reports.junit import build_junit
from aigw_conformance.reports.markdown import escape_inline, render_markdown
from aigw_conformance.reports.model import REPORT_VERSION, FailureRecord, Report, TargetInfo, TestResult
from aigw_conformance.terminal import Terminal

QUOTE = 'choices array *Generated* | response `choices` [x](http://e) <b>'
DOCUMENTED = FailureRecord("chat.response_shape", "high", "(root): 'choices' is a required property",
                           grounds="documented", source="000_3222256926808af7.txt", quote=QUOTE)
CONVENTION = FailureRecord("errors.envelope", "high", "error/param: 5 is not of type 'string', 'null'", inferred=True,
                           grounds="convention", source="#/components/schemas/ErrorResponse",
                           quote="OpenAI's error.param, the offending request parameter or null.")


def _report(*failures: FailureRecord) -> Report:
    result = TestResult("chat.basic", "chat", "ai-core", "failed", "2 checks failed", failures=failures)
    return Report(TargetInfo("t", None, None), "now", 1.0, "0.1.0", [result])


def test_json_carries_and_reads_back_the_grounds(tmp_path: Path) -> None:
    report = _report(DOCUMENTED, CONVENTION)
    written = json.loads(write_json(report, tmp_path / "r.json").read_text(encoding="utf-8"))
    assert REPORT_VERSION == written["version"] == "1.2"
    assert [(f["grounds"], f["source"], f["quote"], f["inferred"]) for f in written["results"][0]["failures"]] == [
        ("documented", DOCUMENTED.source, QUOTE, False), ("convention", CONVENTION.source, CONVENTION.quote, True)]
    assert load_json(tmp_path / "r.json").results[0].failures == (DOCUMENTED, CONVENTION)


def test_a_1_1_report_without_grounds_still_loads(tmp_path: Path) -> None:
    data = _report(DOCUMENTED).to_dict()
    data["version"] = "1.1"
    for key in ("grounds", "source", "quote"):
        del data["results"][0]["failures"][0][key]
    (tmp_path / "old.json").write_text(json.dumps(data), encoding="utf-8")
    failure = load_json(tmp_path / "old.json").results[0].failures[0]
    assert failure.grounds == "" and failure.grounds_text() == "no spec element (grounds not recorded)"


def test_junit_names_the_grounds_in_the_failure_text() -> None:
    text = build_junit(_report(DOCUMENTED, CONVENTION)).getroot().find(".//failure")
    assert text is not None and text.text is not None
    assert f'grounds: documented (000: "{QUOTE}")' in text.text
    assert "grounds: convention: OpenAI's error.param" in text.text
    ET.fromstring(ET.tostring(text))  # still well-formed


def test_markdown_shows_the_grounds_with_the_quote_escaped() -> None:
    text = render_markdown(_report(DOCUMENTED, CONVENTION))
    row = next(line for line in text.splitlines() if line.startswith("| chat.basic | chat.response_shape"))
    assert row.count(" | ") == 4 and row.endswith(" |")  # five cells: the quote's pipe is escaped
    assert escape_inline(QUOTE) in row and "*Generated*" not in row and "<b>" not in row
    assert r"\*Generated\* \| response \`choices\` \[x\](http://e) \<b\>" in row
    assert 'documented (000\\_3222256926808af7.txt): "' in row
    assert "convention (\\#/components/schemas/ErrorResponse): OpenAI's error.param" in text
    finding = next(line for line in text.splitlines() if line.startswith("| 1 | high | chat.response_shape"))
    assert "<b>" not in finding and "*Generated*" not in finding and r"\<b\>" in finding  # the findings row too


def test_html_shows_the_quote_and_the_reason_escaped() -> None:
    html = render_html(_report(DOCUMENTED, CONVENTION))
    assert "<blockquote>choices array *Generated* | response `choices` [x](http://e) &lt;b&gt;</blockquote>" in html
    assert "000_3222256926808af7.txt" in html and "OpenAI&#x27;s error.param" in html


def test_the_terminal_names_each_failures_grounds() -> None:
    stream = io.StringIO()
    terminal = Terminal(stream, environ={}, width=400)
    report = _report(DOCUMENTED, CONVENTION)
    terminal.summary(report, {}, strict=False)
    out = stream.getvalue()
    assert f'chat.response_shape: documented (000: "{QUOTE}")' in out
    assert "errors.envelope: convention: OpenAI's error.param, the offending request parameter or null." in out


def test_a_finding_words_its_grounds_as_its_failures_do() -> None:
    """One wording of the grounds: the terminal's finding line and the failure's own line agree, quote included."""
    report = _report(DOCUMENTED, CONVENTION)
    findings = {finding.grounds: finding for finding in report.findings()}
    for record in (DOCUMENTED, CONVENTION):
        assert findings[record.grounds].grounds_note(160) == record.grounds_text(160)
    assert findings["documented"].quoted().startswith(DOCUMENTED.source.split("_")[0] + ': "')
