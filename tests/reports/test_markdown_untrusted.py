"""report.md quotes a hostile gateway's text literally: no raw HTML, no links, no broken table, no megabytes."""

from __future__ import annotations

import re

from aigw_conformance.reports.markdown import MAX_CELL_CHARS, escape_cell, render_markdown
from aigw_conformance.reports.model import FailureRecord, Report, TargetInfo, TestResult

MARKUP = '<script>alert("aigw")</script><img src=x onerror=alert(1)>'
# Markup that a Markdown renderer would act on: a tag or a link not preceded by the escaping backslash
RAW = re.compile(r"(?<!\\)<(?:script|img|/script)|(?<!\\)\]\(javascript:")


def _report(message: str) -> Report:
    failure = FailureRecord("errors.x_error", "high", message, grounds="documented", source="000", quote="q")
    result = TestResult("errors.malformed_json", "errors", "ai-core", "failed", message, failures=(failure,))
    return Report(TargetInfo("t", "http://127.0.0.1:9/api/ai/v1", None), "2026-01-01T00:00:00+00:00", 1.0, "0",
                  [result])


def test_a_cell_makes_html_links_and_pipes_literal() -> None:
    cell = escape_cell(f"{MARKUP} | [x](javascript:alert(1)) &lt;b&gt;\nnext")
    assert RAW.findall(cell) == []
    assert "\\<script\\>" in cell and "\\|" in cell and "\\&lt;" in cell and cell.endswith("<br>next")


def test_a_cell_is_capped() -> None:
    cell = escape_cell("z" * (MAX_CELL_CHARS * 3))
    assert len(cell) < MAX_CELL_CHARS + 100 and cell.endswith(f"({2 * MAX_CELL_CHARS:,} more characters cut)")


def test_the_markdown_report_has_no_raw_markup_from_a_message() -> None:
    text = render_markdown(_report(f"x-error is {MARKUP!r}"))
    assert RAW.findall(text) == []

