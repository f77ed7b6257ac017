"""Write a Report as JSON and load it back, refusing report versions with an unknown major number."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aigw_conformance.reports.model import (
    REPORT_VERSION,
    DeepRun,
    FailureRecord,
    NotApplicable,
    Report,
    TargetInfo,
    TestResult,
)

_OUTCOMES = ("passed", "failed", "skipped")


def write_json(report: Report, path: Path) -> Path:
    """Write ``report.to_dict()`` to ``path`` (indent 2, key order kept, UTF-8, trailing newline)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(report.to_dict(), indent=2, sort_keys=False, ensure_ascii=False)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def _major(version: str) -> str:
    return version.split(".", 1)[0]


def _require(data: dict[str, Any], key: str, where: str) -> Any:
    if key not in data:
        raise ValueError(f"report JSON is missing {where}{key!r}")
    return data[key]


def _failure_from_dict(data: dict[str, Any], where: str) -> FailureRecord:
    return FailureRecord(
        check=str(_require(data, "check", where)),
        severity=str(_require(data, "severity", where)),
        message=str(_require(data, "message", where)),
        inferred=bool(data.get("inferred", False)),
        grounds=str(data.get("grounds", "")),
        source=str(data.get("source", "")),
        quote=str(data.get("quote", "")),
        request=str(data.get("request", "")),  # report 1.2: the failing exchange; empty in older reports
        status=str(data.get("status", "")),
    )


def _not_applicable_from_dict(data: dict[str, Any], where: str) -> NotApplicable:
    return NotApplicable(
        check=str(_require(data, "check", where)), feature=str(data.get("feature", "")),
        reason=str(_require(data, "reason", where)), message=str(data.get("message", "")),
        count=int(data.get("count", 1)),
    )


def _result_from_dict(data: Any, index: int) -> TestResult:
    where = f"results[{index}]."
    if not isinstance(data, dict):
        raise ValueError(f"report JSON {where[:-1]} is not an object")
    outcome = _require(data, "outcome", where)
    if outcome not in _OUTCOMES:
        raise ValueError(f"report JSON {where}outcome is {outcome!r}, expected one of {', '.join(_OUTCOMES)}")
    failures = data.get("failures", [])
    return TestResult(
        id=str(_require(data, "id", where)),
        feature=str(_require(data, "feature", where)),
        profile=str(_require(data, "profile", where)),
        outcome=outcome,
        message=str(_require(data, "message", where)),
        description=str(data.get("description", "")),
        checks=tuple(str(check) for check in data.get("checks", [])),
        failures=tuple(
            _failure_from_dict(failure, f"{where}failures[{position}].")
            for position, failure in enumerate(failures)
        ),
        duration_s=float(data.get("duration_s", 0.0)),
        not_applicable=tuple(
            _not_applicable_from_dict(record, f"{where}not_applicable[{position}].")
            for position, record in enumerate(data.get("not_applicable", []))
        ),
    )


def _counts(data: Any, where: str) -> dict[str, int]:
    if not isinstance(data, dict):
        raise ValueError(f"report JSON {where} is not an object")
    return {str(key): int(value) for key, value in data.items()}


def _deep_from_dict(data: Any) -> DeepRun | None:
    """The optional `deep` section (a deep run's traffic); None when the report has none."""
    if data is None:
        return None
    if not isinstance(data, dict):
        raise ValueError("report JSON 'deep' is not an object")
    skipped = data.get("skipped", {})
    return DeepRun(
        requests_sent=int(_require(data, "requests_sent", "deep.")), goal=int(_require(data, "goal", "deep.")),
        max_requests=int(data.get("max_requests", 0)), budget_s=float(data.get("budget_s", 0.0)),
        duration_s=float(data.get("duration_s", 0.0)), stop_reason=str(data.get("stop_reason", "")),
        statuses=_counts(data.get("statuses", {}), "deep.statuses"),
        operations=_counts(data.get("operations", {}), "deep.operations"),
        skipped={str(k): str(v) for k, v in skipped.items()} if isinstance(skipped, dict) else {},
        server_errors=int(data.get("server_errors", 0)), undocumented=int(data.get("undocumented", 0)),
        seed=int(data.get("seed", 0)),
    )


def report_from_dict(data: Any) -> Report:
    """Rebuild a Report from ``Report.to_dict()`` output; raise ValueError on an unknown major version."""
    if not isinstance(data, dict):
        raise ValueError("report JSON must be an object at the top level")
    version = data.get("version")
    if not isinstance(version, str) or not version:
        raise ValueError(f"report JSON has no usable 'version' field (got {version!r})")
    if _major(version) != _major(REPORT_VERSION):
        raise ValueError(
            f"unsupported report version {version!r}: this tool reads major version "
            f"{_major(REPORT_VERSION)} (report format {REPORT_VERSION})"
        )
    target = _require(data, "target", "")
    if not isinstance(target, dict):
        raise ValueError("report JSON 'target' is not an object")
    results = data.get("results", [])
    if not isinstance(results, list):
        raise ValueError("report JSON 'results' is not a list")
    return Report(
        target=TargetInfo(
            name=str(_require(target, "name", "target.")),
            base_url=target.get("base_url"),
            client_base_url=target.get("client_base_url"),
        ),
        started_at=str(_require(data, "started_at", "")),
        duration_s=float(_require(data, "duration_s", "")),
        tool_version=str(_require(data, "tool_version", "")),
        results=[_result_from_dict(result, index) for index, result in enumerate(results)],
        version=version,
        deep=_deep_from_dict(data.get("deep")),
        interrupted=data.get("interrupted") is True,
    )


def load_json(path: Path) -> Report:
    """Load a report written by :func:`write_json`."""
    with Path(path).open(encoding="utf-8") as handle:
        data = json.load(handle)
    return report_from_dict(data)
