"""The harness stays bounded against an untrusted gateway: one run budget, capped messages, one-pass parsing."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import requests
from untrusted import LONG_LINE_BYTES, CaptureServer, UntrustedServer

from aigw_conformance.cli import main
from aigw_conformance.reports.writers import write_all
from aigw_conformance.suites.conformance.fuzz_send import ProbeAdapter
from aigw_conformance.suites.exchange import Probe, Reply
from aigw_conformance.suites.failures import MAX_MESSAGE_CHARS, capped
from aigw_conformance.suites.runner import BUDGET_TEST_ID, RUN_FLOOR_S, TIMEOUTS_PER_TEST, default_run_budget_s, run
from aigw_conformance.suites.target import Target

SLOW_TESTS = ("models.list", "stream.basic", "chat.simple", "errors.malformed_json", "errors.unknown_model")


@pytest.fixture(scope="module")
def server() -> Iterator[UntrustedServer]:
    with CaptureServer() as capture, UntrustedServer(capture) as untrusted:
        yield untrusted


def target(base_url: str, timeout_s: float = 2.0) -> Target:
    return Target(name="untrusted", base_url=base_url, token="t", models={"chat": "m"}, timeout_s=timeout_s,
                  examples=2)


def test_a_one_line_15_mb_stream_makes_small_reports(server: UntrustedServer, tmp_path: Path) -> None:
    """Today's code wrote the whole 15 MB line into sse.framing's message, and from there into every report."""
    report = run(target(server.url("long-line"), timeout_s=20.0),
                 only=("stream.basic", "schema.chat.completions.post.positive"))
    assert len(report.results) == 2
    for result in report.results:
        assert all(failure.check != "harness.error" for failure in result.failures), result.message
        assert len(result.message) < 2 * MAX_MESSAGE_CHARS
        assert all(len(failure.message) < 2 * MAX_MESSAGE_CHARS for failure in result.failures)
    (stream,) = [result for result in report.results if result.id == "stream.basic"]
    (framing,) = [failure.message for failure in stream.failures if failure.check == "sse.framing"]
    assert "unknown SSE field 'AAAA" in framing and f"({LONG_LINE_BYTES:,} characters)" in framing
    written = write_all(report, tmp_path)
    sizes = {kind: path.stat().st_size for kind, path in written.items()}
    assert max(sizes.values()) < 200_000, sizes


def test_messages_are_capped_saying_how_much_was_cut() -> None:
    assert capped("x" * 10) == "x" * 10
    cut = capped("y" * (MAX_MESSAGE_CHARS + 1234))
    assert cut.startswith("y" * MAX_MESSAGE_CHARS) and cut.endswith("… [1,234 more characters cut]")


def test_schemathesis_gets_the_probes_body_in_one_read() -> None:
    """schemathesis reads an event stream 64 KB at a time and rescans its buffer after each read: quadratic,
    about 17 s for one 15 MB line. The body is already read (bounded) by the probe, so it is handed over whole."""
    body = b"A" * (1024 * 1024)
    reply = Reply(200, "OK", "HTTP/1.1", httpx.Headers({"content-type": "text/event-stream"}), body, 0.1, [0.1])

    class Replying(Probe):
        def fetch(self, method: str, url: str, **kwargs: object) -> Reply:  # type: ignore[override]
            return reply

    probe = Replying()
    try:
        adapter = ProbeAdapter(probe, "POST /chat/completions")
        prepared = requests.Request("POST", "http://127.0.0.1:9/chat/completions", data=b"{}").prepare()
        response = adapter.send(prepared)
        assert response.raw.read1(65536, decode_content=True) == body
        assert isinstance(response.raw._fp, io.BytesIO)  # nothing is read from the network again
    finally:
        probe.close()


def test_the_default_budget_follows_the_selection() -> None:
    plain = target("http://127.0.0.1:9/api/ai/v1", timeout_s=30.0)
    assert default_run_budget_s(10, plain, deep=False) == RUN_FLOOR_S + 10 * TIMEOUTS_PER_TEST * 30.0
    assert default_run_budget_s(11, plain, deep=True) == (RUN_FLOOR_S + 11 * TIMEOUTS_PER_TEST * 30.0
                                                          + plain.deep.budget_s)


def test_the_run_budget_ends_the_run_and_names_the_tests_not_run(server: UntrustedServer) -> None:
    """A gateway that answers nothing but GET /models: with a 2 s timeout each other test takes 2 s or more;
    a budget of 3 s ends the run after the first tests, and the rest are named, not silently dropped."""
    report = run(target(server.url("slow")), only=SLOW_TESTS, max_run_s=3.0)
    results = {result.id: result for result in report.results}
    assert set(results) == {*SLOW_TESTS, BUDGET_TEST_ID} and report.results[-1].id == BUDGET_TEST_ID
    not_run = [result.id for result in report.results if result.outcome == "skipped"]  # in the order of the run
    assert len(not_run) >= 2  # five tests of 2 s or more cannot fit in 3 s
    for test in not_run:
        assert results[test].message.startswith("not run: the run's budget of 3 s (--max-run-s) ran out")
    budget = results[BUDGET_TEST_ID]
    assert budget.outcome == "failed" and budget.failures[0].check == BUDGET_TEST_ID
    assert f"{len(not_run)} selected tests not run: {', '.join(not_run)}." in budget.message
    assert report.gate_failed(strict=False)
    for test in SLOW_TESTS:  # the tests that ran failed on the target or on the budget, never as a harness bug
        assert all(failure.check in ("transport", BUDGET_TEST_ID) for failure in results[test].failures), test


def test_aigw_check_max_run_s_fails_the_run(server: UntrustedServer, tmp_path: Path) -> None:
    code = main(["check", "--base-url", server.url("slow"), "--token", "t", "--model", "m", "--timeout", "2",
                 "--max-run-s", "3", "--test", ",".join(SLOW_TESTS), "--quiet", "--report-dir", str(tmp_path)])
    assert code == 1
    written = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert written["results"][-1]["id"] == BUDGET_TEST_ID


@pytest.mark.parametrize("value", ["0", "-1", "inf"])
def test_max_run_s_must_be_a_positive_number(value: str, tmp_path: Path) -> None:
    code = main(["check", "--base-url", "http://127.0.0.1:9/api/ai/v1", "--token", "t", "--max-run-s", value,
                 "--report-dir", str(tmp_path)])
    assert code == 2
