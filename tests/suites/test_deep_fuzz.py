"""The deep fuzzing run (`aigw check --deep`): bounded by its cap and budget, counting what it really sent."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from aigw_conformance.cli import main
from aigw_conformance.reports.html import render_html
from aigw_conformance.reports.json_writer import load_json, write_json
from aigw_conformance.reports.markdown import render_markdown
from aigw_conformance.reports.model import Report
from aigw_conformance.suites.deep_options import DeepOptions, deep_options
from aigw_conformance.suites.runner import run
from aigw_conformance.suites.selftest import pointed_at, reference_stack
from aigw_conformance.suites.target import REFERENCE_TARGET, Target, TargetError, load_target


@pytest.fixture(scope="module")
def reference() -> Iterator[Target]:
    target = load_target(REFERENCE_TARGET)
    with reference_stack(target) as stack:
        yield pointed_at(target, stack)


def deep_run(target: Target, **bounds: float) -> Report:
    return run(replace(target, deep=DeepOptions(**bounds)), only=["schema.deep"], deep=True)  # type: ignore[arg-type]


def test_a_small_goal_is_reached_counted_and_the_round_finished(reference: Target) -> None:
    report = deep_run(reference, requests=40, max_requests=200, batch=2, budget_s=120)
    deep, (result,) = report.deep, report.results
    assert deep is not None and deep.complete, deep
    assert result.id == "schema.deep" and result.outcome == "passed", result.message
    assert 40 <= deep.requests_sent <= 200 and deep.stop_reason.startswith("goal of 40 requests reached"), deep
    assert sum(deep.statuses.values()) == deep.requests_sent == sum(deep.operations.values())
    assert all(count > 0 for count in deep.operations.values()), "every lane sent in the first round"
    assert {"client POST /chat/completions positive", "POST /chat/count negative"} <= set(deep.operations)
    assert deep.server_errors == 0 and deep.undocumented == 0
    assert not any(status.startswith("5") for status in deep.statuses)
    assert "schema.not_a_server_error" in result.checks and "errors.status_documented" in result.checks


def test_the_cap_stops_the_run_at_exactly_that_many_requests(reference: Target) -> None:
    deep = deep_run(reference, requests=15, max_requests=15, batch=3, budget_s=120).deep
    assert deep is not None and deep.requests_sent == 15 and deep.complete
    assert deep.stop_reason.startswith("request cap of 15 reached"), deep.stop_reason


def test_a_spent_budget_fails_the_run_saying_so(reference: Target) -> None:
    started = time.monotonic()
    report = deep_run(reference, requests=10_000, max_requests=10_000, batch=5, budget_s=1.5)
    deep, (result,) = report.deep, report.results
    assert time.monotonic() - started < 15, "the budget bounds the run"
    assert deep is not None and not deep.complete and 0 < deep.requests_sent < 10_000
    assert "wall-clock budget of 1.5 s ran out" in deep.stop_reason
    assert result.outcome == "failed" and result.failures[0].check == "deep.request_goal"
    assert f"sent {deep.requests_sent:,} of the 10,000" in result.message
    assert report.gate_failed()


def test_the_report_carries_the_deep_run(reference: Target, tmp_path: Path) -> None:
    report = deep_run(reference, requests=20, max_requests=100, batch=1, budget_s=120)
    assert report.deep is not None
    loaded = load_json(write_json(report, tmp_path / "report.json"))
    assert loaded.deep == replace(report.deep, duration_s=round(report.deep.duration_s, 3))
    data = json.loads((tmp_path / "report.json").read_text())
    assert data["deep"]["complete"] is True and data["deep"]["requests_sent"] == report.deep.requests_sent
    for text in (render_markdown(report), render_html(report)):
        assert "Deep fuzzing" in text and f"{report.deep.requests_sent:,} generated requests" in text
        assert "client POST /chat/completions negative" in text
    assert "deep" not in replace(report, deep=None).to_dict(), "reports without a deep run keep their shape"


def test_the_deep_run_is_left_out_unless_asked_or_selected(reference: Target) -> None:
    assert run(reference, only=["schema.deep"]).results == []
    assert run(replace(reference, deep=DeepOptions(requests=5, batch=1)), only=["auth."], profiles=["ai-auth"],
               deep=True).deep is None


def test_deep_options_from_the_target_file() -> None:
    assert load_target(REFERENCE_TARGET).deep == DeepOptions(requests=10_000, max_requests=12_000, budget_s=900.0)
    assert deep_options({"requests": 50, "budget_s": 30}, "t.toml") == DeepOptions(requests=50, budget_s=30.0)
    for bad in ({"requests": 0}, {"requests": 500, "max_requests": 100}, {"budget_s": "soon"}, {"rounds": 3},
                {"batch": True}, {"requests": 2.5}):
        with pytest.raises(ValueError, match=r"\[fuzz.deep\]|deep fuzzing"):
            deep_options(bad, "t.toml")


def test_a_bad_deep_table_is_a_target_error(tmp_path: Path) -> None:
    path = tmp_path / "t.toml"
    path.write_text("[fuzz.deep]\nrequests = -1\n", encoding="utf-8")
    with pytest.raises(TargetError, match="positive"):
        load_target(path)


@pytest.mark.parametrize("flags", [["--deep-requests", "0"], ["--deep-max-requests", "5", "--deep-requests", "9"],
                                   ["--deep-budget-s", "-1"]])
def test_unusable_deep_flags_exit_2(flags: list[str], tmp_path: Path) -> None:
    assert main(["check", "--quiet", "--report-dir", str(tmp_path), *flags]) == 2
