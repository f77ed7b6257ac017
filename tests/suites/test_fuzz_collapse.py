"""Fuzzed failures collapse to one per check and grounds, and a refusal's collapsed failure tallies the answers."""

from __future__ import annotations

import json
from pathlib import Path

from aigw_conformance.cli import main
from aigw_conformance.reports.model import FailureRecord
from aigw_conformance.suites.checks.schema import ANSWERED
from aigw_conformance.suites.conformance.fuzz_tests import _answers_tally


def refusal(answer: str) -> FailureRecord:
    return FailureRecord("schema.positive_data_acceptance", "high",
                         f"POST /chat/completions → 400: rejected\n  {ANSWERED}400: {answer!r}\n  reproduce: curl …")


def test_the_tally_names_the_most_frequent_answers_first_and_counts_the_rest() -> None:
    failures = [refusal("tool")] * 5 + [refusal("n")] * 2 + [refusal("a"), refusal("b"), refusal("c")]
    tally = _answers_tally(failures)
    assert tally.startswith("\n  answers: 5x 400: 'tool'; 2x 400: 'n'; 1x 400: ")
    assert tally.endswith("; 2 other answers")
    assert _answers_tally([refusal("tool")] * 3) == ""  # one answer: the first failure already quotes it


def test_a_refused_schema_valid_request_quotes_the_gateways_answer_and_the_run_tallies_them(tmp_path: Path) -> None:
    """On a gateway that relays its providers' refusals, the positive fuzz failure says why each was refused."""
    code = main(["check", "--quiet", "--defect", "provider-refusals-relayed", "--test",
                 "schema.chat.completions.post.positive", "--report-dir", str(tmp_path)])
    assert code == 1
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    [failure] = [f for r in report["results"] for f in r["failures"]
                 if f["check"] == "schema.positive_data_acceptance"]
    assert f"{ANSWERED}400: " in failure["message"] and "\n  answers: " in failure["message"]
    assert failure["message"].index(ANSWERED) < failure["message"].index("reproduce: curl")
