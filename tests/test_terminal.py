"""The terminal of `aigw check`: live progress and colour on a TTY, plain lines for CI, failures named in full."""

from __future__ import annotations

import io
import os
import pty
import re
import select
from pathlib import Path

from aigw_conformance.reports.model import FailureRecord, Report, TargetInfo, TestResult
from aigw_conformance.terminal import Terminal

ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
LONG_REASON = ("[sse.done_last] POST /chat/completions → 200: the stream ended without `data: [DONE]`; clients "
               "that wait for it hang or report an error, " + " ".join(f"word{i}" for i in range(60)) + " TAILEND")


class FakeTty(io.StringIO):
    def isatty(self) -> bool:
        return True


def _result(test_id: str, outcome: str, message: str = "ok") -> TestResult:
    return TestResult(test_id, "chat", "ai-core", outcome, message, duration_s=0.25)  # type: ignore[arg-type]


def _report(*results: TestResult) -> Report:
    return Report(TargetInfo("t", None, None), "now", 2.0, "0.1.0", list(results))


def _drive(terminal: Terminal) -> Report:
    results = [_result("chat.simple", "passed"), _result("chat.n.whole", "failed", LONG_REASON),
               _result("chat.tools", "skipped", "no tools")]
    terminal.begin(len(results))
    for result in results:
        terminal.started(result.id)
        terminal.finished(result)
    report = _report(*results)
    terminal.summary(report, {"json": Path("r/report.json")}, strict=False)
    return report


def _read_all(fd: int) -> str:
    chunks = []
    while select.select([fd], [], [], 0.2)[0]:
        chunks.append(os.read(fd, 65536))
    return b"".join(chunks).decode()


def test_a_pty_gets_a_live_progress_line_colour_and_the_current_test() -> None:
    master, slave = pty.openpty()
    try:
        with open(slave, "w", encoding="utf-8", closefd=False) as stream:
            terminal = Terminal(stream, environ={"TERM": "xterm"}, width=120)
            assert terminal.live
            _drive(terminal)
        out = _read_all(master)
    finally:
        os.close(master)
        os.close(slave)
    assert "\r\x1b[2K" in out  # the progress line is redrawn in place
    assert re.search(r"\[1/3\] 0:\d\d  0 failed  \S*chat.n.whole", out)  # done/total, elapsed, failures, current
    assert re.search(r"\[2/3\] 0:\d\d  \S*1 failed", out)
    assert "\x1b[31mFAIL\x1b[0m  chat.n.whole" in out and "\x1b[33mSKIP\x1b[0m  chat.tools" in out
    assert "PASS  chat.simple" not in ESCAPE.sub("", out)  # on a TTY passes are counted, not listed


def test_no_color_and_ci_give_plain_lines_one_per_test() -> None:
    for environ in ({"NO_COLOR": "1"}, {"CI": "true"}, {}):
        stream = FakeTty() if environ else io.StringIO()  # {} with a non-TTY stream: plain as well
        terminal = Terminal(stream, environ=environ, width=100)
        assert not terminal.live
        _drive(terminal)
        out = stream.getvalue()
        assert "\x1b" not in out and "\r" not in out
        lines = out.splitlines()
        assert lines[0].startswith("PASS  chat.simple") and lines[1].startswith("FAIL  chat.n.whole")
        assert lines[2].startswith("SKIP  chat.tools") and lines[2].endswith("no tools")


def test_a_failure_is_named_at_the_end_with_its_reason_in_full_wrapped_not_cut() -> None:
    stream = io.StringIO()
    _drive(Terminal(stream, environ={}, width=80))
    out = stream.getvalue()
    per_test, _, summary = out.partition("Failed (1):")
    failing_line = next(line for line in per_test.splitlines() if line.startswith("FAIL"))
    assert failing_line.endswith(" …") and len(failing_line) < 80  # shortened at a word, never mid-word
    assert re.search(r"\S …$", failing_line) and not re.search(r"wor …$|wo …$", failing_line)
    assert "FAIL chat.n.whole" in summary
    body = [line for line in summary.splitlines() if line.startswith("      ")]
    assert all(len(line) <= 79 for line in body)
    assert " ".join(line.strip() for line in body) == LONG_REASON  # every word, in order
    assert "FAIL  0 passed" not in summary and "1 failed" in summary


def test_quiet_prints_no_line_per_test_but_still_lists_the_failed_tests() -> None:
    stream = FakeTty()
    _drive(Terminal(stream, quiet=True, environ={"TERM": "xterm"}, width=100))
    out = ESCAPE.sub("", stream.getvalue())
    assert "chat.simple" not in out and "[1/3]" not in out
    assert "FAIL chat.n.whole" in out and "TAILEND" in out
    assert "1 passed, 1 failed, 1 skipped" in out


def test_the_live_line_never_outgrows_the_terminal() -> None:
    stream = FakeTty()
    terminal = Terminal(stream, environ={"TERM": "xterm"}, width=50)
    terminal.begin(100)
    terminal.started("client.chat.a_very_long_test_identifier_that_goes_on_and_on")
    terminal.close()
    last = ESCAPE.sub("", stream.getvalue().split("\r")[-2])
    assert 0 < len(last) <= 50 and last.endswith("…")


def _two_defects() -> Report:
    done = FailureRecord("sse.done_last", "critical", LONG_REASON.removeprefix("[sse.done_last] "),
                         request="POST /chat/completions", status="200")
    error_id = FailureRecord("errors.x_error_id", "high", "GET /models (wrong bearer) → 401: the `x-error-id` header "
                             "is missing or empty; 001 says all error responses include it")
    results = [TestResult(f"stream.t{i}", "streaming", "ai-streaming", "failed", "m", failures=(done,))
               for i in range(3)]
    results += [TestResult(f"auth.t{i}", "auth", "ai-auth", "failed", "m", failures=(error_id, error_id))
                for i in range(5)]
    return _report(*results, _result("chat.simple", "passed"))


def test_a_failing_run_ends_with_its_findings_one_entry_each_wrapped_not_cut_before_the_tests() -> None:
    for quiet in (False, True):
        stream = io.StringIO()
        Terminal(stream, quiet=quiet, environ={}, width=80).summary(_two_defects(), {}, strict=False)
        out = stream.getvalue()
        head, _, tests = out.partition("Failed (8):")
        assert "2 findings (distinct deviations behind 8 failed tests, most severe first):" in " ".join(head.split())
        assert "FAIL stream.t0" in tests and "1. [critical]" not in tests  # findings first, then the tests
        entries = " ".join(head.split()).split(" 2. ")
        assert entries[0].split(" 1. ")[1].startswith("[critical] sse.done_last: 3 tests, documented. e.g. "
                                                      "POST /chat/completions → 200 (stream.t0): the stream ended")
        assert re.search(r" word\d+ …$", entries[0])  # the excerpt ends at a whole word, the line is not cut
        assert entries[1].startswith("[high] errors.x_error_id: 5 tests, documented. e.g. GET /models (wrong "
                                     "bearer) → 401 (auth.t0): the `x-error-id` header is missing")
        assert all(len(line) <= 79 for line in head.splitlines())
        assert "8 failed, 0 skipped in 2.0s; 2 findings" in tests


def test_a_passing_run_prints_no_findings() -> None:
    stream = io.StringIO()
    Terminal(stream, environ={}, width=80).summary(_report(_result("chat.simple", "passed")), {}, strict=False)
    assert "finding" not in stream.getvalue()
