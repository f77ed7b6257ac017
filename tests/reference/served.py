"""`aigw serve` as a real subprocess: started on a free port, its printed lines read, ended by its PID."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass

STARTUP_S = 120.0  # bound on `aigw serve` printing its URLs on a loaded machine


@dataclass
class Served:
    process: subprocess.Popen[str]
    lines: list[str]

    def printed(self, label: str) -> str:
        """The first word after `label` on the line that starts with it (a URL, a path)."""
        return next(line[len(label):].split()[0] for line in self.lines if line.startswith(label))

    @property
    def base_url(self) -> str:
        return self.printed("reference gateway")


def serve(*argv: str, preexec_fn: Callable[[], None] | None = None) -> Served:
    """`aigw serve --port 0 ARGV...`, once it printed "Ctrl-C" (a process that ends first, or is silent for
    STARTUP_S, fails the test); `kill` or `interrupt` ends it. `preexec_fn` runs in the child (e.g. a `ulimit`)."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "NO_COLOR": "1"}
    process = subprocess.Popen([sys.executable, "-m", "aigw_conformance", "serve", "--port", "0", *argv],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env,
                               preexec_fn=preexec_fn)
    assert process.stdout is not None
    lines: list[str] = []
    watchdog = threading.Timer(STARTUP_S, lambda: process.poll() is None and os.kill(process.pid, signal.SIGKILL))
    watchdog.start()
    try:
        while not any("Ctrl-C" in line for line in lines):
            line = process.stdout.readline()
            assert line, f"serve exited early ({process.poll()}): {lines}"
            lines.append(line)
    except BaseException:
        kill(process)
        raise
    finally:
        watchdog.cancel()
    return Served(process, lines)


def kill(process: subprocess.Popen[str]) -> None:
    """SIGKILL by PID (if it still runs), reaped, its pipe closed."""
    if process.poll() is None:
        os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    if process.stdout is not None:
        process.stdout.close()


def interrupt(process: subprocess.Popen[str], timeout_s: float = 30.0) -> int | None:
    """Ctrl-C (SIGINT by PID) and its exit code; None when it did not end within `timeout_s` (then it is killed)."""
    if process.poll() is None:
        os.kill(process.pid, signal.SIGINT)
    try:
        code: int | None = process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        code = None
    kill(process)
    return code
