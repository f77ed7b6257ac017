"""Write a Report as a human-readable Markdown summary."""

from __future__ import annotations

import re
from pathlib import Path

from aigw_conformance.reports.model import DeepRun, FailureRecord, Report, TestResult

# A cell quotes at most this many characters: a report (or one an older aigw wrote) may hold a target's megabytes
MAX_CELL_CHARS = 4000


def escape_cell(text: str) -> str:
    """Make ``text`` safe inside a Markdown table cell: every cell may hold target-controlled text (a message, an
    excerpt, a header), so it is cut to MAX_CELL_CHARS, HTML, entities, links, images and code spans are made literal
    (backslash-escaped), pipes escaped, and newlines turned into <br>. Emphasis characters are left alone: they
    cannot inject anything, and identifiers such as `sse.done_last` stay greppable."""
    if len(text) > MAX_CELL_CHARS:
        text = f"{text[:MAX_CELL_CHARS]}… ({len(text) - MAX_CELL_CHARS:,} more characters cut)"
    text = _CELL_SPECIALS.sub(r"\\\1", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "<br>".join(line.strip() for line in text.split("\n")) or " "


def escape_inline(text: str) -> str:
    """Make ``text`` (a quote or a reason) render literally inside a table cell: Markdown's emphasis, code, link and
    HTML characters backslash-escaped, pipes too, and newlines turned into <br>."""
    text = _INLINE_SPECIALS.sub(r"\\\1", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "<br>".join(line.strip() for line in text.split("\n")) or " "


_INLINE_SPECIALS = re.compile(r"([\\`*_\[\]<>|~#!&])")
_CELL_SPECIALS = re.compile(r"([\\`\[\]<>|&])")


def _grounds_cell(failure: FailureRecord) -> str:
    """`documented (000_….txt): "quote"` or `convention (element): reason`, already escaped."""
    if failure.grounds in ("documented", "convention"):
        quote = escape_inline(failure.quote)
        what = f'"{quote}"' if failure.grounds == "documented" else quote
        return f"{failure.grounds} ({escape_inline(failure.source)}): {what}"
    return escape_inline(failure.grounds_text())


def _row(*cells: str, escaped: tuple[str, ...] = ()) -> str:
    """A table row of `cells` (escaped here) and then `escaped` cells (escaped by the caller)."""
    return "| " + " | ".join([*(escape_cell(cell) for cell in cells), *escaped]) + " |"


def _failure_table(failed: list[TestResult]) -> list[str]:
    lines = [_row("Test", "Check", "Severity", "Message", "Grounds"), "| --- | --- | --- | --- | --- |"]
    for result in failed:
        if not result.failures:
            lines.append(_row(result.id, "", "", result.message, ""))
        for failure in result.failures:
            severity = f"{failure.severity} (inferred)" if failure.inferred else failure.severity
            lines.append(_row(result.id, failure.check, severity, failure.message, escaped=(_grounds_cell(failure),)))
    return lines


def findings_lead(report: Report) -> str:
    """`2 findings (distinct deviations) behind 77 failed tests, most severe first.`, or that there are none."""
    findings, failed = report.findings(), report.counts()["failed"]
    if not findings:
        return "No findings: no test failed."
    plural = "finding" if len(findings) == 1 else "findings"
    return (f"{len(findings)} {plural} (distinct deviations: failures grouped by check and grounds) behind "
            f"{failed} failed test{'' if failed == 1 else 's'}, most severe first.")


def _findings_section(report: Report) -> list[str]:
    """The run's distinct deviations, each with the tests it broke, one example exchange and its grounds."""
    lines = ["", "## Findings", "", findings_lead(report)]
    findings = report.findings()
    if findings:
        lines += ["", _row("#", "Severity", "Check", "Grounds", "Tests", "Example", "Failure", "Quote"),
                  "| ---: | --- | --- | --- | ---: | --- | --- | --- |"]
        lines += [_row(str(number), f.severity, f.check, f.grounds, str(f.count), escaped=(
                       escape_inline(f"{f.test}: {f.exchange}" if f.exchange else f.test), escape_inline(f.excerpt()),
                       escape_inline(f.quoted()) if f.quoted() else "—"))
                  for number, f in enumerate(findings, 1)]
    return lines


def deep_summary(deep: DeepRun) -> str:
    """One sentence on a deep run: requests against the goal, time, why it stopped, 5xx and undocumented."""
    verdict = "goal reached" if deep.complete else "INCOMPLETE: goal not reached"
    return (f"{deep.requests_sent:,} generated requests of a {deep.goal:,} goal ({verdict}) in "
            f"{deep.duration_s:.1f} s (budget {deep.budget_s:.0f} s, cap {deep.max_requests:,}, seed {deep.seed}); "
            f"stopped: {deep.stop_reason}. {deep.server_errors} 5xx, {deep.undocumented} undocumented statuses.")


def _deep_section(deep: DeepRun) -> list[str]:
    lines = ["", "## Deep fuzzing", "", escape_cell(deep_summary(deep)), "",  # its stop reason quotes the target
             _row("Status", "Responses"), "| --- | ---: |"]
    lines += [_row(status, f"{count:,}") for status, count in sorted(deep.statuses.items())]
    lines += ["", _row("Operation and mode", "Requests"), "| --- | ---: |"]
    lines += [_row(operation, f"{count:,}") for operation, count in deep.operations.items()]
    lines += [_row(operation, f"skipped: {reason}") for operation, reason in deep.skipped.items()]
    return lines


def render_markdown(report: Report) -> str:
    """Render ``report`` as Markdown text."""
    counts = report.counts()
    verdict = report.verdict()
    documented, inferred = report.split_failed()
    target = escape_inline(report.target.name.replace("\n", " ").replace("\r", " "))
    lines = [
        f"# Conformance report: {target} — {verdict}",
        "",
        f"{len(report.results)} tests: {counts['passed']} passed, {counts['failed']} failed, "
        f"{counts['skipped']} skipped."
        + (f" {len(inferred)} of the failures are only on inferred spec elements (see below)." if inferred else ""),
    ]
    if report.interrupted:
        lines += ["", "**Interrupted:** the run was stopped before every selected test ran; this report is partial."]
    if report.target.base_url:
        lines += ["", f"Target base URL: {escape_cell(report.target.base_url)}"]
    lines += _findings_section(report)

    lines += ["", "## Profiles", ""]
    profiles = report.profiles()
    if profiles:
        lines += [
            _row("Profile", "Passed", "Failed", "Skipped", "Status"),
            "| --- | ---: | ---: | ---: | --- |",
        ]
        for summary in profiles:
            lines.append(
                _row(
                    summary.name,
                    str(summary.passed),
                    str(summary.failed),
                    str(summary.skipped),
                    summary.status,
                )
            )
    else:
        lines.append("No tests were run.")

    if report.deep is not None:
        lines += _deep_section(report.deep)

    lines += ["", "## Failures", ""]
    lines += _failure_table(documented) if documented else ["No failures."]
    if inferred:
        lines += ["", "## Inferred (documents silent)", "",
                  "These tests failed only on spec elements the documents are silent on (marked `inferred`); "
                  "they do not fail the run unless `aigw check --strict` is given.", ""]
        lines += _failure_table(inferred)

    if applicable := report.not_applicable():
        lines += ["", "## Not applicable", "",
                  "Checks that would have failed on a feature the target does not declare or exempts: not the "
                  "gateway's failures, and they do not fail the run.", "",
                  _row("Test", "Check", "Reason", "Times", "First"), "| --- | --- | --- | ---: | --- |"]
        lines += [_row(result.id, record.check, record.reason, str(record.count), record.message)
                  for result, record in applicable]

    lines += ["", "## Skipped", ""]
    skipped = [result for result in report.results if result.outcome == "skipped"]
    if skipped:
        lines += [_row("Test", "Reason"), "| --- | --- |"]
        lines += [_row(result.id, result.message) for result in skipped]
    else:
        lines.append("No skipped tests.")

    lines += [
        "",
        "---",
        "",
        f"Report version {report.version} · aigw {report.tool_version} · "
        f"duration {report.duration_s:.2f} s · started {report.started_at}",
    ]
    return "\n".join(lines) + "\n"


def write_markdown(report: Report, path: Path) -> Path:
    """Write the Markdown summary of ``report`` to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_markdown(report), encoding="utf-8")
    return path
