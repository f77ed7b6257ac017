"""SIGINT and SIGTERM stop `aigw check` and `aigw load` cleanly: the partial report with `interrupted: true`, the
documented exit code, no traceback, no process left behind. Real subprocesses against a reference the test starts."""

from __future__ import annotations

import http.server
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from aigw_conformance.mocks.reference.stack import ReferenceStack
from aigw_conformance.suites.conformance import TESTS

STARTUP_S = 120.0  # bound on waiting for the first progress line (imports, preflight) on a loaded machine
MARKS = ("PASS ", "FAIL ", "SKIP ")


@pytest.fixture(scope="module")
def reference() -> Iterator[ReferenceStack]:
    with ReferenceStack() as stack:
        yield stack


def _aigw(argv: list[str], cwd: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "NO_COLOR": "1", "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "aigw_conformance", *argv], cwd=cwd, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _wait_for_line(process: subprocess.Popen[str], wanted: tuple[str, ...]) -> list[str]:
    """Read stdout until a line starts with one of `wanted` (bounded); the rest is drained by a thread."""
    assert process.stdout is not None
    lines: list[str] = []
    found = threading.Event()

    def pump() -> None:
        assert process.stdout is not None
        try:
            for line in process.stdout:
                lines.append(line)
                if line.startswith(wanted):
                    found.set()
        except (ValueError, OSError):  # communicate() or _stop() closed the pipe under this reader
            pass
        found.set()

    threading.Thread(target=pump, daemon=True).start()
    assert found.wait(STARTUP_S), f"no progress line within {STARTUP_S}s: {lines[-5:]}"
    assert process.poll() is None, f"the run ended before it could be interrupted: {lines[-5:]}"
    return lines


def _stop(process: subprocess.Popen[str]) -> None:
    """Kill the run if it is still going and close its pipes (an unclosed pipe is a ResourceWarning in a later
    test)."""
    if process.poll() is None:
        process.kill()
    process.wait(timeout=30)
    for pipe in (process.stdout, process.stderr):
        if pipe is not None:
            pipe.close()


def _descendants(pid: int) -> set[int]:
    """Every live process whose parent chain leads to `pid` (read from /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _check_argv(stack: ReferenceStack, report_dir: Path) -> list[str]:
    return ["check", "--base-url", stack.base_url, "--token", stack.token, "--client-base-url",
            stack.client_base_url, "--client-token", stack.client_token, "--examples", "3",
            "--report-dir", str(report_dir)]


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_stops_check_writes_the_partial_report_and_exits_with_its_code(
        reference: ReferenceStack, tmp_path: Path, signum: int, code: int) -> None:
    process = _aigw(_check_argv(reference, tmp_path / "out"), tmp_path)
    try:
        _wait_for_line(process, MARKS)
        process.send_signal(signum)
        _, err = process.communicate(timeout=STARTUP_S)
    finally:
        _stop(process)
    assert process.returncode == code, err
    assert "Traceback" not in err
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["interrupted"] is True
    assert 1 <= len(report["results"]) < len(TESTS)
    assert "Interrupted" in (tmp_path / "out" / "report.md").read_text()


def test_a_signal_in_the_first_second_prints_no_traceback(reference: ReferenceStack, tmp_path: Path) -> None:
    """Signals at several moments of the first second: during the imports (about a second of them), during the
    start, or in the first test; whichever it hits, exit 130 and no traceback."""
    delays = (0.3, 0.5, 0.7, 1.0)
    processes = [_aigw(_check_argv(reference, tmp_path / f"out-{i}"), tmp_path) for i in range(len(delays))]
    started = time.monotonic()
    try:
        for delay, process in zip(delays, processes, strict=True):
            time.sleep(max(0.0, started + delay - time.monotonic()))
            process.send_signal(signal.SIGINT)
        results = [process.communicate(timeout=STARTUP_S) for process in processes]
    finally:
        for process in processes:
            _stop(process)
    for delay, process, (_, err) in zip(delays, processes, results, strict=True):
        assert process.returncode == 130, (delay, err)
        assert "Traceback" not in err and "KeyboardInterrupt" not in err, (delay, err)


def test_a_signal_during_the_imports_exits_130_quietly() -> None:
    """The moment the first-second test aims at, made certain: the handler is installed, the signal arrives, the
    heavy imports follow."""
    code = ("import os, signal\nfrom aigw_conformance import interrupt\ninterrupt.install_early()\n"
            "os.kill(os.getpid(), signal.SIGINT)\nimport aigw_conformance.cli\nprint('not reached')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=STARTUP_S,
                          check=False)
    assert done.returncode == 130 and "not reached" not in done.stdout
    assert done.stderr == ""


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_stops_load_and_every_locust_process_and_keeps_the_partial_summary(
        tmp_path: Path, signum: int, code: int) -> None:
    out = tmp_path / "load"
    process = _aigw(["load", "chat", "--duration", "120", "--users", "2", "--report-dir", str(out)], tmp_path)
    try:
        deadline = time.monotonic() + STARTUP_S
        while not any(path.stat().st_size for path in out.glob("samples-*.jsonl")):
            assert time.monotonic() < deadline and process.poll() is None, "locust never recorded a request"
            time.sleep(0.2)
        children = _descendants(process.pid)
        assert children, "locust runs in processes of its own"
        process.send_signal(signum)
        stdout, err = process.communicate(timeout=STARTUP_S)
    finally:
        _stop(process)
    assert process.returncode == code, err
    assert "Traceback" not in err
    assert not [pid for pid in children if _alive(pid)], "a process of the load run outlived it"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["interrupted"] is True and summary["requests"] > 0
    assert "interrupted" in stdout


def test_sigterm_before_the_first_test_still_writes_a_report_that_says_interrupted(tmp_path: Path) -> None:
    """Against an address that accepts connections but never answers, `aigw check` sits in its preflight; a
    SIGTERM there leaves an empty report marked interrupted, and exit 143."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        base = f"http://127.0.0.1:{silent.getsockname()[1]}/api/ai/v1"
        process = _aigw(["check", "--base-url", base, "--token", "t", "--timeout", "60", "--report-dir",
                         str(tmp_path / "out")], tmp_path)
        try:
            deadline = time.monotonic() + STARTUP_S
            while not (tmp_path / "out").is_dir():  # the report directory is checked just before the run
                assert time.monotonic() < deadline and process.poll() is None
                time.sleep(0.1)
            time.sleep(1.0)
            process.send_signal(signal.SIGTERM)
            _, err = process.communicate(timeout=STARTUP_S)
        finally:
            _stop(process)
    assert process.returncode == 143, err
    assert "Traceback" not in err
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["interrupted"] is True and report["results"] == []


class _StallingGateway(http.server.BaseHTTPRequestHandler):
    """Answers the preflight's GET /models; holds every other request until the test releases it."""

    release = threading.Event()
    posted = threading.Event()

    def do_GET(self) -> None:
        body = b'{"object": "list", "data": []}'
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        self.posted.set()
        self.release.wait(REQUEST_TIMEOUT_S)

    def log_message(self, *args: object) -> None:
        return


REQUEST_TIMEOUT_S = 120.0


def test_the_first_ctrl_c_lets_the_running_test_finish_and_a_second_one_stops_it(tmp_path: Path) -> None:
    _StallingGateway.release.clear()
    _StallingGateway.posted.clear()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _StallingGateway)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    base = f"http://127.0.0.1:{server.server_address[1]}/api/ai/v1"
    process = _aigw(["check", "--base-url", base, "--model", "gpt-5", "--token", "t", "--test", "chat.simple",
                     "--timeout", str(REQUEST_TIMEOUT_S), "--report-dir", str(tmp_path / "out")], tmp_path)
    try:
        assert _StallingGateway.posted.wait(STARTUP_S), "chat.simple never sent its request"
        process.send_signal(signal.SIGINT)  # chat.simple is now waiting on its held request
        time.sleep(2.0)
        assert process.poll() is None, "the first Ctrl-C must let the running test finish"
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=REQUEST_TIMEOUT_S / 2)  # well before the held request times out
    finally:
        _StallingGateway.release.set()
        _stop(process)
        server.shutdown()
        server.server_close()
        serving.join(timeout=10)
    assert process.returncode == 130, err
    assert "Traceback" not in err
    assert "stopping after the current test" in out
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["interrupted"] is True and report["results"] == []


SELFTEST_MARKS = ("ok  ", "MISS")
SELFTEST_RUN_S = 600.0  # bound on one self-test run (the whole suite against a reference) on a loaded machine


@pytest.mark.slow
def test_ctrl_c_lets_the_selftest_runs_under_way_finish_and_writes_the_partial_result(tmp_path: Path) -> None:
    """Three runs planned (clean, quirks, one defect), one at a time: Ctrl-C after the first finished lets a run
    under way finish (the second, unless the signal came before it started), starts no third, and writes
    selftest.md saying it is partial; exit 130."""
    process = _aigw(["selftest", "--defect", "no-done", "--jobs", "1", "--examples", "1",
                     "--report-dir", str(tmp_path / "out")], tmp_path)
    try:
        lines = _wait_for_line(process, SELFTEST_MARKS)
        process.send_signal(signal.SIGINT)
        process.wait(timeout=SELFTEST_RUN_S)
        assert process.stderr is not None
        err = process.stderr.read()  # stdout stays the pump thread's alone: it reads on to the end of the output
        deadline = time.monotonic() + 30
        while not any("mutation score" in line for line in lines) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        _stop(process)
    assert process.returncode == 130, err
    assert "Traceback" not in err and "partial result will be written" in err
    finished = sum(line.startswith(SELFTEST_MARKS) for line in lines)
    assert finished in (1, 2), lines
    assert any(f"(interrupted: {finished} runs finished)" in line for line in lines), lines
    written = (tmp_path / "out" / "selftest.md").read_text()
    assert "**Interrupted**" in written and "| clean |" in written and "defect:no-done" not in written


@pytest.mark.slow
def test_sigterm_stops_a_parallel_selftest_at_once_with_no_worker_left(tmp_path: Path) -> None:
    """Two worker processes: SIGTERM after the first row stops the parent and both workers without waiting for the
    runs under way; exit 143, the partial result written."""
    process = _aigw(["selftest", "--defect", "no-done", "--defect", "no-x-error-id", "--jobs", "2",
                     "--examples", "1", "--report-dir", str(tmp_path / "out")], tmp_path)
    try:
        _wait_for_line(process, SELFTEST_MARKS)
        workers = _descendants(process.pid)
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=STARTUP_S)
    finally:
        _stop(process)
    assert process.returncode == 143, err
    assert "Traceback" not in err
    assert workers
    deadline = time.monotonic() + 30  # the resource tracker leaves when its pipe from the parent closes
    while [pid for pid in workers if _alive(pid)] and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [pid for pid in workers if _alive(pid)]
    assert "**Interrupted**" in (tmp_path / "out" / "selftest.md").read_text()
