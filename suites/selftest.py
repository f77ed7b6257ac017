"""The defect self-test: the suite must fail the named checks on each defect and pass the clean reference."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from mocks.reference.defects import DEFECTS
from mocks.reference.stack import ReferenceStack
from reports.model import Report
from suites.runner import run
from suites.target import Target

# Each defect of the reference and the checks that must catch it (every one of them must fail).
EXPECTED_CATCHES: dict[str, tuple[str, ...]] = {
    "no-done": ("sse.done_last",),
    "no-x-error-id": ("errors.x_error_id", "schema.response_headers_conformance"),
    "no-x-error": ("errors.x_error", "schema.response_headers_conformance"),
    "usage-total-off-by-one": ("chat.usage_arithmetic", "sse.usage_arithmetic"),
    "unstable-chunk-id": ("sse.stable_id",),
    "temperature-unchecked": ("validation.rejects_out_of_range",),
    "usage-chunk-unasked": ("sse.usage_chunk_iff_requested",),
    "no-role-delta": ("sse.first_delta_role",),
    "key-without-secret-accepted": ("auth.key_without_secret_401",),
    "any-bearer-accepted": ("auth.wrong_bearer_401",),
    "plain-text-errors": ("errors.json_content_type", "errors.envelope"),
    "wrong-chunk-object": ("sse.chunk_object", "sse.chunk_schema"),
    "stream-as-json-content-type": ("sse.content_type",),
    "model-missing-owned-by": ("models.list_shape", "models.retrieve_shape"),
    "unknown-model-500": ("models.unknown_404",),
    "created-drift": ("sse.stable_created",),
    "chunk-model-upstream-name": ("sse.stable_model",),
    "n-range-unchecked": ("validation.rejects_out_of_range",),
    "error-envelope-flat": ("errors.envelope",),
    "finish-reason-invalid": ("chat.finish_reason", "sse.finish_reason"),
}

# Legal variations of the wire format: the suite must pass the reference with each of them on.
QUIRK_SETS: tuple[tuple[str, ...], ...] = (("crlf", "comments"),)


@dataclass(frozen=True)
class SelfTestRow:
    """One run of the suite against the reference with some defects or quirks switched on."""

    name: str
    expected: tuple[str, ...]
    failed_checks: frozenset[str]
    report: Report

    @property
    def missed(self) -> tuple[str, ...]:
        return tuple(check for check in self.expected if check not in self.failed_checks)

    @property
    def ok(self) -> bool:
        if not self.expected:  # a clean or quirky reference: no check may fail
            return not self.failed_checks
        return not self.missed


def run_against_reference(target: Target, *, defects: Iterable[str] = (), quirks: Iterable[str] = ()) -> Report:
    """Start a reference with the given switches, run the suite against it, stop it."""
    with ReferenceStack(defects=tuple(defects), quirks=tuple(quirks)) as stack:
        return run(target.with_overrides(
            base_url=stack.base_url, token=stack.token, api_key=stack.api_key, api_secret=stack.api_secret,
        ))


def selftest(
    target: Target, defects: Iterable[str] | None = None, progress: Callable[[SelfTestRow], None] | None = None
) -> list[SelfTestRow]:
    """Run the suite on the clean reference, on each quirk set, and on each defect."""
    unknown = sorted(set(DEFECTS) ^ set(EXPECTED_CATCHES))
    if unknown:
        raise ValueError(f"defects and expected catches disagree on: {unknown}")
    plan: list[tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = [("clean", (), (), ())]
    plan += [("quirks:" + "+".join(quirks), (), quirks, ()) for quirks in QUIRK_SETS]
    chosen = list(DEFECTS) if defects is None else list(defects)
    plan += [(f"defect:{name}", (name,), (), EXPECTED_CATCHES[name]) for name in chosen]
    rows = []
    for name, defect_names, quirks, expected in plan:
        report = run_against_reference(target, defects=defect_names, quirks=quirks)
        row = SelfTestRow(name, expected, frozenset(report.failed_checks()), report)
        rows.append(row)
        if progress:
            progress(row)
    return rows


def mutation_score(rows: list[SelfTestRow]) -> tuple[int, int]:
    """(defects caught, defects run)."""
    defect_rows = [row for row in rows if row.expected]
    return sum(row.ok for row in defect_rows), len(defect_rows)
