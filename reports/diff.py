"""Compare two reports test by test: regressions, fixes, new and removed tests, changed skips."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from aigw_conformance.reports.findings import Finding
from aigw_conformance.reports.markdown import escape_cell
from aigw_conformance.reports.model import Report, TestResult


@dataclass(frozen=True)
class Change:
    """One test whose standing differs between the base and the new report."""

    id: str
    base: str  # outcome in the base report, or "absent"
    new: str  # outcome in the new report, or "absent"
    message: str  # the new message (the base one for a removed test)
    checks: tuple[str, ...] = ()  # checks failing in NEW but not in BASE (regressions only)
    inferred: bool = False  # a regression whose new failures are all on inferred spec elements


@dataclass
class ReportDiff:
    base_target: str
    new_target: str
    regressions: list[Change] = field(default_factory=list)
    fixes: list[Change] = field(default_factory=list)
    new_tests: list[Change] = field(default_factory=list)
    removed_tests: list[Change] = field(default_factory=list)
    changed_skips: list[Change] = field(default_factory=list)
    findings: list[FindingChange] = field(default_factory=list)  # findings new, resolved, or breaking more/fewer

    def gate_failed(self, strict: bool = False) -> bool:
        """A regression fails the gate; one only on inferred spec elements only with ``strict``."""
        return any(strict or not change.inferred for change in self.regressions)

    def to_dict(self) -> dict[str, Any]:
        sections = ("regressions", "fixes", "new_tests", "removed_tests", "changed_skips")
        return {
            "base_target": self.base_target,
            "new_target": self.new_target,
            **{name: [{**asdict(c), "checks": list(c.checks)} for c in getattr(self, name)] for name in sections},
            "findings": [{**asdict(c), "change": c.change} for c in self.findings],
        }


@dataclass(frozen=True)
class FindingChange:
    """A finding (check and grounds) whose number of broken tests differs: 0 on one side is new or resolved."""

    check: str
    grounds: str
    severity: str
    base_tests: int
    new_tests: int

    @property
    def change(self) -> str:
        if not self.base_tests:
            return "new"
        if not self.new_tests:
            return "resolved"
        return "more tests" if self.new_tests > self.base_tests else "fewer tests"


def diff_findings(base: list[Finding], new: list[Finding]) -> list[FindingChange]:
    """The findings whose test count changed, in the new report's order (most severe first), then resolved ones."""
    before = {(f.check, f.grounds): f for f in base}
    after = {(f.check, f.grounds): f for f in new}
    changes = [FindingChange(f.check, f.grounds, f.severity, before[key].count if key in before else 0, f.count)
               for key, f in after.items()]
    changes += [FindingChange(f.check, f.grounds, f.severity, f.count, 0) for key, f in before.items()
                if key not in after]
    return [change for change in changes if change.base_tests != change.new_tests]


def _failing(result: TestResult) -> dict[str, bool]:
    """Failing check -> whether it is inferred (a failure with no check record counts as a documented one)."""
    if result.outcome != "failed":
        return {}
    checks: dict[str, bool] = {f.check: f.inferred for f in result.failures}
    return checks or {"(test failed)": False}


def _regression(base: TestResult | None, new: TestResult) -> Change | None:
    if new.outcome != "failed":
        return None
    before, after = _failing(base) if base else {}, _failing(new)
    added = {check: inferred for check, inferred in after.items() if check not in before}
    if base is not None and base.outcome == "failed" and not added:
        return None
    return Change(new.id, base.outcome if base else "absent", "failed", new.message, tuple(sorted(added)),
                  inferred=all(added.values()))


def _skip_message(before: TestResult, now: TestResult) -> str:
    if before.outcome == now.outcome:
        return f"{before.message} → {now.message}"
    return now.message if now.outcome == "skipped" else f"was skipped: {before.message}"


def diff_reports(base: Report, new: Report) -> ReportDiff:
    """Compare ``new`` against ``base``: a test that did not fail (or was absent) and now fails, or fails
    a check it did not fail before, is a regression."""
    olds = {result.id: result for result in base.results}
    news = {result.id: result for result in new.results}
    diff = ReportDiff(base.target.name, new.target.name)
    for test_id, now in news.items():
        before = olds.get(test_id)
        if before is None:
            diff.new_tests.append(Change(test_id, "absent", now.outcome, now.message))
        if regression := _regression(before, now):
            diff.regressions.append(regression)
        elif before is None:
            continue
        elif before.outcome == "failed" and now.outcome == "passed":
            diff.fixes.append(Change(test_id, "failed", "passed", now.message))
        elif "skipped" in (before.outcome, now.outcome) and (before.outcome, before.message) != (
            now.outcome, now.message
        ):
            diff.changed_skips.append(Change(test_id, before.outcome, now.outcome, _skip_message(before, now)))
    for test_id, before in olds.items():
        if test_id not in news:
            diff.removed_tests.append(Change(test_id, before.outcome, "absent", before.message))
    diff.findings = diff_findings(base.findings(), new.findings())
    return diff


_TITLES = {
    "regressions": "Regressions",
    "fixes": "Fixes",
    "new_tests": "New tests",
    "removed_tests": "Removed tests",
    "changed_skips": "Changed skips",
}


def _row(*cells: str) -> str:
    return "| " + " | ".join(escape_cell(cell) for cell in cells) + " |"


def render_diff_markdown(diff: ReportDiff, strict: bool = False) -> str:
    """Render ``diff`` as Markdown; the title says REGRESSED when ``diff.gate_failed(strict)``."""
    gate = "REGRESSED" if diff.gate_failed(strict) else "OK"
    lines = [f"# Report diff: {diff.base_target} → {diff.new_target} — {gate}".replace("\n", " "), ""]
    lines.append(", ".join(f"{len(getattr(diff, name))} {title.lower()}" for name, title in _TITLES.items()) + ".")
    for name, title in _TITLES.items():
        changes: list[Change] = getattr(diff, name)
        lines += ["", f"## {title}", ""]
        if not changes:
            lines.append("None.")
            continue
        if name == "regressions":
            lines += [_row("Test", "Base", "New", "New failing checks", "Message"), "| --- | --- | --- | --- | --- |"]
            for c in changes:
                checks = ", ".join(c.checks) + (" (inferred only)" if c.inferred else "")
                lines.append(_row(c.id, c.base, c.new, checks, c.message))
        else:
            lines += [_row("Test", "Base", "New", "Message"), "| --- | --- | --- | --- |"]
            lines += [_row(c.id, c.base, c.new, c.message) for c in changes]
    return "\n".join([*lines, *_findings_section(diff.findings)]) + "\n"


def _findings_section(changes: list[FindingChange]) -> list[str]:
    lines = ["", "## Findings", ""]
    if not changes:
        return [*lines, "No finding changed (same checks failing, on as many tests)."]
    lines += [_row("Check", "Grounds", "Severity", "Base tests", "New tests", "Change"),
              "| --- | --- | --- | ---: | ---: | --- |"]
    return lines + [_row(c.check, c.grounds, c.severity, str(c.base_tests), str(c.new_tests), c.change)
                    for c in changes]
