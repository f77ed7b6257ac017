"""The gate of `pytest --aigw -n N`: a test that must run alone waits for running tests and holds back new ones."""

from __future__ import annotations

import fcntl
import threading
import time
from pathlib import Path

import pytest

from aigw_conformance.pytest_gate import Gate

WAIT_S = 30.0  # a bound against a hang only; nothing here asserts speed
NOT_YET_S = 0.3  # how long a blocked thread is given to (wrongly) get in


def held(path: Path) -> bool:
    """Whether some open file description holds a lock on `path` that an exclusive one would conflict with."""
    with path.open("a+b") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        return False


def wait_until_held(path: Path) -> None:
    deadline = time.monotonic() + WAIT_S
    while not held(path):
        assert time.monotonic() < deadline, f"nobody took {path.name}"
        time.sleep(0.01)


def through_gate(directory: Path, alone: bool, inside: threading.Event, leave: threading.Event) -> threading.Thread:
    """A thread that passes its own Gate (its own lock files' descriptions, as a worker process would)."""

    def run() -> None:
        with Gate(directory).passage(alone):
            inside.set()
            leave.wait(WAIT_S)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_ordinary_tests_pass_together(tmp_path: Path) -> None:
    first, second, leave = threading.Event(), threading.Event(), threading.Event()
    threads = [through_gate(tmp_path, False, first, leave), through_gate(tmp_path, False, second, leave)]
    try:
        assert first.wait(WAIT_S) and second.wait(WAIT_S)
    finally:
        leave.set()
        for thread in threads:
            thread.join(WAIT_S)


def test_a_test_alone_waits_for_the_running_one_and_a_later_one_waits_for_it(tmp_path: Path) -> None:
    running, alone, later = threading.Event(), threading.Event(), threading.Event()
    leave_running, leave_alone, leave_later = threading.Event(), threading.Event(), threading.Event()
    threads = [through_gate(tmp_path, False, running, leave_running)]
    try:
        assert running.wait(WAIT_S)
        threads.append(through_gate(tmp_path, True, alone, leave_alone))
        wait_until_held(tmp_path / "turnstile.lock")  # the alone test is queued at the gate
        assert not alone.wait(NOT_YET_S)
        threads.append(through_gate(tmp_path, False, later, leave_later))
        assert not later.wait(NOT_YET_S)  # behind the waiting alone test, not past it
        leave_running.set()
        assert alone.wait(WAIT_S)
        assert not later.wait(NOT_YET_S)
        leave_alone.set()
        assert later.wait(WAIT_S)
    finally:
        for event in (leave_running, leave_alone, leave_later):
            event.set()
        for thread in threads:
            thread.join(WAIT_S)
    assert not any(thread.is_alive() for thread in threads)


@pytest.mark.parametrize("alone", [False, True])
def test_the_gate_is_left_open_after_a_test_raises(tmp_path: Path, alone: bool) -> None:
    with pytest.raises(RuntimeError), Gate(tmp_path).passage(alone):
        raise RuntimeError("a harness bug")
    assert not held(tmp_path / "gate.lock") and not held(tmp_path / "turnstile.lock")
