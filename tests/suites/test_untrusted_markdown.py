"""A gateway that answers with HTML and markdown in its errors: report.md quotes it literally, HTML and JUnit too."""

from __future__ import annotations

import re
from pathlib import Path

from untrusted import MARKUP, CaptureServer, UntrustedServer

from aigw_conformance.reports.writers import write_all
from aigw_conformance.suites.runner import run
from aigw_conformance.suites.target import Target

# Markup that a Markdown renderer would act on: a tag or a link not preceded by the escaping backslash
RAW = re.compile(r"(?<!\\)<(?:script|img|/script)|(?<!\\)\]\(javascript:")


def test_a_gateway_answering_with_markup_writes_none_into_report_md(tmp_path: Path) -> None:
    with CaptureServer() as capture, UntrustedServer(capture) as server:
        target = Target(name="markup", base_url=server.url("markup"), token="t", models={"chat": "m"},
                        timeout_s=5.0, examples=2)
        report = run(target, only=("errors.", "schema.chat.completions.post.negative"))
    assert any(MARKUP in failure.message for result in report.results for failure in result.failures)
    written = write_all(report, tmp_path)
    markdown = written["markdown"].read_text(encoding="utf-8")
    assert RAW.findall(markdown) == []
    assert "\\<script\\>" in markdown
    html, junit = written["html"].read_text(encoding="utf-8"), written["junit"].read_text(encoding="utf-8")
    assert '<script>alert("aigw")' not in html and "<img" not in html and "&lt;script&gt;" in html
    assert "<script" not in junit and "&lt;script&gt;" in junit
