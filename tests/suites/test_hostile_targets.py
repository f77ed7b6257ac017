"""The harness against hostile targets: every misbehaviour fails the affected tests with a named reason, in time."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hostile import HostileServer

from aigw_conformance.cli import main
from aigw_conformance.reports.model import Report, TestResult
from aigw_conformance.suites.runner import run
from aigw_conformance.suites.target import Target

REPO = Path(__file__).resolve().parents[2]
TIMEOUT_S = 2.0
# No assertion here rests on how fast the machine is: a request ended by its deadline says so in its message
# ("timed out after 2s ..."), and a trickle that never leaves a 2 s gap can only be ended by the whole-request
# deadline. HANG_S only turns a regression that would hang (no deadline at all) into a failure, with 30 times the
# timeout of margin for a loaded machine.
HANG_S = 30 * TIMEOUT_S
STALL_S = 1.5  # hostile.stall_body sends its first body bytes this late, then goes silent
# One plain GET, one streamed chat request, and one schemathesis-generated chat request.
TESTS = ("models.list", "stream.basic", "schema.chat.completions.post.positive")
REQUESTS = {"models.list": "GET /models", "stream.basic": "POST /chat/completions",
            "schema.chat.completions.post.positive": "POST /chat/completions (schemathesis positive case)"}


@pytest.fixture(scope="module")
def hostile() -> Iterator[HostileServer]:
    with HostileServer() as server:
        run(target(server.url("close")), only=TESTS)  # warm up: loading the spec and building strategies is slow
        yield server


def target(base_url: str) -> Target:
    return Target(name="hostile", base_url=base_url, token="hostile-token", models={"chat": "hostile-model"},
                  timeout_s=TIMEOUT_S, examples=3)


def run_timed(base_url: str, only: tuple[str, ...] = TESTS) -> tuple[Report, float]:
    started = time.perf_counter()
    report = run(target(base_url), only=only)
    return report, time.perf_counter() - started


def failures(result: TestResult, check: str) -> list[str]:
    return [failure.message for failure in result.failures if failure.check == check]


@pytest.mark.parametrize(("behaviour", "reason"), [
    ("stall-headers", "timed out after 2s waiting for the response headers"),
    ("trickle-headers", "timed out after 2s waiting for the response headers"),
    ("trickle-body", "timed out after 2s reading the body of the 200 response"),
    ("forever-sse", "the response never finished; an event stream must end after `data: [DONE]`"),
    ("huge-body", "the body of the 200 response exceeded 16777216 bytes; reading stopped"),
    ("huge-declared", "declares Content-Length 104857600, over the 16777216-byte limit"),
    ("gzip-bomb", "gzip body decompresses to more than 16777216 bytes"),
    ("many-events", "event stream exceeded 200000 lines"),
    ("reset", "the connection broke while reading the body of the 200 response"),
    ("close", "the target closed the connection without sending a response"),
    ("garbage", "the response is not valid HTTP/1.1"),
])
def test_a_transport_misbehaviour_fails_each_test_with_a_named_reason_in_time(
    hostile: HostileServer, behaviour: str, reason: str
) -> None:
    report, elapsed = run_timed(hostile.url(behaviour))
    assert sorted(result.id for result in report.results) == sorted(TESTS)
    for result in report.results:
        assert result.outcome == "failed", result
        assert failures(result, "harness.error") == []
        transport = failures(result, "transport")
        assert len(transport) == 1 and reason in transport[0], result
        assert transport[0].startswith(REQUESTS[result.id] + ":"), transport[0]  # names the request
    (fuzzed,) = [result for result in report.results if result.id.startswith("schema.")]
    assert "; generated body " in failures(fuzzed, "transport")[0]
    assert elapsed < len(TESTS) * HANG_S


@pytest.mark.parametrize("behaviour", ["trickle-body", "stall-body"])
def test_the_whole_request_is_bounded_not_the_gap_between_bytes(hostile: HostileServer, behaviour: str) -> None:
    """A byte every 100 ms (trickle-body) never trips a per-read timeout of 2 s, so only the whole-request deadline
    can end it, and its message says so; a byte at 1.5 s then silence (stall-body) is ended by the same deadline."""
    report, _ = run_timed(hostile.url(behaviour), only=("models.list",))
    (result,) = report.results
    assert "timed out after 2s reading the body of the 200 response" in result.message
    assert TIMEOUT_S <= result.duration_s < HANG_S  # never before the deadline; the upper bound only catches a hang


def test_a_refused_connection_names_the_host_and_what_to_check() -> None:
    report, _ = run_timed("http://127.0.0.1:9/api/ai/v1", only=("models.list",))
    (message,) = failures(report.results[0], "transport")
    assert message.startswith("GET /models: cannot connect to 127.0.0.1:9")
    assert "is the target up and is the base URL right?" in message


def test_malformed_sse_fails_the_framing_checks_not_the_transport(hostile: HostileServer) -> None:
    report, elapsed = run_timed(hostile.url("malformed-sse"), only=("stream.basic",))
    (result,) = report.results
    assert result.outcome == "failed"
    assert failures(result, "transport") == [] and failures(result, "harness.error") == []
    (framing,) = failures(result, "sse.framing")
    assert "malformed SSE" in framing and "unknown SSE field" in framing and "not terminated" in framing
    (done,) = failures(result, "sse.done_last")
    assert "ended without `data: [DONE]`" in done
    assert elapsed < HANG_S  # a hang guard only: that no timeout fired is the empty transport list above


def test_latin1_header_values_are_read_not_crashed_on(hostile: HostileServer) -> None:
    """`x-error: Ungültige Anfrage (café)` in latin-1 bytes once raised UnicodeEncodeError in the fuzz path."""
    only = ("errors.", "schema.chat.completions.post.", "schema.models.get.negative")
    report, elapsed = run_timed(hostile.url("latin1-error"), only=only)
    assert len(report.results) == 10  # errors.* tests, chat fuzz, models negative
    for result in report.results:
        assert failures(result, "harness.error") == [], result
        assert failures(result, "transport") == [], result
        assert failures(result, "errors.x_error") == [] and "errors.x_error" in result.checks, result
    outcomes = {result.id: result.outcome for result in report.results}
    assert outcomes["errors.malformed_json"] == "passed"  # a 400 with the error contract, latin-1 and all
    assert outcomes["errors.unknown_model"] == "failed"  # 400 where 404 is documented: a check, not a crash
    assert elapsed < 10 * HANG_S  # a hang guard only


def test_aigw_check_reports_a_silent_target_as_down(hostile: HostileServer, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["check", "--base-url", hostile.url("close"), "--token", "t", "--model", "m", "--timeout", "2",
                 "--report-dir", str(tmp_path)])
    assert code == 3
    assert "GET /models: the target closed the connection without sending a response" in capsys.readouterr().err


def test_aigw_check_writes_reports_for_latin1_errors(hostile: HostileServer, tmp_path: Path) -> None:
    code = main(["check", "--base-url", hostile.url("latin1-error"), "--token", "t", "--model", "m",
                 "--timeout", "2", "--test", "errors.", "--quiet", "--report-dir", str(tmp_path)])
    assert code == 1
    written = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert {result["id"] for result in written["results"]} >= {"errors.malformed_json", "errors.unknown_model"}


MEASURE = """
import gc, json, re, resource, sys, tracemalloc
from pathlib import Path
from aigw_conformance.suites.runner import run
from aigw_conformance.suites.target import Target

STATUS = Path("/proc/self/status")

def once(url):
    target = Target(name="hostile", base_url=url, token="t", models={"chat": "m"}, timeout_s=2.0)
    return run(target, only=["models.list"]).results[0]

def kib(field):
    return int(re.search(field + r":\\s+(\\d+)", STATUS.read_text()).group(1))

once(sys.argv[1].replace("huge-body", "close"))  # warm up: imports, the first connection
gc.collect()
try:  # Linux: reset the peak (VmHWM) to the current RSS, so the peak below is this run's alone
    Path("/proc/self/clear_refs").write_text("5")
    before, peak = kib("VmRSS"), lambda: kib("VmHWM")
except OSError:
    before, peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, lambda: resource.getrusage(0).ru_maxrss
tracemalloc.start()
result = once(sys.argv[1])
traced_peak = tracemalloc.get_traced_memory()[1]
tracemalloc.stop()
print(json.dumps({"rss_growth_kib": peak() - before, "traced_peak_bytes": traced_peak, "message": result.message}))
"""


def test_a_100_mb_body_is_cut_at_the_cap_with_bounded_memory(hostile: HostileServer) -> None:
    """Measured in a fresh interpreter so peak RSS is this run's: growth stays well under the 100 MB sent."""
    done = subprocess.run([sys.executable, "-c", MEASURE, hostile.url("huge-body")], cwd=REPO, check=True,
                          capture_output=True, text=True, timeout=60)
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"100 MB body: peak RSS growth {measured['rss_growth_kib'] / 1024:.1f} MiB, "
          f"peak traced Python memory {measured['traced_peak_bytes'] / 2**20:.1f} MiB")
    assert "exceeded 16777216 bytes" in measured["message"]
    assert measured["rss_growth_kib"] < 40 * 1024
    assert measured["traced_peak_bytes"] < 24 * 2**20
