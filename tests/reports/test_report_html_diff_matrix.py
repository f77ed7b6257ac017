"""The HTML report, the inferred-failure gate, `aigw report diff` and `aigw report matrix`."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from aigw_conformance import check_run, commands
from aigw_conformance.cli import main
from aigw_conformance.reports.diff import diff_reports
from aigw_conformance.reports.html import render_html
from aigw_conformance.reports.json_writer import write_json
from aigw_conformance.reports.markdown import render_markdown
from aigw_conformance.reports.matrix import build_matrix, render_matrix_html, render_matrix_markdown
from aigw_conformance.reports.model import FailureRecord, Outcome, Report, TargetInfo, TestResult

HOSTILE = "<script>alert('x')</script> & \"quoted\""
DOCUMENTED = FailureRecord("sse.done_last", "error", "no [DONE] " + HOSTILE)
INFERRED = FailureRecord("errors.envelope", "warning", "no error.type", inferred=True)


def _result(
    test_id: str, outcome: Outcome, *failures: FailureRecord, message: str = "", profile: str = "core"
) -> TestResult:
    text = message or {"passed": "ok", "failed": f"{len(failures)} checks failed", "skipped": "not declared"}[outcome]
    return TestResult(test_id, test_id.split(".")[0], profile, outcome, text, failures=failures)


def _report(*results: TestResult, name: str = "demo-gw") -> Report:
    return Report(TargetInfo(name, "http://127.0.0.1:8080/api/ai/v1", None), "2025-01-01T00:00:00Z", 1.5,
                  "0.1.0", list(results))


def _full() -> Report:
    return _report(
        _result("chat.simple", "passed"),
        _result("stream.done", "failed", DOCUMENTED, INFERRED),
        _result("errors.shape", "failed", INFERRED, profile="validation"),
        _result("tools.call", "skipped", message="tools " + HOSTILE),
    )


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self.styles: list[str] = []
        self.text: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in = tag if tag in ("script", "style") else None

    def handle_endtag(self, tag: str) -> None:
        self._in = None

    def handle_data(self, data: str) -> None:
        {"script": self.scripts, "style": self.styles}.get(self._in or "", self.text).append(data)


def _parse(document: str) -> _Page:
    page = _Page()
    page.feed(document)
    page.close()
    return page


def _assert_self_contained(document: str) -> _Page:
    page = _parse(document)
    assert document.startswith("<!DOCTYPE html>") and document.rstrip().endswith("</html>")
    for tag, attrs in page.tags:
        assert "src" not in attrs, tag
        assert not (attrs.get("href") or "#").lower().startswith(("http:", "https:", "//")), tag
        assert tag not in ("link", "img", "iframe", "object", "embed"), tag
    for code in page.styles + page.scripts:
        assert "@import" not in code and "url(" not in code and "http" not in code
    assert len(page.scripts) <= 1 and [tag for tag, _ in page.tags].count("script") == len(page.scripts)
    assert "<script>alert" not in document
    return page


# --- the gate --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("results", "lenient", "strict"),
    [
        ((), False, False),
        ((_result("a.b", "passed"), _result("a.c", "skipped")), False, False),
        ((_result("a.b", "failed", INFERRED),), False, True),
        ((_result("a.b", "failed", INFERRED, INFERRED), _result("a.c", "passed")), False, True),
        ((_result("a.b", "failed", DOCUMENTED),), True, True),
        ((_result("a.b", "failed", INFERRED, DOCUMENTED),), True, True),
        ((_result("a.b", "failed", message="connection reset"),), True, True),  # no failure record
    ],
)
def test_gate_fails_on_documented_failures_and_on_inferred_ones_only_when_strict(
    results: tuple[TestResult, ...], lenient: bool, strict: bool
) -> None:
    report = _report(*results)
    assert report.gate_failed() is lenient and report.gate_failed(strict=False) is lenient
    assert report.gate_failed(strict=True) is strict
    assert report.verdict() == ("FAIL" if lenient else "PASS")


def test_split_failed_separates_inferred_only_tests() -> None:
    documented, inferred = _full().split_failed()
    assert [r.id for r in documented] == ["stream.done"]
    assert [r.id for r in inferred] == ["errors.shape"]


@pytest.mark.parametrize(("strict", "code"), [(False, 0), (True, 1)])
def test_check_exit_code_follows_the_gate(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, strict: bool, code: int
) -> None:
    @contextlib.contextmanager
    def fake_stack(*args: Any, **kwargs: Any) -> Iterator[SimpleNamespace]:
        yield SimpleNamespace(base_url="http://127.0.0.1:1/api/ai/v1", token="t", api_key="k", api_secret="s")

    monkeypatch.setattr(commands, "_stack", fake_stack)
    monkeypatch.setattr(check_run, "run", lambda *a, **k: _report(_result("errors.shape", "failed", INFERRED)))
    argv = ["check", "--quiet", "--report-dir", str(tmp_path), *(["--strict"] if strict else [])]
    assert main(argv) == code
    assert (tmp_path / "report.html").is_file()
    monkeypatch.setattr(check_run, "run", lambda *a, **k: _report(_result("stream.done", "failed", DOCUMENTED)))
    assert main(["check", "--quiet", "--report-dir", str(tmp_path)]) == 1


# --- HTML and Markdown ---------------------------------------------------------------------------


def test_html_report_is_self_contained_escaped_and_complete() -> None:
    document = render_html(_full())
    page = _assert_self_contained(document)
    text = " ".join(page.text)
    for fact in ("demo-gw", "FAIL", "1.50 s", "aigw 0.1.0", "Report version", "1.0", "2025-01-01T00:00:00Z"):
        assert fact in text
    assert HOSTILE in text  # shown as text, escaped in the markup
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;quoted&quot;" in document
    assert "Skipped: tools " + HOSTILE in text
    classes = {attrs.get("class") for tag, attrs in page.tags if tag == "td"}
    assert {"failure", "passed", "failed", "skipped", "inferred"} <= classes
    for check in ("sse.done_last", "errors.envelope", "[error]", "[warning]"):
        assert check in text
    assert text.count("inferred") >= 3  # the badges and the section
    assert "Inferred (documents silent)" in text
    rows = [attrs.get("data-outcome") for tag, attrs in page.tags if tag == "tr" and "data-outcome" in attrs]
    assert rows == ["inferred", "failed", "inferred", "skipped", "passed"]  # inferred section, then all, failures first


def test_html_with_no_results_and_illegal_characters_still_parses() -> None:
    _assert_self_contained(render_html(_report()))
    report = _report(_result("a.b", "failed", FailureRecord("c", "error", "nul\x00 and \ud800 surrogate")))
    document = render_html(report)
    _assert_self_contained(document)
    assert "\x00" not in document and "nul\ufffd and \ufffd surrogate" in document
    document.encode("utf-8")


def test_markdown_lists_inferred_only_failures_apart() -> None:
    text = render_markdown(_full())
    failures, inferred = text.split("## Inferred (documents silent)")
    assert "| stream.done | errors.envelope | warning (inferred) |" in failures
    assert "errors.shape" not in failures and "| errors.shape | errors.envelope | warning (inferred) |" in inferred
    lenient = render_markdown(_report(_result("errors.shape", "failed", INFERRED)))
    assert lenient.startswith("# Conformance report: demo-gw — PASS\n") and "No failures." in lenient
    assert "## Inferred (documents silent)" in lenient


# --- diff ----------------------------------------------------------------------------------------


def _write(tmp_path: Path, name: str, report: Report) -> str:
    return str(write_json(report, tmp_path / name / "report.json"))


BASE = _report(
    _result("a.pass_fail", "passed"), _result("a.fail_pass", "failed", DOCUMENTED), _result("a.kept", "passed"),
    _result("a.more", "failed", DOCUMENTED), _result("a.skip", "skipped", message="no tools"),
    _result("a.gone", "passed"), _result("a.unskip", "skipped"),
)
NEW = _report(
    _result("a.pass_fail", "failed", DOCUMENTED), _result("a.fail_pass", "passed"), _result("a.kept", "passed"),
    _result("a.more", "failed", DOCUMENTED, INFERRED), _result("a.skip", "skipped", message="exempt"),
    _result("a.new_fail", "failed", DOCUMENTED), _result("a.new_pass", "passed"), _result("a.unskip", "passed"),
)


def test_diff_classifies_every_change() -> None:
    diff = diff_reports(BASE, NEW)
    assert [(c.id, c.base, c.new, c.checks) for c in diff.regressions] == [
        ("a.pass_fail", "passed", "failed", ("sse.done_last",)),
        ("a.more", "failed", "failed", ("errors.envelope",)),
        ("a.new_fail", "absent", "failed", ("sse.done_last",)),
    ]
    assert [c.inferred for c in diff.regressions] == [False, True, False]
    assert [c.id for c in diff.fixes] == ["a.fail_pass"]
    assert [c.id for c in diff.new_tests] == ["a.new_fail", "a.new_pass"]
    assert [c.id for c in diff.removed_tests] == ["a.gone"]
    assert [(c.id, c.base, c.new, c.message) for c in diff.changed_skips] == [
        ("a.skip", "skipped", "skipped", "no tools → exempt"),
        ("a.unskip", "skipped", "passed", "was skipped: not declared"),
    ]
    assert diff_reports(BASE, BASE).gate_failed(strict=True) is False


def test_report_diff_prints_markdown_and_exits_1_on_a_regression(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base, new = _write(tmp_path, "base", BASE), _write(tmp_path, "new", NEW)
    assert main(["report", "diff", base, new]) == 1
    out = capsys.readouterr().out
    assert out.startswith("# Report diff: demo-gw → demo-gw — REGRESSED\n")
    for heading in ("## Regressions", "## Fixes", "## New tests", "## Removed tests", "## Changed skips"):
        assert heading in out
    assert "| a.new_fail | absent | failed | sse.done_last |" in out
    assert "| a.more | failed | failed | errors.envelope (inferred only) |" in out
    assert main(["report", "diff", new, new]) == 0
    assert "— OK" in capsys.readouterr().out


def test_report_diff_json_and_inferred_only_regressions(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = _write(tmp_path, "base", _report(_result("a.b", "passed")))
    new = _write(tmp_path, "new", _report(_result("a.b", "failed", INFERRED)))
    assert main(["report", "diff", "--format", "json", base, new]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["regressed"] is False
    assert data["regressions"][0] | {"message": ""} == {
        "id": "a.b", "base": "passed", "new": "failed", "message": "", "checks": ["errors.envelope"], "inferred": True}
    assert main(["report", "diff", "--strict", base, new]) == 1


@pytest.mark.parametrize("content", [None, "", "{not json", "[]", '{"version": "9.0"}', '{"version": "1.0"}',
                                     '{"version": "1.0", "target": {"name": "t"}, "started_at": "x", '
                                     '"duration_s": [], "tool_version": "1"}', "dir"])
def test_unreadable_reports_exit_2_with_a_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None
) -> None:
    good = _write(tmp_path, "good", BASE)
    bad = tmp_path / "bad.json"
    if content == "dir":
        bad.mkdir()
    elif content is not None:
        bad.write_text(content, encoding="utf-8")
    for argv in (["report", "diff", good, str(bad)], ["report", "matrix", str(bad), "--out", str(tmp_path)]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith("aigw report: ") and str(bad) in err and "Traceback" not in err


# --- matrix --------------------------------------------------------------------------------------


def test_matrix_html_and_markdown(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other = _report(_result("chat.simple", "failed", DOCUMENTED), _result("extra.only", "passed"), name="demo-gw")
    paths = [_write(tmp_path, "one", _full()), _write(tmp_path, "two", other)]
    out = tmp_path / "matrix"
    assert main(["report", "matrix", *paths, "--out", str(out)]) == 0
    assert str(out / "matrix.html") in capsys.readouterr().out
    document = (out / "matrix.html").read_text(encoding="utf-8")
    page = _assert_self_contained(document)
    headers = [attrs for tag, attrs in page.tags if tag == "th"]
    assert headers and "demo-gw (2)" in " ".join(page.text)
    cells = [(attrs.get("class"), attrs.get("title")) for tag, attrs in page.tags if tag == "td" and "title" in attrs]
    assert ("failed", f"1 checks failed\nsse.done_last [error]: {DOCUMENTED.message}") in cells
    assert ("absent", "not run against this target") in cells
    assert ("skipped", "tools " + HOSTILE) in cells
    text = " ".join(page.text)
    assert "1 passed, 2 failed (1 inferred only), 1 skipped" in text and "1 passed, 1 failed, 0 skipped" in text
    markdown = (out / "matrix.md").read_text(encoding="utf-8")
    assert "| Test | demo-gw | demo-gw (2) |" in markdown
    assert "| chat.simple | pass | FAIL |" in markdown and "| extra.only | — | pass |" in markdown
    assert "| errors.shape | fail (inferred) | — |" in markdown
    assert "| validation | failure | — |" in markdown and "| core | failure | failure |" in markdown
    assert re.search(r"\| chat\.simple \| demo-gw \(2\) \| FAIL \| 1 checks failed<br>sse\.done_last", markdown)


def test_matrix_of_one_empty_report() -> None:
    matrix = build_matrix([_report()])
    _assert_self_contained(render_matrix_html(matrix))
    assert "None." in render_matrix_markdown(matrix)
