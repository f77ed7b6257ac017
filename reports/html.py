"""Write a Report as one self-contained HTML page (inline CSS and a tiny filter script, nothing fetched)."""

from __future__ import annotations

import html
import re
from pathlib import Path

from aigw_conformance.reports.markdown import deep_summary, findings_lead
from aigw_conformance.reports.model import DeepRun, FailureRecord, ProfileSummary, Report, TestResult

# Code points HTML must not carry (NUL, C0 controls but tab/newline/CR, lone surrogates, noncharacters).
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")

STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:1.5rem;color:#1d1d1f}
h1{font-size:1.4rem}h2{font-size:1.15rem;margin-top:1.6rem}
table{border-collapse:collapse;margin:.4rem 0}th,td{border:1px solid #d0d0d7;padding:.3rem .5rem;
vertical-align:top;text-align:left}th{background:#f2f2f5}td.n{text-align:right}
dl{display:grid;grid-template-columns:max-content auto;gap:.15rem 1rem}dt{font-weight:600}dd{margin:0}
code{font:12px ui-monospace,Menlo,Consolas,monospace}ul.f{margin:.2rem 0;padding-left:1.1rem}
.passed,.success,.PASS{background:#e3f6e8;color:#14532d}.failed,.failure,.FAIL{background:#fde4e4;color:#7f1d1d}
.skipped,.partial{background:#fff4d6;color:#713f12}.inferred{background:#ece6fb;color:#3b2a78}
.absent{color:#888}.badge{font-size:11px;border-radius:3px;padding:0 .3rem;margin-left:.3rem}
.verdict{padding:.1rem .5rem;border-radius:4px}.msg{white-space:pre-wrap;word-break:break-word}
"""

SCRIPT = """
function aigwFilter(){var s=document.getElementById('outcome'),o=s?s.value:'',
q=document.getElementById('q').value.toLowerCase();
document.querySelectorAll('table.filterable tbody tr').forEach(function(r){
r.hidden=!((!o||r.getAttribute('data-outcome')===o)&&r.textContent.toLowerCase().indexOf(q)>=0);});}
"""


def esc(text: object) -> str:
    """HTML-escape ``text`` (quotes too), replacing characters HTML cannot carry with U+FFFD."""
    return html.escape(_ILLEGAL.sub("\ufffd", str(text)), quote=True)


def page(title: str, body: list[str], script: str = "") -> str:
    """A complete HTML document: ``body`` parts are already-escaped markup."""
    head = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(title)}</title><style>{STYLE}</style></head><body>",
    ]
    tail = [f"<script>{script}</script>"] if script else []
    return "\n".join([*head, *body, *tail, "</body></html>"]) + "\n"


def profile_cell(summary: ProfileSummary) -> str:
    return (f'<td class="{summary.status}" title="passed {summary.passed}, failed {summary.failed}, '
            f'skipped {summary.skipped}">{summary.status}</td>')


def _failure_item(failure: FailureRecord) -> str:
    badge = '<span class="badge inferred">inferred</span>' if failure.inferred else ""
    return (f"<li><code>{esc(failure.check)}</code> <em>[{esc(failure.severity)}]</em>{badge} "
            f'<span class="msg">{esc(failure.message)}</span>{_grounds(failure)}</li>')


def _grounds(failure: FailureRecord) -> str:
    """The failure's grounds: the seed file and its quote in a blockquote, or the convention and its reason."""
    if failure.grounds == "documented":
        return (f'<div class="grounds">documented, <code>{esc(failure.source)}</code>:'
                f"<blockquote>{esc(failure.quote)}</blockquote></div>")
    if failure.grounds == "convention":
        return (f'<div class="grounds">convention (<code>{esc(failure.source)}</code>): '
                f"{esc(failure.quote)}</div>")
    return f'<div class="grounds">{esc(failure.grounds_text())}</div>'



def _message(result: TestResult) -> str:
    if result.outcome == "skipped":
        return f'<span class="msg">Skipped: {esc(result.message)}</span>'
    text = f'<span class="msg">{esc(result.message)}</span>'
    if result.failures:
        text += '<ul class="f">' + "".join(_failure_item(f) for f in result.failures) + "</ul>"
    return text


def _results_table(results: list[TestResult], filterable: bool) -> list[str]:
    rows = ['<table class="filterable">' if filterable else "<table>",
            "<thead><tr><th>Test</th><th>Feature</th><th>Outcome</th><th>Message</th></tr></thead><tbody>"]
    for result in results:
        outcome = "inferred" if result.inferred_only else result.outcome
        label = "failed (inferred)" if result.inferred_only else result.outcome
        rows.append(f'<tr data-outcome="{outcome}"><td><code>{esc(result.id)}</code></td>'
                    f'<td>{esc(result.feature)}</td><td class="{outcome}">{label}</td>'
                    f"<td>{_message(result)}</td></tr>")
    return [*rows, "</tbody></table>"]


def _header(report: Report) -> list[str]:
    counts, verdict = report.counts(), report.verdict()
    _, inferred = report.split_failed()
    facts = [
        ("Target", report.target.name), ("AI API base", report.target.base_url or "—"),
        ("Client API base", report.target.client_base_url or "—"), ("Started", report.started_at),
        ("Duration", f"{report.duration_s:.2f} s"), ("Tool version", f"aigw {report.tool_version}"),
        ("Report version", report.version),
        ("Tests", f"{len(report.results)}: {counts['passed']} passed, {counts['failed']} failed "
                  f"({len(inferred)} inferred only), {counts['skipped']} skipped"),
        *([("Interrupted", "yes: the run was stopped before every selected test ran; this report is partial")]
          if report.interrupted else []),
    ]
    return [
        f'<h1>Conformance report: {esc(report.target.name)} <span class="verdict {verdict}">{verdict}</span></h1>',
        "<dl>", *(f"<dt>{name}</dt><dd>{esc(value)}</dd>" for name, value in facts), "</dl>",
    ]


def _profiles(report: Report) -> list[str]:
    profiles = report.profiles()
    if not profiles:
        return ["<h2>Profiles</h2>", "<p>No tests were run.</p>"]
    rows = ["<h2>Profiles</h2>", "<table><thead><tr><th>Profile</th><th>Passed</th><th>Failed</th>"
            "<th>Skipped</th><th>Status</th></tr></thead><tbody>"]
    for s in profiles:
        rows.append(f'<tr><td>{esc(s.name)}</td><td class="n">{s.passed}</td><td class="n">{s.failed}</td>'
                    f'<td class="n">{s.skipped}</td>{profile_cell(s)}</tr>')
    return [*rows, "</tbody></table>"]


def _deep(deep: DeepRun) -> list[str]:
    verdict = "success" if deep.complete else "failure"
    rows = ["<h2>Deep fuzzing</h2>", f'<p class="{verdict}">{esc(deep_summary(deep))}</p>',
            "<table><thead><tr><th>Status</th><th>Responses</th></tr></thead><tbody>"]
    rows += [f'<tr><td>{esc(status)}</td><td class="n">{count:,}</td></tr>'
             for status, count in sorted(deep.statuses.items())]
    rows += ["</tbody></table>", "<table><thead><tr><th>Operation and mode</th><th>Requests</th></tr></thead><tbody>"]
    rows += [f'<tr><td>{esc(operation)}</td><td class="n">{count:,}</td></tr>'
             for operation, count in deep.operations.items()]
    rows += [f'<tr><td>{esc(operation)}</td><td class="skipped">skipped: {esc(reason)}</td></tr>'
             for operation, reason in deep.skipped.items()]
    return [*rows, "</tbody></table>"]


def _not_applicable(report: Report) -> list[str]:
    applicable = report.not_applicable()
    if not applicable:
        return []
    rows = ["<h2>Not applicable</h2>", "<p>Checks that would have failed on a feature the target does not declare "
            "or exempts: not the gateway's failures, and they do not fail the run.</p>",
            "<table><thead><tr><th>Test</th><th>Check</th><th>Reason</th><th>Times</th><th>First</th></tr></thead>"
            "<tbody>"]
    rows += [f'<tr><td>{esc(result.id)}</td><td>{esc(record.check)}</td><td>{esc(record.reason)}</td>'
             f'<td class="n">{record.count}</td><td><span class="msg">{esc(record.message)}</span></td></tr>'
             for result, record in applicable]
    return [*rows, "</tbody></table>"]


def _findings(report: Report) -> list[str]:
    """The run's distinct deviations first: each with the tests it broke, one example exchange and its grounds."""
    findings = report.findings()
    rows = ["<h2>Findings</h2>", f"<p>{esc(findings_lead(report))}</p>"]
    if not findings:
        return rows
    rows.append("<table><thead><tr><th>#</th><th>Severity</th><th>Check</th><th>Grounds</th><th>Tests</th>"
                "<th>Example</th><th>Failure</th><th>Quote</th></tr></thead><tbody>")
    for number, f in enumerate(findings, 1):
        kind = "failed" if f.grounds == "documented" else "inferred"
        example = f"<code>{esc(f.test)}</code>" + (f"<br><code>{esc(f.exchange)}</code>" if f.exchange else "")
        rows.append(f'<tr><td class="n">{number}</td><td class="{kind}">{esc(f.severity)}</td>'
                    f"<td><code>{esc(f.check)}</code></td><td>{esc(f.grounds)}</td>"
                    f'<td class="n" title="{esc(", ".join(f.tests))}">{f.count}</td><td>{example}</td>'
                    f'<td><span class="msg">{esc(f.excerpt())}</span></td>'
                    f'<td><span class="msg">{esc(f.quoted() or "—")}</span></td></tr>')
    return [*rows, "</tbody></table>"]


def failures_first(results: list[TestResult]) -> list[TestResult]:
    """Failed tests (documented, then inferred only), then skipped, then passed; run order within each."""
    rank = {"failed": 0, "skipped": 2, "passed": 3}
    return sorted(results, key=lambda result: rank[result.outcome] + result.inferred_only)


_FILTER = ('<p><label>Show <select id="outcome" onchange="aigwFilter()"><option value="">all</option>'
           '<option value="failed">failed</option><option value="inferred">failed (inferred)</option>'
           '<option value="skipped">skipped</option><option value="passed">passed</option></select></label> '
           '<label>containing <input id="q" type="search" oninput="aigwFilter()"></label></p>')


def render_html(report: Report) -> str:
    """Render ``report`` as a self-contained HTML document."""
    _, inferred = report.split_failed()
    body = [*_header(report), *_findings(report), *_profiles(report)]
    if report.deep is not None:
        body += _deep(report.deep)
    if inferred:
        body += ["<h2>Inferred (documents silent)</h2>",
                 "<p>These tests failed only on spec elements the documents are silent on (marked "
                 "<code>inferred</code>); they do not fail the run unless <code>aigw check --strict</code>.</p>",
                 *_results_table(inferred, filterable=False)]
    body += _not_applicable(report)
    body += ["<h2>Results</h2>", _FILTER, *_results_table(failures_first(report.results), filterable=True)]
    return page(f"Conformance report: {report.target.name} — {report.verdict()}", body, SCRIPT)


def write_html(report: Report, path: Path) -> Path:
    """Write the HTML report of ``report`` to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(report), encoding="utf-8")
    return path
