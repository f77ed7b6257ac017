"""Several targets' reports side by side: tests as rows, targets as columns, as HTML and Markdown."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aigw_conformance.reports.html import SCRIPT, esc, page, profile_cell
from aigw_conformance.reports.markdown import escape_cell
from aigw_conformance.reports.model import Report, TestResult

_NOTED = ("failed", "inferred", "skipped")
_MARK = {"passed": "pass", "failed": "FAIL", "skipped": "skip", "inferred": "fail (inferred)", "absent": "—"}


@dataclass(frozen=True)
class Matrix:
    labels: list[str]  # one column per report, target names made unique
    reports: list[Report]
    test_ids: list[str]  # union of every report's tests, in first-seen order
    indexes: list[dict[str, TestResult]]  # per report: test ID -> result

    def cell(self, column: int, test_id: str) -> tuple[str, str]:
        """(kind, message) of one test on one target; kind is an outcome, "inferred" or "absent"."""
        result = self.indexes[column].get(test_id)
        if result is None:
            return "absent", "not run against this target"
        kind = "inferred" if result.inferred_only else result.outcome
        details = [f"{f.check} [{f.severity}]{' (inferred)' if f.inferred else ''}: {f.message}"
                   for f in result.failures]
        return kind, "\n".join([result.message, *details])

    def profile_names(self) -> list[str]:
        return sorted({summary.name for report in self.reports for summary in report.profiles()})


def build_matrix(reports: list[Report]) -> Matrix:
    labels: list[str] = []
    for report in reports:
        label, n = report.target.name, 1
        while label in labels:
            n += 1
            label = f"{report.target.name} ({n})"
        labels.append(label)
    test_ids = list(dict.fromkeys(result.id for report in reports for result in report.results))
    return Matrix(labels, reports, test_ids, [{r.id: r for r in report.results} for report in reports])


def _totals(report: Report) -> str:
    counts = report.counts()
    _, inferred = report.split_failed()
    extra = f" ({len(inferred)} inferred only)" if inferred else ""
    return f"{counts['passed']} passed, {counts['failed']} failed{extra}, {counts['skipped']} skipped"


def render_matrix_html(matrix: Matrix) -> str:
    """A self-contained HTML page: totals, per-profile statuses and the test-by-target matrix."""
    head = "".join(f"<th>{esc(label)}</th>" for label in matrix.labels)
    body = [f"<h1>Conformance matrix: {len(matrix.reports)} targets</h1>", "<h2>Totals</h2>",
            f"<table><thead><tr><th></th>{head}</tr></thead><tbody>"]
    body.append("<tr><th>Verdict</th>" + "".join(
        f'<td class="{r.verdict()}">{r.verdict()}</td>' for r in matrix.reports) + "</tr>")
    body.append("<tr><th>Tests</th>" + "".join(f"<td>{esc(_totals(r))}</td>" for r in matrix.reports) + "</tr>")
    body.append("<tr><th>aigw / report</th>" + "".join(
        f"<td>{esc(r.tool_version)} / {esc(r.version)}</td>" for r in matrix.reports) + "</tr>")
    body += ["</tbody></table>", "<h2>Profiles</h2>", f"<table><thead><tr><th>Profile</th>{head}</tr></thead><tbody>"]
    for name in matrix.profile_names():
        cells = []
        for report in matrix.reports:
            summary = next((s for s in report.profiles() if s.name == name), None)
            cells.append(profile_cell(summary) if summary else '<td class="absent">—</td>')
        body.append(f"<tr><td>{esc(name)}</td>{''.join(cells)}</tr>")
    body += ["</tbody></table>", "<h2>Tests</h2>",
             '<p><label>Show tests containing <input id="q" type="search" oninput="aigwFilter()"></label></p>',
             f'<table class="filterable"><thead><tr><th>Test</th>{head}</tr></thead><tbody>']
    for test_id in matrix.test_ids:
        cells = []
        for column in range(len(matrix.reports)):
            kind, message = matrix.cell(column, test_id)
            cells.append(f'<td class="{kind}" title="{esc(message)}">{_MARK[kind]}</td>')
        body.append(f'<tr><td><code>{esc(test_id)}</code></td>{"".join(cells)}</tr>')
    body.append("</tbody></table>")
    return page(f"Conformance matrix: {', '.join(matrix.labels)}", body, SCRIPT)


def _row(*cells: str) -> str:
    return "| " + " | ".join(escape_cell(cell) for cell in cells) + " |"


def render_matrix_markdown(matrix: Matrix) -> str:
    """The matrix as Markdown; the messages of every cell that did not pass are listed below it."""
    rule = "| --- " * (len(matrix.labels) + 1) + "|"
    lines = [f"# Conformance matrix: {len(matrix.reports)} targets", "", "## Totals", "",
             _row("", *matrix.labels), rule, _row("Verdict", *(r.verdict() for r in matrix.reports)),
             _row("Tests", *(_totals(r) for r in matrix.reports)), "", "## Profiles", "",
             _row("Profile", *matrix.labels), rule]
    for name in matrix.profile_names():
        statuses = [next((s.status for s in r.profiles() if s.name == name), "—") for r in matrix.reports]
        lines.append(_row(name, *statuses))
    lines += ["", "## Tests", "", _row("Test", *matrix.labels), rule]
    notes: list[str] = []
    for test_id in matrix.test_ids:
        cells = [matrix.cell(column, test_id) for column in range(len(matrix.reports))]
        lines.append(_row(test_id, *(_MARK[kind] for kind, _ in cells)))
        notes += [_row(test_id, label, _MARK[kind], message)
                  for label, (kind, message) in zip(matrix.labels, cells, strict=True) if kind in _NOTED]
    lines += ["", "## Messages", ""]
    header = [_row("Test", "Target", "Outcome", "Message"), "| --- | --- | --- | --- |"]
    lines += [*header, *notes] if notes else ["None."]
    return "\n".join(lines) + "\n"


def write_matrix(reports: list[Report], directory: Path) -> dict[str, Path]:
    """Write matrix.html and matrix.md for ``reports`` into ``directory``."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    matrix = build_matrix(reports)
    html_path, md_path = directory / "matrix.html", directory / "matrix.md"
    html_path.write_text(render_matrix_html(matrix), encoding="utf-8")
    md_path.write_text(render_matrix_markdown(matrix), encoding="utf-8")
    return {"html": html_path, "markdown": md_path}
