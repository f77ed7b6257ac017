"""The versioned report data model: one record per conformance test, summarised per profile."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from aigw_conformance.reports.findings import Finding, findings_of
from aigw_conformance.reports.grounds_text import describe_grounds

# 1.1: `interrupted`, results[].not_applicable (readers of 1.0 ignore both).
# 1.2: results[].failures[].grounds, .source, .quote: every failure's grounds (`inferred` stays, derived: grounds ==
# "convention"); `findings` (the failures grouped by check and grounds, computed from `results`, most severe first)
# and results[].failures[].request, .status (the failing exchange). Readers of 1.1 ignore them, and a 1.1 report's
# findings are computed on load (the request and status parsed from each failure's message).
REPORT_VERSION = "1.2"

Outcome = Literal["passed", "failed", "skipped"]
ProfileStatus = Literal["success", "partial", "failure"]


@dataclass(frozen=True)
class FailureRecord:
    """One failed check inside a conformance test."""

    check: str
    severity: str
    message: str
    inferred: bool = False
    # The grounds of this failure (issue 15): "documented" (a seed document's sentence: `source` is the seed file,
    # `quote` its verbatim words) or "convention" (an inferred spec element or an OpenAI convention: `source`
    # names it, `quote` gives the reason). Empty in reports written before grounds were recorded.
    grounds: str = ""
    source: str = ""
    quote: str = ""
    # The failing exchange (issue 15): its request line (`POST /chat/completions (label)`) and response status;
    # empty when the failure had no exchange (transport, harness) or the report predates them.
    request: str = ""
    status: str = ""

    def grounds_text(self, width: int = 160) -> str:
        """`documented (000: "…")`, `convention: the reason`, or what an older report (or a failure of the run
        itself: transport, harness, preflight) recorded."""
        return describe_grounds(self.grounds, self.source, self.quote, width, inferred=self.inferred)


@dataclass(frozen=True)
class NotApplicable:
    """A check that would have failed, on a feature the target does not declare or exempts: not the gateway's
    failure. `count` exchanges tripped it; `message` is the first one's failure."""

    check: str
    feature: str
    reason: str
    message: str
    count: int = 1


@dataclass(frozen=True)
class TestResult:
    """The outcome of one conformance test against the target."""

    __test__ = False  # not a pytest test class

    id: str
    feature: str
    profile: str
    outcome: Outcome
    message: str
    description: str = ""
    checks: tuple[str, ...] = ()
    failures: tuple[FailureRecord, ...] = ()
    duration_s: float = 0.0
    not_applicable: tuple[NotApplicable, ...] = ()

    @property
    def inferred_only(self) -> bool:
        """Failed, and every failure is on an `inferred` spec element (the documents are silent on it)."""
        return self.outcome == "failed" and bool(self.failures) and all(f.inferred for f in self.failures)


@dataclass(frozen=True)
class TargetInfo:
    name: str
    base_url: str | None
    client_base_url: str | None


@dataclass(frozen=True)
class ProfileSummary:
    name: str
    passed: int
    failed: int
    skipped: int

    @property
    def status(self) -> ProfileStatus:
        if self.failed:
            return "failure"
        return "partial" if self.skipped else "success"


@dataclass(frozen=True)
class DeepRun:
    """What `aigw check --deep` sent: generated requests, their statuses, and why the run stopped.

    Optional in the report (`"deep"`, present only after a deep run): readers of report version 1.0 without it
    stay valid."""

    requests_sent: int
    goal: int  # the run is complete when requests_sent reached it
    max_requests: int
    budget_s: float
    duration_s: float
    stop_reason: str
    statuses: dict[str, int] = field(default_factory=dict)  # status code -> responses
    operations: dict[str, int] = field(default_factory=dict)  # "POST /chat/completions positive" -> requests
    skipped: dict[str, str] = field(default_factory=dict)  # operation -> why it was not fuzzed
    server_errors: int = 0  # responses with a 5xx status
    undocumented: int = 0  # responses whose status the spec does not document for the operation
    seed: int = 0

    @property
    def complete(self) -> bool:
        return self.requests_sent >= self.goal


@dataclass
class Report:
    """Everything one run produced; writers only read it."""

    target: TargetInfo
    started_at: str
    duration_s: float
    tool_version: str
    results: list[TestResult] = field(default_factory=list)
    version: str = REPORT_VERSION
    deep: DeepRun | None = None
    interrupted: bool = False  # the run was stopped (SIGINT/SIGTERM) before every selected test ran

    def counts(self) -> dict[str, int]:
        tally = Counter(result.outcome for result in self.results)
        return {outcome: tally.get(outcome, 0) for outcome in ("passed", "failed", "skipped")}

    def profiles(self) -> list[ProfileSummary]:
        names = sorted({result.profile for result in self.results})
        summaries = []
        for name in names:
            tally = Counter(result.outcome for result in self.results if result.profile == name)
            summaries.append(ProfileSummary(name, tally["passed"], tally["failed"], tally["skipped"]))
        return summaries

    def split_failed(self) -> tuple[list[TestResult], list[TestResult]]:
        """The failed tests as (documented: some failure is not inferred, inferred-only)."""
        failed = [result for result in self.results if result.outcome == "failed"]
        return [r for r in failed if not r.inferred_only], [r for r in failed if r.inferred_only]

    def gate_failed(self, strict: bool = False) -> bool:
        """Whether the run fails: a documented failure, or with ``strict`` any failure at all."""
        documented, inferred = self.split_failed()
        return bool(documented) or (strict and bool(inferred))

    def verdict(self, strict: bool = False) -> str:
        return "FAIL" if self.gate_failed(strict) else "PASS"

    def not_applicable(self) -> list[tuple[TestResult, NotApplicable]]:
        """Every check outcome set aside as not applicable, with its test."""
        return [(result, record) for result in self.results for record in result.not_applicable]

    def findings(self) -> list[Finding]:
        """The distinct deviations: failures grouped by check and grounds, most severe first (see findings.py)."""
        return findings_of(self.results)

    def failed_checks(self) -> set[str]:
        return {failure.check for result in self.results for failure in result.failures}

    def to_dict(self) -> dict[str, Any]:
        data = self._core_dict()
        if self.deep is not None:
            data["deep"] = {**asdict(self.deep), "complete": self.deep.complete,
                            "duration_s": round(self.deep.duration_s, 3)}
        return data

    def _core_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "tool_version": self.tool_version,
            "target": asdict(self.target),
            "started_at": self.started_at,
            "duration_s": round(self.duration_s, 3),
            "interrupted": self.interrupted,
            "summary": {**self.counts(), "total": len(self.results)},
            "findings": [finding.to_dict() for finding in self.findings()],
            "profiles": {
                summary.name: {
                    "passed": summary.passed,
                    "failed": summary.failed,
                    "skipped": summary.skipped,
                    "status": summary.status,
                }
                for summary in self.profiles()
            },
            "results": [
                {
                    "id": result.id,
                    "feature": result.feature,
                    "profile": result.profile,
                    "outcome": result.outcome,
                    "message": result.message,
                    "description": result.description,
                    "checks": list(result.checks),
                    "failures": [asdict(failure) for failure in result.failures],
                    "not_applicable": [asdict(record) for record in result.not_applicable],
                    "duration_s": round(result.duration_s, 3),
                }
                for result in self.results
            ],
        }
