"""The defect self-test: every defect is caught by the checks named for it; the clean reference passes."""

from __future__ import annotations

import pytest

from aigw_conformance.mocks.reference.defects import DEFECTS
from aigw_conformance.suites.checks import CHECKS
from aigw_conformance.suites.selftest import EXPECTED_CATCHES, mutation_score, selftest
from aigw_conformance.suites.target import REFERENCE_TARGET, load_target


def test_every_defect_names_registered_checks() -> None:
    assert set(EXPECTED_CATCHES) == set(DEFECTS)
    for defect, checks in EXPECTED_CATCHES.items():
        assert checks, defect
        assert set(checks) <= set(CHECKS), f"{defect} names unknown checks {set(checks) - set(CHECKS)}"


@pytest.mark.slow
def test_the_suite_catches_every_defect_and_passes_the_clean_reference() -> None:
    target = load_target(REFERENCE_TARGET).with_overrides(examples=10)
    rows = selftest(target, jobs=2)
    report = {row.name: (row.ok, sorted(row.missed), sorted(row.failed_checks)) for row in rows}
    assert all(row.ok for row in rows), report
    caught, total = mutation_score(rows)
    assert (caught, total) == (len(DEFECTS), len(DEFECTS))
