"""The JSONL samples: one file per process, round-trips, torn lines skipped, merged by run."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from aigw_conformance.suites.load.samples import (
    Sample,
    SampleWriter,
    find_files,
    iter_samples,
    read_samples,
    sample_path,
)

LOAD = Path(__file__).resolve().parents[2] / "suites" / "load"
LOCUST_FREE = ("__init__.py", "samples.py", "stats.py", "slo.py", "summary.py", "report_files.py", "sse_events.py",
               "sse_timing.py", "shapes.py", "profiles.py", "launch.py", "overhead.py", "calibration.py")


def stream(t: float, ttft: float, **fields: object) -> Sample:
    base: dict[str, object] = {"t": t, "kind": "chat-stream", "ok": True, "status": 200, "ttft_ms": ttft,
                               "e2e_ms": ttft + 100, "itl_ms": [10.0, 12.0], "done": True, "output_tokens": 3}
    return Sample(**{**base, **fields})  # type: ignore[arg-type]


def test_samples_round_trip_through_one_file_per_process(tmp_path: Path) -> None:
    written = [stream(1.0, 50.0), stream(2.0, 60.0, ok=False, error="HTTP 500: x", status=500)]
    with SampleWriter(sample_path(tmp_path, "run1", "hostA-1")) as writer:
        for sample in written:
            writer.write(sample)
    with SampleWriter(sample_path(tmp_path, "run1", "hostB-2")) as writer:
        writer.write(stream(3.0, 70.0))
    with SampleWriter(sample_path(tmp_path, "run2", "hostA-1")) as writer:
        writer.write(stream(4.0, 80.0))
    assert [p.name for p in find_files([tmp_path], "run1")] == ["samples-run1-hostA-1.jsonl",
                                                                 "samples-run1-hostB-2.jsonl"]
    assert read_samples([tmp_path], "run1")[:2] == written
    assert len(read_samples([tmp_path])) == 4
    assert len(read_samples([sample_path(tmp_path, "run2", "hostA-1")])) == 1


def test_a_torn_last_line_is_skipped_and_reported(tmp_path: Path) -> None:
    path = sample_path(tmp_path, "r", "w")
    with SampleWriter(path) as writer:
        writer.write(stream(1.0, 50.0))
    with path.open("a") as file:
        file.write('{"t": 2.0, "kind": "chat", "o')
    skipped: list[str] = []
    assert len(list(iter_samples([path], skipped))) == 1
    assert skipped == [f"{path.name}:2"]


def test_unknown_fields_are_ignored_so_older_readers_accept_newer_files() -> None:
    assert Sample.from_dict({"t": 1.0, "kind": "chat", "ok": True, "future_field": 3}).kind == "chat"


def test_derived_per_request_figures() -> None:
    sample = stream(1.0, 100.0, last_token_ms=140.0, output_tokens=5, e2e_ms=500.0)
    assert sample.tpot_ms == pytest.approx(10.0)
    assert sample.output_tps == pytest.approx(10.0)
    assert stream(1.0, 100.0, output_tokens=1).tpot_ms is None


def test_a_closed_writer_refuses_to_write(tmp_path: Path) -> None:
    writer = SampleWriter(tmp_path / "samples-x-y.jsonl")
    writer.close()
    with pytest.raises(ValueError, match="closed"):
        writer.write(stream(1.0, 1.0))


@pytest.mark.parametrize("name", LOCUST_FREE)
def test_the_pure_modules_never_import_locust_or_gevent(name: str) -> None:
    tree = ast.parse((LOAD / name).read_text(encoding="utf-8"))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}
    assert not imported & {"locust", "gevent"}
