"""The sweep's plan, search and selection, driven by a fake target whose limit is known (no load is sent)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from aigw_conformance.suites.load import sweep, sweep_report
from aigw_conformance.suites.load.sweep import RATE, Plan, Point, Step, Sweep


def fake_summary(step: Step, limit: float = 50.0, sync: float = 10.0) -> dict[str, Any]:
    """A target that serves `sync` req/s one at a time, `limit` at most, and breaks its SLO above `limit`."""
    achieved = sync if step.kind == sweep.SYNCHRONOUS else limit if step.kind == sweep.THROUGHPUT else step.rate
    over = step.kind == RATE and step.rate > limit
    return {"requests": 100, "achieved_rate": min(achieved, limit), "error_rate": 0.0,
            "ttft_ms": {"p50": 10.0, "p99": 500.0 if over else 20.0}, "e2e_ms": {"p50": 30.0, "p99": 40.0},
            "slo": {"passed": not over, "breaches": ["ttft_ms p99 500.0 > 100"] if over else []},
            "error_gate": {"passed": True, "breach": None}}


def point(rate: float, passed: bool) -> Point:
    return Point(Step(RATE, 8, rate), {"requests": 1}, () if passed else ("breach",))


def test_spaced_rates_run_from_above_the_synchronous_rate_up_to_the_saturation_rate() -> None:
    assert sweep.spaced(10, 50, 4) == [20, 30, 40, 50]
    assert sweep.spaced(10, 8, 4) == [2, 4, 6, 8]  # concurrency lost rate: from 0 up to the saturation rate
    assert sweep.spaced(10, 50, 0) == []


def test_verdict_counts_slo_breaches_the_error_gate_and_an_empty_run() -> None:
    ok = {"requests": 5, "slo": {"breaches": []}, "error_gate": {"passed": True}}
    assert sweep.verdict(ok) == ()
    assert sweep.verdict({**ok, "error_gate": {"passed": False, "breach": "error rate 9%"}}) == ("error rate 9%",)
    assert sweep.verdict({**ok, "slo": {"breaches": ["ttft_ms p99 9 > 1"]}}) == ("ttft_ms p99 9 > 1",)
    assert sweep.verdict({"requests": 0}) == ("no request was recorded",)


def test_the_search_tries_the_saturation_rate_then_steps_out_then_halves_the_gap_to_the_resolution() -> None:
    assert sweep.bisect_next([], 50, 0.1) == 50
    assert sweep.bisect_next([point(50, True)], 50, 0.1) == 75  # every rate passed: the limit is higher
    assert sweep.bisect_next([point(50, True), point(75, True)], 50, 0.1) == 112.5
    assert sweep.bisect_next([point(60, False)], 50, 0.1) == 40  # every rate failed: the limit is lower
    assert sweep.bisect_next([point(60, False), point(40, True)], 50, 0.1) == 50
    assert sweep.bisect_next([point(60, False), point(40, True), point(50, False)], 50, 0.1) == 45
    assert sweep.bisect_next([point(40, False), point(37, True)], 50, 0.1) is None  # 3 apart: within 10%
    assert sweep.bisect_next([point(40, False), point(37, True), point(45, True)], 50, 0.1) == 67.5  # noise: 45
    # passed above a failure at 40, so the search goes on above the highest passing rate


def test_the_max_sustainable_rate_is_the_highest_open_loop_rate_that_passed() -> None:
    closed = Point(Step(sweep.THROUGHPUT, 8), {"requests": 1, "achieved_rate": 99.0}, ())
    assert sweep.max_sustainable([closed, point(20, True), point(40, True), point(30, False)]) == point(40, True)
    assert sweep.max_sustainable([closed, point(20, False)]) is None


def test_a_spaced_sweep_runs_baseline_saturation_and_every_rate_and_finds_the_limit() -> None:
    runner = Sweep(Plan(rates=4), lambda step: fake_summary(step, limit=35.0))
    best = runner.run()
    assert [p.step.name for p in runner.points] == ["synchronous", "throughput", "rate-16.25", "rate-22.5",
                                                    "rate-28.75", "rate-35"]
    assert best is not None and best.offered == 35 and best.passed


def test_a_search_narrows_to_the_limit_within_its_resolution() -> None:
    limit = 37.0
    runner = Sweep(Plan(rates=8, search=True, resolution=0.05), lambda step: fake_summary(step, limit=100.0 if
                   step.kind == sweep.THROUGHPUT else limit))
    best = runner.run()
    rates = [p.offered for p in runner.points if p.step.kind == RATE]
    assert rates[:3] == [100, 66.67, 44.45] and len(rates) <= 8
    assert best is not None and limit * 0.95 <= best.offered <= limit
    assert all(p.passed == (p.offered <= limit) for p in runner.points if p.step.kind == RATE)


def test_the_time_budget_stops_the_sweep_before_a_run_that_would_overrun_it() -> None:
    now = [0.0]

    def execute(step: Step) -> dict[str, Any]:
        now[0] += 10.0
        return fake_summary(step)

    runner = Sweep(Plan(rates=10, duration_s=6, budget_s=45), execute, clock=lambda: now[0])
    runner.run()
    assert len(runner.points) == 4 and "time budget" in runner.stopped  # runs end at 10, 20, 30, 40; next at 50


def test_a_target_that_achieves_no_rate_ends_the_sweep_with_no_rate() -> None:
    runner = Sweep(Plan(), lambda step: {"requests": 0, "achieved_rate": None})
    assert runner.run() is None and len(runner.points) == 2 and "no rate" in runner.stopped


def test_the_reports_hold_one_row_per_run_the_verdict_and_the_plot(tmp_path: Path) -> None:
    runner = Sweep(Plan(rates=3), lambda step: fake_summary(step, limit=30.0, sync=12.0))
    best = runner.run()
    files = sweep_report.write(tmp_path, runner.points, best, {"profile": "chat"})
    assert [f.name for f in files] == ["sweep.json", "sweep.csv", "sweep.png", "sweep.html"]
    assert (tmp_path / "sweep.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "data:image/png;base64," in (tmp_path / "sweep.html").read_text()
    assert len((tmp_path / "sweep.csv").read_text().splitlines()) == 1 + len(runner.points)
    text = sweep_report.render(runner.points, best)
    assert text.splitlines()[-1] == "max sustainable rate: 30 requests/s (rate-30)"
    assert sweep_report.verdict_line(None).startswith("max sustainable rate: none")


@pytest.mark.parametrize("rates", [1, 2, 5])
def test_a_spaced_sweep_never_runs_more_rates_than_asked(rates: int) -> None:
    runner = Sweep(Plan(rates=rates), fake_summary)
    runner.run()
    assert sum(p.step.kind == RATE for p in runner.points) == rates
