"""Exact percentiles, the summary, the SLO gate and its exit codes, the report files, overhead comparison."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aigw_conformance.suites.load import overhead, slo, summary
from aigw_conformance.suites.load.samples import Sample, SampleWriter, sample_path
from aigw_conformance.suites.load.stats import achieved_rate, describe, percentile


def make(i: int, **fields: object) -> Sample:
    base: dict[str, object] = {
        "t": 1000.0 + i * 0.1, "kind": "chat-stream", "ok": True, "status": 200, "headers_ms": 2.0,
        "first_event_ms": 3.0, "ttft_ms": 100.0 + i, "last_token_ms": 100.0 + i + 90, "e2e_ms": 200.0 + i,
        "itl_ms": [10.0] * 9, "chunks": 10, "output_tokens": 10, "usage_tokens": True, "done": True, "lag_ms": 0.5,
    }
    return Sample(**{**base, **fields})  # type: ignore[arg-type]


def test_percentiles_are_exact_linear_interpolation_not_buckets() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.5
    assert percentile(values, 99) == pytest.approx(99.01)
    assert percentile([123.456], 99) == 123.456
    assert percentile([1.0, 2.0], 90) == pytest.approx(1.9)
    stats = describe([566.0, 101.0, 102.0, 103.0])
    assert (stats["count"], stats["min"], stats["max"], stats["p50"]) == (4, 101.0, 566.0, 102.5)
    assert describe([])["p99"] is None
    with pytest.raises(ValueError):
        percentile([], 50)


def test_summary_counts_errors_incomplete_streams_and_pools_itl() -> None:
    samples = [make(i) for i in range(20)]
    samples.append(make(20, ok=False, done=False, error="stream ended without [DONE]"))
    samples.append(make(21, ok=False, status=503, error="HTTP 503: busy", kind="chat", done=None))
    result = summary.summarize(samples, target_rate=10.0)
    assert (result["requests"], result["errors"], result["incomplete_streams"]) == (22, 2, 1)
    assert result["error_rate"] == pytest.approx(2 / 22)
    assert result["ttft_ms"]["count"] == 20 and result["ttft_ms"]["p50"] == pytest.approx(109.5)
    assert result["itl_ms"]["count"] == 180 and result["itl_ms"]["p99"] == 10.0
    assert result["tpot_ms"]["p50"] == pytest.approx(10.0)
    assert result["achieved_rate"] == pytest.approx(10.0) and result["rate_ratio"] == pytest.approx(1.0)
    assert result["error_kinds"] == {"stream ended without [DONE]": 1, "HTTP 503: busy": 1}
    assert set(result["by_kind"]) == {"chat", "chat-stream"}
    assert all(set(result[m]) >= {"p50", "p90", "p99"} for m in ("ttft_ms", "itl_ms", "e2e_ms"))


def test_achieved_rate_is_measured_over_the_starts() -> None:
    assert achieved_rate([make(i) for i in range(11)]) == pytest.approx(10.0)
    assert achieved_rate([make(0)]) is None


def thresholds(text: str, tmp_path: Path) -> slo.Thresholds:
    path = tmp_path / "slo.toml"
    path.write_text(text)
    return slo.load(path)


def test_the_gate_names_every_breach(tmp_path: Path) -> None:
    limits = thresholds("max_error_rate = 0.01\nmin_rate_ratio = 0.95\n[ttft_ms]\np50 = 50\np99 = 500\n"
                        "[e2e_ms]\nmax = 1000\n[goodput]\nmin_ratio = 0.9\nttft_ms = 105\n", tmp_path)
    samples = [make(i, t=1000.0 + i * 0.2) for i in range(20)] + [make(20, ok=False, error="x")]
    result = summary.summarize(samples, target_rate=10.0, thresholds=limits)
    assert result["slo"]["passed"] is False
    breaches = "\n".join(result["slo"]["breaches"])
    assert "error rate" in breaches and "achieved/target rate" in breaches and "ttft_ms p50" in breaches
    assert "goodput ratio" in breaches and "ttft_ms p99" not in breaches and "e2e_ms" not in breaches
    assert result["goodput"]["good"] == 6
    assert summary.exit_code(result) == slo.EXIT_BREACH == 1


def test_stream_limits_do_not_apply_to_a_run_without_streams(tmp_path: Path) -> None:
    limits = thresholds("[ttft_ms]\np99 = 1\n[e2e_ms]\np99 = 10000\n", tmp_path)
    samples = [make(i, kind="chat", done=None, ttft_ms=None, itl_ms=[]) for i in range(5)]
    result = summary.summarize(samples, thresholds=limits)
    assert result["slo"] == {"passed": True, "breaches": []} and summary.exit_code(result) == 0
    assert summary.exit_code(summary.summarize([], thresholds=limits)) == slo.EXIT_RUN_FAILED == 4
    refused = [make(i, ok=False, status=0, error="ConnectionRefusedError") for i in range(3)]
    assert summary.exit_code(summary.summarize(refused)) == slo.EXIT_UNREACHABLE == 3


@pytest.mark.parametrize("text", ["max_eror_rate = 0.1\n", "[ttft_ms]\np42 = 1\n", "[ttft_ms]\np50 = 'fast'\n",
                                  "[goodput]\nitl_ms = 3\n", "not toml ["])
def test_a_bad_thresholds_file_is_a_usage_error(text: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        thresholds(text, tmp_path)


def test_the_example_thresholds_file_is_valid() -> None:
    example = slo.load(Path(__file__).resolve().parents[2] / "suites" / "load" / "thresholds.example.toml")
    assert example.max_error_rate == 0.01 and example.min_rate_ratio == 0.95 and "ttft_ms" in example.latency


def test_main_merges_every_worker_file_writes_the_reports_and_gates(tmp_path: Path) -> None:
    for worker in ("a", "b"):
        with SampleWriter(sample_path(tmp_path / "in", "run", worker)) as writer:
            for i in range(10):
                writer.write(make(i, worker=worker))
    (tmp_path / "strict.toml").write_text("[ttft_ms]\np50 = 10\n")
    out = tmp_path / "out"
    assert summary.main([str(tmp_path / "in"), "--report-dir", str(out), "--run-id", "run"]) == 0
    result = json.loads((out / "summary.json").read_text())
    assert (result["requests"], result["workers"], result["errors"]) == (20, 2, 0)
    for name in ("summary.csv", "timeseries.csv", "latency.png", "throughput.png"):
        assert (out / name).stat().st_size > 0, name
    assert (out / "latency.png").read_bytes().startswith(b"\x89PNG")
    assert (out / "summary.csv").read_text().splitlines()[0] == "metric,count,mean,min,p50,p90,p95,p99,max"
    assert summary.main([str(tmp_path / "in"), "--report-dir", str(out), "--thresholds",
                         str(tmp_path / "strict.toml")]) == 1
    assert summary.main([str(tmp_path / "in"), "--report-dir", str(out), "--thresholds",
                         str(tmp_path / "missing.toml")]) == 2
    assert summary.main([str(tmp_path / "empty"), "--report-dir", str(out)]) == 4


def test_overhead_is_reported_per_percentile() -> None:
    direct = summary.summarize([make(i) for i in range(10)])
    gateway = summary.summarize([make(i, ttft_ms=103.0 + i, e2e_ms=205.0 + i) for i in range(10)])
    comparison = overhead.compare(direct, gateway)
    assert comparison["overhead_ms"]["ttft_ms"]["p50"] == pytest.approx(3.0)
    assert comparison["overhead_ms"]["e2e_ms"]["p99"] == pytest.approx(5.0)
    assert comparison["overhead_ms"]["itl_ms"]["p90"] == pytest.approx(0.0)
    assert "ttft_ms" in overhead.render(comparison)
