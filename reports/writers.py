"""Write every report format into one directory."""

from __future__ import annotations

from pathlib import Path

from aigw_conformance.reports.html import write_html
from aigw_conformance.reports.json_writer import write_json
from aigw_conformance.reports.junit import write_junit
from aigw_conformance.reports.markdown import write_markdown
from aigw_conformance.reports.model import Report


def write_all(report: Report, directory: Path) -> dict[str, Path]:
    """Write report.json, junit.xml, report.md and report.html into ``directory`` (created if needed)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    return {
        "json": write_json(report, directory / "report.json"),
        "junit": write_junit(report, directory / "junit.xml"),
        "markdown": write_markdown(report, directory / "report.md"),
        "html": write_html(report, directory / "report.html"),
    }
