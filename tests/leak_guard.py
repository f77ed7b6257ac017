"""Session-end guard: a run that leaves non-daemon threads or child processes behind fails, naming them."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

GRACE_S = 5.0  # a thread or child still winding down after its owner's shutdown gets this long to finish


def _children() -> list[str]:
    """Live child processes of this one (Linux /proc; elsewhere none are found)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name_end = text.rfind(")")
        fields = text[name_end + 2:].split()
        if len(fields) > 1 and fields[1] == str(os.getpid()) and fields[0] != "Z":
            command = _command(stat.parent)
            if not any(helper in command for helper in INTERPRETER_HELPERS):
                found.append(f"pid {stat.parent.name} ({text[text.find('(') + 1:name_end]}: {command[:200]})")
    return found


# Helpers Python itself keeps for the life of the process once a spawn-context pool has run (the self-test's
# ProcessPoolExecutor): they end with the interpreter and are no leak of a test.
INTERPRETER_HELPERS = ("multiprocessing.resource_tracker", "multiprocessing.forkserver")


def _command(proc: Path) -> str:
    try:
        return (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace").strip()
    except OSError:
        return ""


def _threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon and t.is_alive()]


def leftovers() -> list[str]:
    for thread in _threads():
        thread.join(GRACE_S / max(1, len(_threads())))
    return [f"thread {t.name!r}" for t in _threads()] + [f"child process {c}" for c in _children()]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    left = leftovers()
    if left:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line("leak guard: the run left behind " + ", ".join(left), red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
