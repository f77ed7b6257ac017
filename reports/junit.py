"""Write a Report as JUnit XML: one testsuite per profile, one testcase per conformance test."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from aigw_conformance.reports.model import Report, TestResult

# Characters XML 1.0 cannot carry at all; gateway error bodies sometimes contain them.
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _clean(text: str) -> str:
    return _ILLEGAL_XML.sub("\ufffd", text)


def _seconds(value: float) -> str:
    return f"{max(value, 0.0):.3f}"


def _failure_text(result: TestResult) -> str:
    if not result.failures:
        return result.message
    lines = []
    for failure in result.failures:
        inferred = " (inferred)" if failure.inferred else ""
        lines.append(f"[{failure.severity}] {failure.check}{inferred}: {failure.message}\n"
                     f"  grounds: {failure.grounds_text(width=1000)}")
    return "\n".join(lines)


def _testcase(parent: ET.Element, result: TestResult) -> None:
    case = ET.SubElement(
        parent,
        "testcase",
        {
            "classname": _clean(f"aigw.{result.profile}.{result.feature}"),
            "name": _clean(result.id),
            "time": _seconds(result.duration_s),
        },
    )
    if result.outcome == "failed":
        first = result.failures[0] if result.failures else None
        failure = ET.SubElement(
            case,
            "failure",
            {
                "message": _clean(first.message if first else result.message),
                "type": _clean(first.check if first else "failure"),
            },
        )
        failure.text = _clean(_failure_text(result))
    elif result.outcome == "skipped":
        ET.SubElement(case, "skipped", {"message": _clean(result.message)})


def build_junit(report: Report) -> ET.ElementTree:
    """Build the JUnit XML tree for ``report``."""
    counts = report.counts()
    root = ET.Element(
        "testsuites",
        {
            "name": _clean(f"aigw conformance: {report.target.name}"),
            "tests": str(len(report.results)),
            "failures": str(counts["failed"]),
            "errors": "0",
            "skipped": str(counts["skipped"]),
            "time": _seconds(report.duration_s),
        },
    )
    for summary in report.profiles():
        results = [result for result in report.results if result.profile == summary.name]
        suite = ET.SubElement(
            root,
            "testsuite",
            {
                "name": _clean(summary.name),
                "tests": str(len(results)),
                "failures": str(summary.failed),
                "errors": "0",
                "skipped": str(summary.skipped),
                "time": _seconds(sum(result.duration_s for result in results)),
                "timestamp": _clean(report.started_at),
            },
        )
        properties = ET.SubElement(suite, "properties")
        for name, value in (
            ("target", report.target.name),
            ("report_version", report.version),
            ("tool_version", report.tool_version),
            ("status", summary.status),
            ("interrupted", "true" if report.interrupted else "false"),
        ):
            ET.SubElement(properties, "property", {"name": name, "value": _clean(value)})
        for result in results:
            _testcase(suite, result)
    tree = ET.ElementTree(root)
    ET.indent(tree)
    return tree


def write_junit(report: Report, path: Path) -> Path:
    """Write ``report`` as JUnit XML to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    build_junit(report).write(path, encoding="utf-8", xml_declaration=True)
    return path
